"""The auditor: after any run or drill, does the shop still hold DESIGN.md's invariants?

    report = await audit(Deployment.from_environment(os.environ), records=[record])
    assert report.consistent, report.text()

It waits (bounded) for quiet, reads every service's database, the provider simulator's
ledger and the dead-letter topics, and checks invariants 1–5, the timed-out count of
invariant 6, what customers were told (notifications) and, given load records, what the
clients were told. `python -m shopflow_drills.audit` (`make audit`) prints the verdict.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from shopflow_drills.audit.client_view import client_violations
from shopflow_drills.audit.delivery import dead_letters, delivery_violations
from shopflow_drills.audit.invariants import check_world
from shopflow_drills.audit.quiet import Motion, wait_for_quiet
from shopflow_drills.audit.report import AuditReport, RecordSummary
from shopflow_drills.audit.violations import Violation
from shopflow_drills.audit.world import Order, read_world
from shopflow_drills.deployment import Deployment
from shopflow_drills.load.record import LoadRecord

__all__ = ["AuditReport", "Violation", "audit"]


async def audit(
    deployment: Deployment,
    *,
    quiet_timeout: float = 60.0,
    since: datetime | None = None,
    records: Sequence[tuple[str, LoadRecord]] = (),
    timed_out_fails: bool = False,
) -> AuditReport:
    """Wait for quiet (at most `quiet_timeout` s), then check everything.

    `since` scopes the outcome counts, the timed-out count and the dead letters counted
    (default: the start of the earliest record, else everything); the invariants are
    always checked on the whole world. `records` are (name, record) pairs.
    """
    motion, waited = await wait_for_quiet(deployment, quiet_timeout)
    world = await read_world(deployment)
    letters, unread = await dead_letters(deployment)
    if since is None and records:
        since = min(record.started_at for _, record in records)
    recent = [letter for letter in letters if since is None or letter.failed_at >= since]
    scope = [o for o in world.orders.values() if since is None or o.created_at >= since]
    violations = [
        *_not_quiet(motion),
        *check_world(world),
        *delivery_violations(world.unpublished, recent, unread),
        *(_timed_out(scope) if timed_out_fails else ()),
    ]
    for _, record in records:
        violations += client_violations(record, world)
    return AuditReport(
        at=datetime.now(UTC),
        motion=motion,
        waited=waited,
        since=since,
        outcomes=Counter(_outcome(order) for order in scope),
        orders_total=len(world.orders),
        products=len(world.stock),
        dead_letters_before=len(letters) - len(recent),
        records=[_summary(name, record) for name, record in records],
        violations=violations,
    )


def _not_quiet(motion: Motion) -> list[Violation]:
    if motion.quiet:
        return []
    return [Violation("1", "not-quiet", f"never quiet: {motion.describe()}")]


def _timed_out(orders: Sequence[Order]) -> list[Violation]:
    return [
        Violation("6", "timed-out", f"order {o.id} CANCELLED (timed_out)", (o.id,))
        for o in orders
        if o.reason == "timed_out"
    ]


def _outcome(order: Order) -> str:
    return f"{order.status} ({order.reason})" if order.reason else order.status


def _summary(name: str, record: LoadRecord) -> RecordSummary:
    accepted = sum(1 for order in record.orders if order.order_id)
    return RecordSummary(
        Path(name).name, len(record.orders), accepted, len(record.orders) - accepted
    )
