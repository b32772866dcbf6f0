"""A drill's verdict in a few lines: what the customers saw, how the shop recovered, and
every violation the auditor found (or the drill itself: a timeout the shop owed nobody,
a poison message that never reached its dead-letter topic, a fault that did not show).

Recovery is read from the clients' record and the orders' own timestamps: *outage* is
from the injection to the heal (a restart included, until the process is ready);
*recovered* is from the heal until every order accepted before it was final.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field, replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from shopflow_drills.audit import AuditReport, Violation
from shopflow_drills.load import LoadRecord, summarise

if TYPE_CHECKING:
    from shopflow_drills.chaos.catalogue import Drill
    from shopflow_drills.chaos.faults import Fault
    from shopflow_drills.chaos.runner import Timing

HEALS_WITHIN = 30.0  # seconds: invariant 6's promise holds for an outage this short


@dataclass
class Timeline:
    """Seconds on the load's clock (its second 0 is the first arrival)."""

    fault_at: float
    injected: float | None = None
    inject_done: float | None = None
    heal_began: float | None = None
    healed: float | None = None

    @property
    def outage(self) -> float | None:
        if self.injected is None or self.healed is None:
            return None
        return self.healed - self.injected


@dataclass
class DrillReport:
    drill: str
    fault: str
    driver: str
    timing: dict[str, Any]
    timeline: Timeline
    offered: int
    placed: int  # accepted (202) at some attempt
    accepted_late: int  # of them, only when the client came back after the run, same key
    refused: int  # never accepted: refused at the door on every attempt (or no answer)
    refusals: dict[str, int]  # every answer that was not a 202, by status and problem
    outcomes: dict[str, int]  # of placed orders, as their clients last read them
    timed_out: int
    lost: int
    recovered_after: float | None  # seconds from the heal; None: some order never final
    latency: dict[str, str]  # placed → final, accepted after, as percentiles
    notes: list[str] = field(default_factory=list)
    expected_dead_letters: int = 0
    violations: list[Violation] = field(default_factory=list)
    record: LoadRecord | None = field(default=None, repr=False)  # what the clients were told

    @property
    def passed(self) -> bool:
        return not self.violations

    @property
    def confirmed(self) -> int:
        return self.outcomes.get("CONFIRMED", 0)

    @classmethod
    def of(
        cls,
        *,
        drill: Drill,
        fault: Fault,
        driver: str,
        timing: Timing,
        timeline: Timeline,
        record: LoadRecord,
        audit: AuditReport,
        notes: list[str],
        expected_dead_letters: set[str],
        problems: list[str],
    ) -> DrillReport:
        summary = summarise(record)
        placed = [o for o in record.orders if o.order_id]
        outcomes = Counter(
            (o.outcome.status if not o.outcome.reason else f"CANCELLED ({o.outcome.reason})")
            if o.outcome and o.outcome.final
            else "not final"
            for o in placed
        )
        violations, dead_letters = _expected_dead_letters(audit.violations, expected_dead_letters)
        violations += [Violation("drill", "fault-not-shown", problem) for problem in problems]
        timed_out = outcomes.get("CANCELLED (timed_out)", 0)
        outage = 0.0 if fault.served_throughout else timeline.outage
        if fault.ours and timed_out and outage is not None and outage <= HEALS_WITHIN:
            violations.append(
                Violation(
                    "6",
                    "timed-out",
                    f"{timed_out} orders cancelled for timeout after an outage of "
                    f"{outage:.1f} s (≤ {HEALS_WITHIN:g} s): the shop's own fault",
                )
            )
        if fault.ours and outage is not None and outage > HEALS_WITHIN:
            notes.append(
                f"invariant 6 not judged: the outage lasted {outage:.1f} s (restart included), "
                f"longer than {HEALS_WITHIN:g} s; {timed_out} orders cancelled for timeout"
            )
        return cls(
            drill=drill.name,
            fault=fault.describe(),
            driver=driver,
            timing=asdict(timing),
            timeline=timeline,
            offered=summary.offered,
            placed=summary.accepted,
            accepted_late=sum(o.accepted_late for o in record.orders),
            refused=summary.never_accepted,
            refusals=summary.refusals,
            outcomes=dict(outcomes),
            timed_out=timed_out,
            lost=audit.counts().get("lost-order", 0),
            recovered_after=_recovered_after(record, timeline),
            latency={
                "accepted after (client)": summary.accepted_after.ms(),
                "placed → final": summary.placed_to_final.ms(),
            },
            notes=notes,
            expected_dead_letters=dead_letters,
            violations=violations,
            record=record,
        )

    def as_json(self) -> dict[str, Any]:
        data = asdict(replace(self, record=None))
        del data["record"]
        data["passed"] = self.passed
        data["timeline"]["outage"] = self.timeline.outage
        return data

    def text(self) -> str:
        t, line = self.timeline, self.timing
        cancelled = {k[11:-1]: n for k, n in self.outcomes.items() if k.startswith("CANCELLED (")}
        lines = [
            f"drill {self.drill} ({self.driver}): {self.fault}",
            f"  load: {self.offered} orders at {line['rate']:g}/s for {line['duration']:g} s; "
            + _fault_times(t),
            f"  placed {self.placed}"
            + (
                f" ({self.accepted_late} only when their clients came back after the run, same key)"
                if self.accepted_late
                else ""
            )
            + f", refused at the door {self.refused}"
            + (f" (answers other than 202: {_counts(self.refusals)})" if self.refusals else ""),
            f"  confirmed {self.confirmed}, cancelled {sum(cancelled.values())}"
            + (f" ({_counts(cancelled)})" if cancelled else "")
            + (f", not final {self.outcomes['not final']}" if "not final" in self.outcomes else "")
            + f"; lost {self.lost}; cancelled for timeout {self.timed_out}",
            "  recovered: "
            + (
                f"{self.recovered_after:.1f} s after the heal (every order placed before it final)"
                if self.recovered_after is not None
                else "never: an order accepted before the heal is not final"
            ),
            *(f"  {name}: {value}" for name, value in self.latency.items()),
            *(f"  {note}" for note in self.notes),
        ]
        if self.expected_dead_letters:
            lines.append(f"  dead letters expected (its poison): {self.expected_dead_letters}")
        if self.passed:
            lines.append("  violations: none → PASS")
        else:
            lines.append(f"  violations: {len(self.violations)} → FAIL")
            kinds = Counter(v.kind for v in self.violations)
            for kind, n in sorted(kinds.items()):
                first = next(v for v in self.violations if v.kind == kind)
                lines.append(f"    [{first.invariant}] {kind} × {n}: {first.detail}")
        return "\n".join(lines)


def _fault_times(t: Timeline) -> str:
    if t.injected is None:
        return "no fault injected"
    text = f"fault at {t.injected:.1f} s"
    if t.healed is not None and t.outage is not None:
        text += f", healed at {t.healed:.1f} s (outage {t.outage:.1f} s)"
    return text


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{name} ×{n}" for name, n in sorted(counts.items(), key=lambda c: -c[1]))


def _expected_dead_letters(
    violations: list[Violation], expected: set[str]
) -> tuple[list[Violation], int]:
    """The audit's violations without the dead letters of the drill's own poison, plus one
    for each poison that did not reach its dead-letter topic exactly once; and how many
    expected dead letters were seen."""
    seen: Counter[str] = Counter()
    kept = []
    for violation in violations:
        key = next((i for i in violation.ids if i in expected), None)
        if violation.kind == "dead-letter" and key is not None:
            seen[key] += 1
        else:
            kept.append(violation)
    for key in sorted(expected):
        if seen[key] != 1:
            detail = f"poison {key} dead-lettered {seen[key]} times, not once"
            kept.append(Violation("5", "poison-not-dead-lettered-once", detail, (key,)))
    return kept, sum(seen.values())


def _recovered_after(record: LoadRecord, timeline: Timeline) -> float | None:
    """Seconds from the heal until the last order accepted before it became final."""
    if timeline.healed is None:
        return None
    healed_at = record.started_at + timedelta(seconds=timeline.healed)
    before = [
        o
        for o in record.orders
        if o.order_id and o.attempts and o.attempts[0].sent_at <= timeline.healed
    ]
    if any(not (o.outcome and o.outcome.final) for o in before):
        return None
    finals = [o.outcome.updated_at for o in before if o.outcome]
    if not finals:
        return 0.0
    return max(0.0, (max(finals) - healed_at).total_seconds())
