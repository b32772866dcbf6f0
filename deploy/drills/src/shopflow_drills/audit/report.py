"""The audit's verdict: how the orders ended, what is still moving, every violation with its ids."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from shopflow_drills.audit.quiet import Motion
from shopflow_drills.audit.violations import INVARIANTS, Violation

SHOWN_PER_KIND = 10  # a drill that loses 500 orders needs the count and a few ids, not 500 lines


@dataclass(frozen=True)
class RecordSummary:
    """A client record, as far as the audit used it."""

    name: str
    orders: int  # what the clients meant to place
    accepted: int  # got a 202
    never_accepted: int  # refused at the door (or no answer) on every attempt


@dataclass
class AuditReport:
    at: datetime
    motion: Motion
    waited: float  # seconds spent waiting for quiet
    since: datetime | None  # the scope of `outcomes` and of the dead letters counted
    outcomes: Counter[str]  # "CONFIRMED", "CANCELLED (timed_out)", "PENDING", … in scope
    orders_total: int
    products: int
    dead_letters_before: int  # on the dead-letter topics from before `since`, not counted
    records: list[RecordSummary] = field(default_factory=list)
    violations: list[Violation] = field(default_factory=list)

    @property
    def consistent(self) -> bool:
        return not self.violations

    @property
    def timed_out(self) -> int:
        return self.outcomes["CANCELLED (timed_out)"]

    def counts(self) -> dict[str, int]:
        """Violations by kind: what a drill asserts on."""
        return dict(Counter(v.kind for v in self.violations))

    def as_json(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "consistent": self.consistent,
            "quiet": self.motion.quiet,
            "waited_seconds": round(self.waited, 3),
            "motion": asdict(self.motion),
            "since": self.since.isoformat() if self.since else None,
            "orders_total": self.orders_total,
            "outcomes": dict(self.outcomes),
            "timed_out": self.timed_out,
            "products": self.products,
            "dead_letters_before": self.dead_letters_before,
            "records": [asdict(r) for r in self.records],
            "violation_counts": self.counts(),
            "violations": [asdict(v) for v in self.violations],
        }

    def text(self) -> str:
        lines = [f"ShopFlow audit, {self.at:%Y-%m-%d %H:%M:%S %Z}"]
        if self.motion.quiet:
            lines.append(
                f"quiet after {self.waited:.1f} s: no saga in flight, outboxes drained, "
                "consumers caught up"
            )
        else:
            lines.append(f"NOT quiet after {self.waited:.1f} s: {self.motion.describe()}")
        scope = f"since {self.since:%Y-%m-%d %H:%M:%S}" if self.since else "all"
        in_scope = sum(self.outcomes.values())
        outcomes = ", ".join(f"{name} {n}" for name, n in sorted(self.outcomes.items()))
        lines.append(f"orders ({scope}: {in_scope} of {self.orders_total}): {outcomes or 'none'}")
        lines.append(f"cancelled for timeout: {self.timed_out}")
        lines.append(f"products checked: {self.products}")
        if self.dead_letters_before:
            lines.append(
                f"dead letters from before {scope}: {self.dead_letters_before} (not counted)"
            )
        for record in self.records:
            lines.append(
                f"client record {record.name}: {record.orders} orders, {record.accepted} "
                f"accepted, {record.never_accepted} never accepted"
            )
        if self.consistent:
            lines.append("violations: none: consistent")
            return "\n".join(lines)
        lines.append(f"violations: {len(self.violations)}")
        by_kind: dict[tuple[str, str], list[Violation]] = defaultdict(list)
        for violation in self.violations:
            by_kind[violation.invariant, violation.kind].append(violation)
        for (invariant, kind), found in sorted(by_kind.items()):
            lines.append(f"  [{invariant}] {kind} × {len(found)}  ({INVARIANTS[invariant]})")
            lines += [f"      {v.detail}" for v in found[:SHOWN_PER_KIND]]
            if len(found) > SHOWN_PER_KIND:
                lines.append(
                    f"      … and {len(found) - SHOWN_PER_KIND} more (--json has them all)"
                )
        return "\n".join(lines)
