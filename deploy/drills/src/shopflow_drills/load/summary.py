"""A load run in figures: what was offered, accepted, refused, how orders ended, how fast.

Two clocks, each named where it is used:
- *accepted after*: the client's clock, from when an order was due (open loop) to its
  202, retries included: the wait a customer saw at the door;
- *placed → final*: the order service's clock, from the order's `created_at` to its
  `updated_at`, when its status became CONFIRMED or CANCELLED: what the customer waits
  for the outcome. Throughput counts the orders that became final inside the arrival
  window, on the same clock (the client's wall clock at the start anchors the window).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any

from shopflow_drills.load.record import Attempt, LoadRecord, Outcome

FINAL_GRACE_SECONDS = 1.0  # "final within the run": by the end of its arrivals plus this


@dataclass(frozen=True)
class Percentiles:
    count: int
    p50: float | None
    p95: float | None
    p99: float | None
    max: float | None

    @classmethod
    def of(cls, values: Sequence[float]) -> Percentiles:
        """Nearest-rank percentiles (a value that was measured, never an interpolation)."""
        ordered = sorted(values)

        def rank(q: float) -> float | None:
            return ordered[max(0, math.ceil(q * len(ordered)) - 1)] if ordered else None

        return cls(
            len(ordered), rank(0.50), rank(0.95), rank(0.99), ordered[-1] if ordered else None
        )

    def ms(self) -> str:
        if not self.count:
            return "none measured"
        cuts = (self.p50, self.p95, self.p99, self.max)
        return (
            " / ".join(f"{(c or 0) * 1000:.0f}" for c in cuts)
            + f" ms (p50/p95/p99/max, n={self.count})"
        )


@dataclass(frozen=True)
class LoadSummary:
    rate: float
    duration: float
    offered: int
    sent_per_second: float  # first attempts sent ÷ the arrival window
    accepted: int
    never_accepted: int
    retried: int  # orders that needed more than one attempt
    refusals: dict[str, int]  # every non-202 answer: "503 upstream-unavailable", "no answer"
    outcomes: dict[str, int]  # of accepted orders: CONFIRMED, CANCELLED (reason), PENDING, unknown
    final_within_run: float  # fraction of accepted orders final by the arrivals' end + grace
    final_per_second: float  # orders that became final inside the arrival window, per second
    confirmed_per_second: float
    accepted_after: Percentiles  # client clock: due → 202
    placed_to_final: Percentiles  # order service clock: created_at → updated_at
    placed_to_confirmed: Percentiles

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    def text(self) -> str:
        outcomes = ", ".join(f"{name} {n}" for name, n in sorted(self.outcomes.items()))
        refusals = ", ".join(f"{status}: {n}" for status, n in sorted(self.refusals.items()))
        return "\n".join(
            [
                f"offered {self.offered} orders at {self.rate:g}/s for {self.duration:g} s "
                f"(sent {self.sent_per_second:.1f}/s)",
                f"accepted {self.accepted}, never accepted {self.never_accepted}, "
                f"retried {self.retried}; refusals: {refusals or 'none'}",
                f"outcomes: {outcomes or 'none'}",
                f"final within the run (+{FINAL_GRACE_SECONDS:g} s): {self.final_within_run:.1%}; "
                f"final {self.final_per_second:.1f}/s, confirmed {self.confirmed_per_second:.1f}/s "
                "inside the arrival window",
                f"accepted after (client clock, from due): {self.accepted_after.ms()}",
                f"placed → final (order service clock): {self.placed_to_final.ms()}",
                f"placed → CONFIRMED: {self.placed_to_confirmed.ms()}",
            ]
        )


def summarise(record: LoadRecord) -> LoadSummary:
    accepted = [o for o in record.orders if o.order_id]
    outcomes: list[Outcome] = [o.outcome for o in accepted if o.outcome]
    final = [o for o in outcomes if o.final]
    window_end = record.started_at + timedelta(seconds=record.duration)
    in_window = [o for o in final if record.started_at <= o.updated_at <= window_end]
    grace = window_end + timedelta(seconds=FINAL_GRACE_SECONDS)
    refusals: Counter[str] = Counter(
        _refusal(a) for o in record.orders for a in o.attempts if not a.order_id
    )
    firsts = [o.attempts[0].sent_at for o in record.orders if o.attempts]
    return LoadSummary(
        rate=record.rate,
        duration=record.duration,
        offered=len(record.orders),
        sent_per_second=len(firsts) / record.duration if record.duration else 0.0,
        accepted=len(accepted),
        never_accepted=len(record.orders) - len(accepted),
        retried=sum(1 for o in record.orders if len(o.attempts) > 1),
        refusals=dict(refusals),
        outcomes=dict(Counter(_name(o.outcome) for o in accepted)),
        final_within_run=(
            sum(1 for o in final if o.updated_at <= grace) / len(accepted) if accepted else 0.0
        ),
        final_per_second=len(in_window) / record.duration if record.duration else 0.0,
        confirmed_per_second=(
            sum(1 for o in in_window if o.status == "CONFIRMED") / record.duration
            if record.duration
            else 0.0
        ),
        accepted_after=Percentiles.of([a for o in accepted if (a := o.accepted_after) is not None]),
        placed_to_final=Percentiles.of([o.placed_to_final for o in final]),
        placed_to_confirmed=Percentiles.of(
            [o.placed_to_final for o in final if o.status == "CONFIRMED"]
        ),
    )


def _refusal(attempt: Attempt) -> str:
    if attempt.status is None:
        return "no answer"
    return f"{attempt.status} {attempt.problem}" if attempt.problem else str(attempt.status)


def _name(outcome: Outcome | None) -> str:
    if outcome is None:
        return "unknown"
    return f"{outcome.status} ({outcome.reason})" if outcome.reason else outcome.status
