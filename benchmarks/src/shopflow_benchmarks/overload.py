"""Overload: twice the sustainable rate for a minute, then the sustainable rate again.

Issue 12 asks three things of a shop offered more than it can finish: that it still
confirms about as many orders a second as it sustains (≥ 90 %), that whatever it cannot
finish it refuses at the door (503/429 with Retry-After), never accepts and then cancels
(`CANCELLED (timed_out)`), and that latency is back to normal within 10 s of the
overload's end (ADR 0015's admission control is what should make all three hold).

One open-loop schedule of approved orders, four windows by when each order was due:
*before* (`overload_baseline_seconds` at the sustainable rate: what normal is, measured
minutes from the rest), *overload* (`overload_factor` × the rate for `overload_seconds`),
*after* (the rate again, the first `overload_recover_within` seconds) and *later* (the
rest of `overload_recovery_seconds`). The sustainable rate is the one the search of the
same run found (the highest with placed → CONFIRMED p99 within the target), else the
run's `rate`.

Clients behave as well as real ones and no better: a refused client tries again once,
when Retry-After says, with the same Idempotency-Key (`overload_attempts`), then goes
away; it does not come back after the run. Every answer is counted, so retries hide no
refusal: refusals per answer and per order, and the first attempts alone are the offered
rate.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from shopflow_benchmarks.harness import Bench, Sizes
from shopflow_benchmarks.saga import APPROVED_ONLY
from shopflow_drills.audit import audit
from shopflow_drills.audit.quiet import wait_for_quiet
from shopflow_drills.load import (
    ClientOrder,
    LoadPlan,
    LoadRecord,
    Percentiles,
    RetryPolicy,
    place_orders,
    read_outcomes,
)
from shopflow_drills.load.record import Attempt

TIMED_OUT = "CANCELLED (timed_out)"
# Refused at the door, before any work, with Retry-After: the gateway's rate limit and the
# order service's admission (ADR 0015). A 503 `upstream-unavailable` is not one: the
# gateway's breaker was open, or the order service did not answer in time (it may have
# taken the order): a shop that answers so under load has not refused at the door.
DOOR = {429: None, 503: "overloaded"}  # status: problem type (None: any)


@dataclass(frozen=True)
class Window:
    name: str
    start: float  # seconds from the run's start, by when orders were due
    seconds: float
    rate: float  # offered, orders a second

    @property
    def end(self) -> float:
        return self.start + self.seconds


def windows(rate: float, sizes: Sizes) -> list[Window]:
    """The schedule's windows, each a stage of the plan (its bounds summed as the plan's
    schedule sums them, so an order due at a bound falls in the window it starts)."""
    within = min(sizes.overload_recover_within, sizes.overload_recovery_seconds)
    stages = [
        ("before", rate, sizes.overload_baseline_seconds),
        ("overload", rate * sizes.overload_factor, sizes.overload_seconds),
        ("after", rate, within),
        ("later", rate, sizes.overload_recovery_seconds - within),
    ]
    found: list[Window] = []
    start = 0.0
    for name, offered, seconds in stages:
        if seconds > 0:
            found.append(Window(name, start, seconds, offered))
            start += seconds
    return found


async def overload(bench: Bench) -> dict[str, Any]:
    sizes = bench.sizes
    found = bench.sustainable_rate
    rate = found or sizes.saga_rate
    stages = [(w.rate, w.seconds) for w in windows(rate, sizes)]
    plan = LoadPlan(
        bench.gateway_url,
        rate=stages[0][0],
        duration=stages[0][1],
        then=tuple(stages[1:]),
        mix=APPROVED_ONLY,
        retry=RetryPolicy(attempts=sizes.overload_attempts),
        come_back=False,
    )
    motion, _ = await wait_for_quiet(bench.deployment, sizes.quiet_timeout)
    if not motion.quiet:
        bench.notes.append(f"the overload began on a busy shop: {motion.describe()}")
    record = await place_orders(plan)
    await wait_for_quiet(bench.deployment, sizes.quiet_timeout)
    await read_outcomes(plan, record, sizes.settle_seconds)
    verdict = await audit(
        bench.deployment, records=[("overload", record)], quiet_timeout=sizes.quiet_timeout
    )
    figures = overload_figures(record, windows(rate, sizes), rate, sizes.p99_target)
    return {
        "sustainable_rate": rate,
        "sustainable_rate_from": "search" if found else "rate",
        "factor": sizes.overload_factor,
        "attempts_per_order": sizes.overload_attempts,
        "p99_target_ms": sizes.p99_target * 1000,
        **figures,
        "audit": {
            "consistent": verdict.consistent,
            "violations": verdict.counts(),
            "timed_out": verdict.timed_out,
        },
    }


def overload_figures(
    record: LoadRecord, found: Sequence[Window], rate: float, p99_target: float
) -> dict[str, Any]:
    """The record's figures, window by window, and the issue's three criteria against
    the sustainable `rate` and the latency target."""
    by_window = {
        w.name: [o for o in record.orders if w.start <= o.scheduled_at < w.end] for w in found
    }
    figures = {w.name: _window(w, by_window[w.name]) for w in found}
    overload = next(w for w in found if w.name == "overload")
    confirmed = _confirmed_per_second(record, overload)
    later = figures.get("later")
    return {
        "windows": figures,
        "confirmed_per_second_in_overload": confirmed,
        "confirmed_vs_sustainable": confirmed / rate,
        "accepted_then_timed_out": sum(w["outcomes"].get(TIMED_OUT, 0) for w in figures.values()),
        "answers_not_at_the_door": sum(
            w["attempts"] - w["accepted"] - w["refused_answers"] for w in figures.values()
        ),
        "last_not_confirmed_in_time_seconds": _last_not_confirmed_in_time(
            record.orders, overload.end, p99_target
        ),
        "back_to_normal": None
        if later is None
        else (
            later["never_accepted"] == 0
            and later["placed_to_final"]["p99_ms"] is not None
            and later["placed_to_final"]["p99_ms"] <= p99_target * 1000
        ),
    }


def _window(window: Window, orders: list[ClientOrder]) -> dict[str, Any]:
    attempts = [a for o in orders for a in o.attempts]
    refusals = [a for a in attempts if not a.order_id]
    accepted = [o for o in orders if o.order_id]
    final = [o.outcome for o in accepted if o.outcome and o.outcome.final]
    return {
        "start": window.start,
        "seconds": window.seconds,
        "rate": window.rate,
        "offered": len(orders),
        "attempts": len(attempts),
        "attempts_per_second": len(attempts) / window.seconds,
        "accepted": len(accepted),
        "refused_answers": sum(1 for a in refusals if _at_the_door(a)),
        "refused_orders": sum(1 for o in orders if any(_at_the_door(a) for a in o.attempts)),
        "refused_then_accepted": sum(
            1 for o in accepted if any(_at_the_door(a) for a in o.attempts)
        ),
        "never_accepted": len(orders) - len(accepted),
        "answers": dict(Counter(_answer(a) for a in refusals)),
        "outcomes": dict(Counter(_outcome(o) for o in accepted)),
        "placed_to_final": _ms(Percentiles.of([o.placed_to_final for o in final])),
        "accepted_after": _ms(
            Percentiles.of([a for o in accepted if (a := o.accepted_after) is not None])
        ),
    }


def _at_the_door(attempt: Attempt) -> bool:
    if attempt.status not in DOOR or attempt.retry_after is None:
        return False
    problem = DOOR[attempt.status]
    return problem is None or attempt.problem == problem


def _answer(attempt: Attempt) -> str:
    if attempt.status is None:
        return "no answer"
    named = f"{attempt.status} {attempt.problem}" if attempt.problem else str(attempt.status)
    return f"{named} (Retry-After)" if attempt.retry_after is not None else named


def _outcome(order: ClientOrder) -> str:
    outcome = order.outcome
    if outcome is None:
        return "unknown"
    return f"{outcome.status} ({outcome.reason})" if outcome.reason else outcome.status


def _ms(cuts: Percentiles) -> dict[str, Any]:
    def ms(value: float | None) -> float | None:
        return None if value is None else value * 1000

    return {"count": cuts.count, "p50_ms": ms(cuts.p50), "p99_ms": ms(cuts.p99)}


def _confirmed_per_second(record: LoadRecord, window: Window) -> float:
    """Orders that became CONFIRMED while the overload was offered (the order service's
    clock, the run's start anchoring the window), whenever they were placed."""
    start = record.started_at + timedelta(seconds=window.start)
    end = record.started_at + timedelta(seconds=window.end)
    outcomes = [o.outcome for o in record.orders if o.outcome is not None]
    confirmed = [o for o in outcomes if o.status == "CONFIRMED" and start <= o.updated_at < end]
    return len(confirmed) / window.seconds


def _last_not_confirmed_in_time(
    orders: Sequence[ClientOrder], since: float, target: float
) -> float | None:
    """Seconds after `since` at which the last order was due that was not accepted, not
    CONFIRMED, or CONFIRMED only after `target`: from then on the shop was back to normal."""
    abnormal = [
        o.scheduled_at - since
        for o in orders
        if o.scheduled_at >= since
        and (
            o.outcome is None  # never accepted, or its outcome never read
            or o.outcome.status != "CONFIRMED"
            or o.outcome.placed_to_final > target
        )
    ]
    return max(abnormal, default=None)
