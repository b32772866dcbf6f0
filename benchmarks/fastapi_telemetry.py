"""What a request span costs, by who makes it: FastAPI itself or the contrib instrumentation.

ADR 0009's evidence. In one process, no network: requests/s of one `async def` route
driven straight through ASGI, with no tracing, FastAPI's native spans as the kit sets them
(one span a request), FastAPI's defaults (four), and `opentelemetry-instrumentation-fastapi`
(three). Every span is sampled and batched to an exporter that drops it.

    uv run --with opentelemetry-instrumentation-fastapi python benchmarks/fastapi_telemetry.py

Each mode runs in a process of its own (the tracer provider is global), rounds interleaved.
"""

import asyncio
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence

MODES = ("none", "native-kit", "native-default", "contrib")
ROUNDS = 3
REQUESTS = 4000


def build_app(mode: str):  # type: ignore[no-untyped-def]
    from fastapi import FastAPI
    from opentelemetry import trace
    from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
    from opentelemetry.sdk.trace.export import (
        BatchSpanProcessor,
        SpanExporter,
        SpanExportResult,
    )
    from opentelemetry.sdk.trace.sampling import ALWAYS_ON

    class Dropped(SpanExporter):
        spans = 0

        def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
            Dropped.spans += len(spans)
            return SpanExportResult.SUCCESS

    if mode != "none":
        provider = TracerProvider(sampler=ALWAYS_ON)
        provider.add_span_processor(BatchSpanProcessor(Dropped(), max_queue_size=100_000))
        trace.set_tracer_provider(provider)
    quiet = {"metrics": False, "logs": False}
    telemetry = {
        "none": {},
        "native-kit": {**quiet, "operation_spans": False},
        "native-default": {},
        "contrib": {**quiet, "tracing": False},
    }[mode]
    app = FastAPI(telemetry=telemetry)  # type: ignore[arg-type]

    @app.get("/things/{thing_id}")
    async def thing(thing_id: str) -> dict[str, str]:
        return {"id": thing_id}

    if mode == "contrib":
        from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

        FastAPIInstrumentor.instrument_app(app)
    return app, Dropped


async def requests_per_second(mode: str) -> tuple[float, float]:
    app, exporter = build_app(mode)

    async def call(path: str) -> None:
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
            "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
            "root_path": "", "headers": [(b"host", b"bench")], "server": ("bench", 80),
            "client": ("client", 1),
        }  # fmt: skip

        async def receive() -> dict[str, object]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: object) -> None:
            pass

        await app(scope, receive, send)

    for number in range(500):  # warm up
        await call(f"/things/{number}")
    started = time.perf_counter()
    for number in range(REQUESTS):
        await call(f"/things/{number}")
    rate = REQUESTS / (time.perf_counter() - started)
    from opentelemetry import trace

    provider = trace.get_tracer_provider()
    if hasattr(provider, "force_flush"):
        provider.force_flush()
    return rate, exporter.spans / (REQUESTS + 500)


def main() -> int:
    if len(sys.argv) == 2:  # one measurement, in a process of its own
        rate, spans = asyncio.run(requests_per_second(sys.argv[1]))
        print(f"{rate} {spans}")
        return 0
    rates: dict[str, list[float]] = {mode: [] for mode in MODES}
    spans: dict[str, float] = {}
    for _ in range(ROUNDS):
        for mode in MODES:
            out = subprocess.run(
                [sys.executable, __file__, mode], capture_output=True, text=True, check=True
            ).stdout.split()
            rates[mode].append(float(out[0]))
            spans[mode] = float(out[1])
    baseline = statistics.median(rates["none"])
    print(f"{'server spans by':<16} {'spans/request':>13} {'requests/s':>11} {'vs none':>8}")
    for mode in MODES:
        rate = statistics.median(rates[mode])
        print(f"{mode:<16} {spans[mode]:>13.1f} {rate:>11.0f} {rate / baseline:>8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
