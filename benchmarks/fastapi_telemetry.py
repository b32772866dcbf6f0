"""What a request span costs, by who makes it: FastAPI, the contrib instrumentation, the kit.

ADR 0014's and ADR 0024's evidence. In one process, no network: one `async def` route
driven straight through ASGI, with no tracing, FastAPI's native spans as the kit set them
(one span a request), FastAPI's defaults (four), `opentelemetry-instrumentation-fastapi`
(three), and the kit's `ServerSpanMiddleware` (one). Each is run with every request
sampled (spans batched to an exporter that drops them) and with none sampled (every
request a trace nobody records, as nine in ten are at the default ratio). The figures:
requests/s, and CPU µs a request (what the neighbours on a shared machine move least).

    uv run --with opentelemetry-instrumentation-fastapi python benchmarks/fastapi_telemetry.py
    uv run python benchmarks/fastapi_telemetry.py native-kit kit   # only these modes

Each mode runs in a process of its own (the tracer provider is global), rounds interleaved.
"""

import asyncio
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence

MODES = ("none", "native-kit", "native-default", "contrib", "kit")
SAMPLING = ("sampled", "unsampled")
ROUNDS = 3
REQUESTS = 4000


def build_app(mode: str, sampling: str):  # type: ignore[no-untyped-def]
    from fastapi import FastAPI
    from opentelemetry import trace
    from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
    from opentelemetry.sdk.trace.export import (
        BatchSpanProcessor,
        SpanExporter,
        SpanExportResult,
    )
    from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ALWAYS_ON, ParentBased

    class Dropped(SpanExporter):
        spans = 0

        def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
            Dropped.spans += len(spans)
            return SpanExportResult.SUCCESS

    if mode != "none":
        root = ALWAYS_ON if sampling == "sampled" else ALWAYS_OFF
        provider = TracerProvider(sampler=ParentBased(root))
        provider.add_span_processor(BatchSpanProcessor(Dropped(), max_queue_size=100_000))
        trace.set_tracer_provider(provider)
    quiet = {"metrics": False, "logs": False}
    telemetry = {
        "none": {},
        "native-kit": {**quiet, "operation_spans": False},
        "native-default": {},
        "contrib": {**quiet, "tracing": False},
        "kit": {**quiet, "tracing": False},
    }[mode]
    app = FastAPI(telemetry=telemetry)  # type: ignore[arg-type]

    @app.get("/things/{thing_id}")
    async def thing(thing_id: str) -> dict[str, str]:
        return {"id": thing_id}

    if mode == "contrib":
        from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

        FastAPIInstrumentor.instrument_app(app)
    if mode == "kit":
        from shopflow_kit.server_spans import ServerSpanMiddleware

        app.add_middleware(ServerSpanMiddleware)
    return app, Dropped


async def requests_per_second(mode: str, sampling: str) -> tuple[float, float, float]:
    """Requests/s, CPU µs a request, spans a request."""
    app, exporter = build_app(mode, sampling)

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
    started, cpu_started = time.perf_counter(), time.process_time()
    for number in range(REQUESTS):
        await call(f"/things/{number}")
    rate = REQUESTS / (time.perf_counter() - started)
    cpu_us = 1e6 * (time.process_time() - cpu_started) / REQUESTS
    from opentelemetry import trace

    provider = trace.get_tracer_provider()
    if hasattr(provider, "force_flush"):
        provider.force_flush()
    return rate, cpu_us, exporter.spans / (REQUESTS + 500)


def main() -> int:
    if len(sys.argv) == 4 and sys.argv[1] == "--one":  # one measurement, in a process of its own
        rate, cpu_us, spans = asyncio.run(requests_per_second(sys.argv[2], sys.argv[3]))
        print(f"{rate} {cpu_us} {spans}")
        return 0
    modes = sys.argv[1:] or MODES[1:]
    runs = [("none", "sampled")] + [(mode, sampling) for mode in modes for sampling in SAMPLING]
    rates: dict[tuple[str, str], list[float]] = {run: [] for run in runs}
    cpu: dict[tuple[str, str], list[float]] = {run: [] for run in runs}
    spans: dict[tuple[str, str], float] = {}
    for _ in range(ROUNDS):
        for run in runs:
            out = subprocess.run(
                [sys.executable, __file__, "--one", *run],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.split()
            rates[run].append(float(out[0]))
            cpu[run].append(float(out[1]))
            spans[run] = float(out[2])
    baseline = statistics.median(cpu[("none", "sampled")])
    print(
        f"{'server spans by':<16} {'sampling':<10} {'spans/request':>13} {'requests/s':>11}", end=""
    )
    print(f" {'CPU µs/request':>15} {'µs vs none':>11}")
    for run in runs:
        mode, sampling = run
        us = statistics.median(cpu[run])
        print(f"{mode:<16} {'' if mode == 'none' else sampling:<10} {spans[run]:>13.1f}", end="")
        print(f" {statistics.median(rates[run]):>11.0f} {us:>15.0f} {us - baseline:>+11.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
