"""A run's figures as Markdown tables (printed, and kept in docs/benchmarks.md) and as JSON.

docs/benchmarks.md is written by people except between two pairs of markers: the latest
run's tables, replaced by each run, and the history, one row added by each run.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

LATEST = ("<!-- bench:latest -->", "<!-- /bench:latest -->")
HISTORY = ("<!-- bench:history -->", "<!-- /bench:history -->")
HISTORY_HEADER = (
    "| date | commit | sustained: offered → confirmed/s, p99 | highest rate, p99 ≤ 1 s "
    "| overload 2×: confirmed/s of sustainable, timed out | stack CPU/order "
    "| GET direct / via gateway | relay drain |\n|---|---|---|---|---|---|---|---|"
)
HISTORY_COLUMNS = 8

Figures = dict[str, Any]


def markdown(run: Figures) -> str:
    lines = [
        f"Run of {run['date']}, commit `{run['commit']}`, {run['duration_seconds']:.0f} s.",
        f"Machine: {run['machine_line']}.",
        "",
    ]
    parts = (_saga, _cpu, _search, _overload, _reads, _relay, _ceilings, _memory, _tracing)
    for part in (*parts, _instructions, _upstream):
        section = list(part(run))
        if section:
            lines += [*section, ""]
    if run.get("notes"):
        lines += ["Notes:", *(f"- {note}" for note in run["notes"]), ""]
    return "\n".join(lines).rstrip() + "\n"


def _row(what: str, value: str) -> str:
    return f"| {what} | {value} |"


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value * 1000:,.0f}"


def _saga(run: Figures) -> Iterator[str]:
    saga = run.get("saga")
    if not saga:
        return
    s = saga["summary"]
    confirmed = s["placed_to_confirmed"]
    after = s["accepted_after"]
    quiet = saga["quiet_after_seconds"]
    yield (
        f"### The saga, sustained: {s['rate']:g} orders/s for {s['duration']:g} s "
        "(open loop, approved orders, through the gateway)"
    )
    yield ""
    yield "| figure | value |\n|---|---|"
    counts = f"{s['offered']} / {s['accepted']} / {s['never_accepted']}"
    yield _row("offered / accepted / never accepted", counts)
    outcomes = ", ".join(f"{name} {n}" for name, n in sorted(s["outcomes"].items()))
    yield _row("outcomes of the accepted orders", outcomes or "none")
    refused = ", ".join(f"{status}: {n}" for status, n in sorted(s["refusals"].items()))
    yield _row("answers other than 202 (every attempt, retries included)", refused or "none")
    yield _row("confirmed/s inside the arrival window", f"{s['confirmed_per_second']:.1f}")
    yield _row("final within the run (+1 s)", f"{s['final_within_run']:.1%}")
    cuts = " / ".join(_ms(confirmed[q]) for q in ("p50", "p95", "p99", "max"))
    yield _row("placed → CONFIRMED p50 / p95 / p99 / max (ms, order service clock)", cuts)
    waited = f"{_ms(after['p50'])} / {_ms(after['p99'])}"
    yield _row("accepted after p50 / p99 (ms, client clock from due)", waited)
    yield _row("quiet after the last arrival", "never" if quiet is None else f"{quiet:.1f} s")
    if verdict := saga.get("audit"):
        found = ", ".join(f"{kind} {n}" for kind, n in sorted(verdict["violations"].items()))
        yield _row("the auditor afterwards, with the run's record", found or "consistent")
    busy = (
        f"{saga['machine_busy_share']:.0%} (other programs: {saga['others_cpu_seconds']:.0f} CPU s)"
    )
    yield _row("machine CPU busy, first arrival → quiet", busy)


def _cpu(run: Figures) -> Iterator[str]:
    saga = run.get("saga")
    if not saga:
        return
    yield "### CPU per order, by process (first arrival → quiet, ÷ orders accepted)"
    yield ""
    yield "| process | CPU ms / order |\n|---|---|"
    for name, spent in sorted(saga["cpu_ms_per_order"].items(), key=lambda item: -item[1]):
        yield f"| {name} | {spent:.1f} |"
    yield f"| **the stack, all processes** | **{saga['stack_cpu_ms_per_order']:.1f}** |"
    yield f"| the whole machine (every program) | {saga['machine_cpu_ms_per_order']:.1f} |"


def _search(run: Figures) -> Iterator[str]:
    search = run.get("search")
    if not search:
        return
    highest = search["highest_rate"]
    yield (
        f"### Highest rate with placed → CONFIRMED p99 ≤ {search['p99_target_ms']:.0f} ms: "
        f"{'none of the rates tried' if highest is None else f'{highest:g} orders/s'}"
    )
    yield ""
    yield f"Each step {search['step_seconds']:g} s; to pass, every order accepted and confirmed.\n"
    yield "| rate/s | offered | accepted | confirmed | p99 ms | passed |\n|---|---|---|---|---|---|"
    for step in search["steps"]:
        p99 = "–" if step["p99_ms"] is None else f"{step['p99_ms']:,.0f}"
        yield (
            f"| {step['rate']:g} | {step['offered']} | {step['accepted']} | {step['confirmed']} "
            f"| {p99} | {'yes' if step['passed'] else 'no'} |"
        )


WINDOW_LABELS = {
    "before": "before",
    "overload": "overload",
    "after": "just after",
    "later": "later",
}


def _overload(run: Figures) -> Iterator[str]:
    over = run.get("overload")
    if not over:
        return
    windows = over["windows"]
    rate, target = over["sustainable_rate"], over["p99_target_ms"]
    source = "the search's highest" if over["sustainable_rate_from"] == "search" else "`rate`"
    shown = windows["overload"]
    yield (
        f"### Overload: {over['factor']:g} × {rate:g} orders/s ({source}) for "
        f"{shown['seconds']:g} s, open loop, between the sustainable rate before and after"
    )
    yield ""
    yield (
        "Windows by when each order was due. A refused client tries again once when "
        f"Retry-After says ({over['attempts_per_order']} attempts at most), then goes away; "
        "every answer is counted.\n"
    )
    yield "| figure | " + " | ".join(WINDOW_LABELS[name] for name in windows) + " |"
    yield "|---|" + "---|" * len(windows)

    def row(what: str, cell: Callable[[Figures], str]) -> str:
        return f"| {what} | " + " | ".join(cell(w) for w in windows.values()) + " |"

    def cuts(figures: Figures) -> str:
        return " / ".join(_ms_or_dash(figures[q]) for q in ("p50_ms", "p99_ms"))

    yield row("offered", lambda w: f"{w['rate']:g}/s for {w['seconds']:g} s: {w['offered']:,}")
    yield row("attempts, retries included (per s)", lambda w: f"{w['attempts_per_second']:.1f}")
    yield row(
        "accepted (after a refusal)", lambda w: f"{w['accepted']:,} ({w['refused_then_accepted']})"
    )
    yield row(
        "refused at the door (Retry-After): orders / answers",
        lambda w: f"{w['refused_orders']:,} / {w['refused_answers']:,}",
    )
    yield row("never accepted", lambda w: f"{w['never_accepted']:,}")
    yield row("answers other than 202", lambda w: _counts(w["answers"]))
    yield row("outcomes of the accepted", lambda w: _counts(w["outcomes"]))
    yield row("placed → final p50 / p99 (ms)", lambda w: cuts(w["placed_to_final"]))
    yield row("accepted after p50 / p99 (ms, client clock)", lambda w: cuts(w["accepted_after"]))
    yield ""
    yield "| issue 12 asks | measured | met |\n|---|---|---|"
    confirmed, share = over["confirmed_per_second_in_overload"], over["confirmed_vs_sustainable"]
    yield (
        f"| confirmed/s while overloaded ≥ 90 % of {rate:g}/s | {confirmed:.1f}/s, "
        f"{share:.0%} | {_yes(share >= 0.9)} |"
    )
    timed_out, audited = over["accepted_then_timed_out"], over["audit"]
    found = ", ".join(f"{kind} {n}" for kind, n in sorted(audited["violations"].items()))
    yield (
        f"| no order accepted, then timed out | {timed_out} (the auditor: "
        f"{audited['timed_out']} timed out, {found or 'consistent'}) | "
        f"{_yes(timed_out == 0 and audited['timed_out'] == 0)} |"
    )
    elsewhere = over.get("answers_not_at_the_door")
    if elsewhere is not None:
        yield (
            "| every order not taken refused at the door (503 `overloaded`, 429, Retry-After) | "
            f"{elsewhere:,} answers neither a 202 nor such a refusal | {_yes(elsewhere == 0)} |"
        )
    last = over["last_not_confirmed_in_time_seconds"]
    later = windows.get("later")
    if later is not None:
        since = later["start"] - shown["start"] - shown["seconds"]
        measured = (
            f"p99 {_ms_or_dash(later['placed_to_final']['p99_ms'])} ms, "
            f"{later['never_accepted']} not accepted; the last order not confirmed within "
            f"{target:,.0f} ms was due "
            + ("before the overload's end" if last is None else f"{last:.1f} s after its end")
        )
        yield (
            f"| back to normal within {since:g} s: orders due later placed → final p99 ≤ "
            f"{target:,.0f} ms, all accepted | {measured} | {_yes(over['back_to_normal'])} |"
        )


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{name} {n:,}" for name, n in sorted(counts.items())) or "none"


def _ms_or_dash(value: float | None) -> str:
    return "–" if value is None else f"{value:,.0f}"


def _yes(met: bool | None) -> str:
    return "–" if met is None else ("yes" if met else "**no**")


def _reads(run: Figures) -> Iterator[str]:
    reads = run.get("reads")
    if not reads:
        return
    yield f"### One read (wrk, closed loop, {reads['seconds']:g} s per row, loopback)"
    yield ""
    yield (
        "| what | connections | req/s | p50 ms | p99 ms | errors | CPU ms per request |\n"
        "|---|---|---|---|---|---|---|"
    )

    def row(what: str, connections: int, figures: Figures) -> str:
        cpu = figures.get("cpu_ms_per_request") or {}  # runs before it was measured have none
        spent = " + ".join(f"{name} {ms:.2f}" for name, ms in cpu.items()) or "–"
        return (
            f"| {what} | {connections} | {figures['requests_per_second']:,.0f} | "
            f"{figures['p50_ms']:.1f} | {figures['p99_ms']:.1f} | {figures['errors']} | {spent} |"
        )

    yield row(
        "bare FastAPI hello world (uvicorn)", reads["bare_app"]["connections"], reads["bare_app"]
    )
    yield row(
        "order service `/healthz`", reads["order_healthz"]["connections"], reads["order_healthz"]
    )
    for pair in reads["get_order"]:
        yield row(
            "`GET /orders/{id}` straight to the order service", pair["connections"], pair["direct"]
        )
        share = f"gateway, {pair['gateway_share']:.0%} of direct"
        yield row(
            f"`GET /api/v1/orders/{{id}}` through the {share}", pair["connections"], pair["gateway"]
        )


def _relay(run: Figures) -> Iterator[str]:
    relay = run.get("relay")
    if not relay:
        return
    yield f"### Outbox relay ({relay['partitions']} partitions, each relay a uvloop process)"
    yield ""
    yield "| figure | value |\n|---|---|"
    for relays, rate in relay["drain_per_second"].items():
        yield f"| drain a backlog of {relay['backlog']:,} rows, {relays} | {rate:,.0f} events/s |"
    for label, lag in relay["commit_to_published"].items():
        how = (
            "LISTEN/NOTIFY"
            if label == "listen_notify"
            else f"polling only, every {relay['poll_interval_seconds']:g} s"
        )
        what = f"commit → published, {how}, {lag['rate']}/s for {lag['seconds']} s"
        achieved = f"(achieved {lag['achieved_rate']:.0f}/s)"
        yield _row(f"{what} {achieved}", f"p50 {lag['p50_ms']:.1f} ms, p99 {lag['p99_ms']:.1f} ms")


def _ceilings(run: Figures) -> Iterator[str]:
    ceilings = run.get("ceilings")
    if not ceilings:
        return
    pg, kafka = ceilings["postgres"], ceilings["kafka"]
    yield "### Ceilings, same run"
    yield ""
    yield "| figure | value |\n|---|---|"
    yield (
        f"| pgbench TPC-B-like, {pg['clients']} clients, on {pg['server']} "
        f"(synchronous_commit {pg['synchronous_commit']}, fsync {pg['fsync']}) | "
        f"{pg['commits_per_second']:,.0f} commits/s |"
    )
    yield (
        f"| Kafka produce (acks=all) → consume, one at a time, {kafka['round_trips']} trips | "
        f"p50 {kafka['round_trip_p50_ms']:.1f} ms, p99 {kafka['round_trip_p99_ms']:.1f} ms |"
    )
    produce = f"{kafka['batched_produce_per_second']:,.0f} msg/s"
    yield _row("Kafka batched produce (acks=all, 200 B)", produce)
    if reads := run.get("reads"):
        bare = f"{reads['bare_app']['requests_per_second']:,.0f} req/s"
        yield _row("bare uvicorn + FastAPI hello world", bare)


def _memory(run: Figures) -> Iterator[str]:
    at_rest = run.get("memory_at_rest_mb")
    if not at_rest:
        return
    under_load = (run.get("saga") or {}).get("peak_pss_mb", {})
    yield "### Memory (PSS, MB: each process with its children, shared pages split)"
    yield ""
    yield "| process | at rest | peak under the sustained load |\n|---|---|---|"
    for name in sorted(at_rest):
        peak = under_load.get(name)
        yield f"| {name} | {at_rest[name]:.0f} | {'–' if peak is None else f'{peak:.0f}'} |"
    peak = sum(v for k, v in under_load.items() if k in at_rest)
    total_peak = f"**{peak:.0f}**" if under_load else "–"
    yield f"| **total** | **{sum(at_rest.values()):.0f}** | {total_peak} |"


def _tracing(run: Figures) -> Iterator[str]:
    traced = run.get("tracing")
    if not traced:
        return
    capacity = traced.get("capacity_vs_off", {})
    spread = traced.get("capacity_spread", {})
    at_once = "every mode at once, " if traced.get("reads_at_once") else ""
    yield (
        f"### Tracing cost: GET one product through a gateway ({at_once}"
        f"{traced['connections']} connections, {traced['seconds']:g} s, median of "
        f"{traced.get('read_rounds', traced['rounds'])} rounds), approved orders "
        f"({traced.get('order_rate', 0):g}/s for {traced.get('order_seconds', 0):g} s, "
        f"median of {traced['rounds']})"
    )
    yield ""
    yield (
        "| tracing | req/s | vs off | p99 ms | CPU ms/request | capacity vs off (reads) "
        "| CPU ms/order | capacity vs off (orders) |\n|---|---|---|---|---|---|---|---|"
    )
    labels = {"off": "off", "default": "default (10 %)", "full": "full (100 %)"}
    for mode, figures in traced["modes"].items():
        reads = capacity.get("reads", {}).get(mode)
        orders = capacity.get("orders", {}).get(mode)
        per_order = figures.get("cpu_ms_per_order")
        yield (
            f"| {labels.get(mode, mode)} | {figures['requests_per_second']:,.0f} | "
            f"{traced['vs_off'][mode]:.2f} | {figures['p99_ms']:.1f} | "
            f"{figures['cpu_ms_per_request']:.2f}{_in_kernel(figures)} | "
            f"{_ratio(reads, spread.get('reads', {}).get(mode))} | "
            f"{'–' if per_order is None else f'{per_order:.1f}'} | "
            f"{_ratio(orders, spread.get('orders', {}).get(mode))} |"
        )
    yield ""
    yield (
        "CPU: the gateway and inventory per request (of it, in the kernel); the gateway and "
        "the five services per "
        "order (until the shop is quiet). Capacity vs off = untraced CPU ÷ this mode's in the "
        "same round, the median of the rounds (their lowest–highest in brackets): the share "
        "of untraced throughput the same CPU serves (the default must keep ≥ 0.90)."
    )


def _instructions(run: Figures) -> Iterator[str]:
    counted = run.get("tracing_instructions")
    if not counted:
        return
    per_read = counted["million_instructions_per_read"]
    modes = list(per_read["gateway + inventory"])
    yield (
        f"### Tracing cost in instructions: GET one product, {counted['reads']} reads one "
        "after the other per process and mode, under callgrind"
    )
    yield ""
    yield "| M instructions per read | " + " | ".join(modes) + " |"
    yield "|---|" + "---|" * len(modes)
    for process, figures in per_read.items():
        yield f"| {process} | " + " | ".join(f"{figures[mode]:.3f}" for mode in modes) + " |"
    capacity = counted["capacity_vs_off"]
    yield "| capacity vs off | " + " | ".join(f"{capacity[mode]:.3f}" for mode in modes) + " |"
    yield ""
    yield (
        "User-space instructions of each process, its threads included; `default` is "
        f"unsampled + {counted['default_ratio']:g} × (full − unsampled). Deterministic where "
        "CPU time is not: runs of different commits compare directly (ADR 0025)."
    )


def _in_kernel(figures: Figures) -> str:
    system = figures.get("system_ms_per_request")
    return "" if system is None else f" (system {system:.2f})"


def _ratio(value: float | None, spread: Sequence[float] | None = None) -> str:
    if value is None:
        return "–"
    if not spread or spread[0] == spread[1]:
        return f"{value:.2f}"
    return f"{value:.2f} ({spread[0]:.2f}–{spread[1]:.2f})"


def _upstream(run: Figures) -> Iterator[str]:
    upstream = run.get("upstream_clients")
    if not upstream:
        return
    yield f"### Gateway upstream clients (ADR 0006), GET one product ({upstream['sku']})"
    yield ""
    yield "| path | concurrency | req/s | p50 ms | p99 ms | vs direct |\n|---|---|---|---|---|---|"
    for row in upstream["reads"]:
        yield (
            f"| {row['path']} | {row['concurrency']} | {row['requests_per_second']:,.0f} | "
            f"{row['p50_ms']:.1f} | {row['p99_ms']:.1f} | {row['vs_direct']:.2f} |"
        )
    redis = ", ".join(
        f"{call} p50 {p50:.2f} ms, p99 {p99:.2f} ms"
        for call, (p50, p99) in upstream["redis_p50_p99_ms"].items()
    )
    yield f"\nRedis round trip: {redis}."
    calls = ", ".join(
        f"{n} process(es): {c}" for n, c in upstream["calls_before_breakers_open"].items()
    )
    yield f"Calls reaching a failing upstream before every breaker is open: {calls}."


def history_row(run: Figures) -> str:
    saga, search, reads, relay = (run.get(k) or {} for k in ("saga", "search", "reads", "relay"))
    sustained = "–"
    if saga:
        s = saga["summary"]
        sustained = (
            f"{s['rate']:g}/s → {s['confirmed_per_second']:.1f}/s, "
            f"p99 {_ms(s['placed_to_confirmed']['p99'])} ms"
        )
    highest = (
        "–" if not search or search["highest_rate"] is None else f"{search['highest_rate']:g}/s"
    )
    over = run.get("overload")
    overloaded = (
        f"{over['confirmed_vs_sustainable']:.0%}, {over['accepted_then_timed_out']}"
        if over
        else "–"
    )
    cpu = f"{saga['stack_cpu_ms_per_order']:.0f} ms" if saga else "–"
    read = "–"
    if reads:
        widest = reads["get_order"][-1]
        read = (
            f"{widest['direct']['requests_per_second']:,.0f} / "
            f"{widest['gateway']['requests_per_second']:,.0f} req/s (c={widest['connections']})"
        )
    drain = f"{relay['drain_per_second']['1 relay']:,.0f}/s" if relay else "–"
    cells = (run["date"], f"`{run['commit']}`", sustained, highest, overloaded, cpu, read, drain)
    return "| " + " | ".join(cells) + " |"


def update_docs(path: Path, run: Figures) -> None:
    """Replace the latest run's tables and add its row to the history."""
    text = path.read_text()
    text = _between(text, LATEST, "\n" + markdown(run))
    begin, end = HISTORY
    rows = re.search(re.escape(begin) + r"\n(.*?)" + re.escape(end), text, re.DOTALL)
    old = [
        _columns(line)
        for line in (rows.group(1) if rows else "").splitlines()
        if line.startswith("| 2")
    ]
    text = _between(text, HISTORY, "\n".join([HISTORY_HEADER, *old, history_row(run)]) + "\n")
    path.write_text(text)


def _columns(row: str) -> str:
    """A history row of a run before the overload was measured, with its cell as "–"."""
    cells = row.strip().strip("|").split(" | ")
    if len(cells) == HISTORY_COLUMNS - 1:
        cells.insert(4, "–")
    return "| " + " | ".join(cell.strip() for cell in cells) + " |"


def _between(text: str, markers: tuple[str, str], body: str) -> str:
    begin, end = markers
    if begin not in text or end not in text:
        return text.rstrip() + f"\n\n{begin}\n{body}{end}\n"
    head, rest = text.split(begin, 1)
    return f"{head}{begin}\n{body}{end}{rest.split(end, 1)[1]}"
