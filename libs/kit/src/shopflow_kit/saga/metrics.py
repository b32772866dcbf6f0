"""A saga store's Prometheus instruments: sagas started, how they ended, how long it took.

A saga's outcome is fixed when it commits (passes its point of no return: the order is
CONFIRMED then) or when it is cancelled (everything undone): that moment ends the
duration, which is what a customer waits for. Counted only once the transaction that
decided it commits, so a rolled-back or retried reply counts once.
"""

from collections.abc import Callable
from datetime import datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from shopflow_kit.saga.definition import SagaDefinition
from shopflow_kit.saga.engine import Decision

# Seconds; 5 is the order SLO's threshold ("99% of orders final within 5 s").
DURATION_BUCKETS = (0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 20, 30, 60, 120, 300)

COMMITTED = "committed"
CANCELLED = "cancelled"


class SagaMetrics:
    def __init__(self, registry: CollectorRegistry, definition: SagaDefinition[Any]) -> None:
        self.saga = definition.name
        self.started = Counter("saga_started_total", "Sagas started.", ["saga"], registry=registry)
        self.ended = Counter(
            "saga_ended_total",
            "Sagas whose outcome is fixed: committed, or cancelled with a reason.",
            ["saga", "outcome", "reason"],
            registry=registry,
        )
        self.duration = Histogram(
            "saga_duration_seconds",
            "From a saga's start to its outcome being fixed, by outcome.",
            ["saga", "outcome"],
            buckets=DURATION_BUCKETS,
            registry=registry,
        )
        self.needs_attention = Counter(
            "saga_needs_attention_total",
            "Sagas set aside for an operator (make sagas): data that does not read "
            "(unreadable), or an undo or final step nobody confirmed (unconfirmed).",
            ["saga", "why"],
            registry=registry,
        )
        self.waiting_for_operator = Gauge(
            "saga_waiting_for_operator",
            "Sagas waiting for an operator now (make sagas), as the last deadline sweep "
            "counted them: what saga_needs_attention_total counted and nobody has handled yet.",
            ["saga"],
            registry=registry,
        )
        self.deadlines_moved = Counter(
            "saga_deadlines_moved_total",
            "Step deadlines that passed while the step's command was unpublished, or had "
            "been published late: nothing resent, the participant's clock runs from publication.",
            ["saga"],
            registry=registry,
        )
        # Every series exists from the start, so a rate or an SLO reads 0, not "no data".
        self.needs_attention.labels(self.saga, "unreadable")
        self.needs_attention.labels(self.saga, "unconfirmed")
        self.deadlines_moved.labels(self.saga)
        self.waiting_for_operator.labels(self.saga)
        self.started.labels(self.saga)
        self.ended.labels(self.saga, COMMITTED, "")
        self.duration.labels(self.saga, COMMITTED)
        self.duration.labels(self.saga, CANCELLED)
        for reason in _reasons(definition):
            self.ended.labels(self.saga, CANCELLED, reason)

    def record_start(self, session: AsyncSession) -> None:
        _after_commit(session, self.started.labels(self.saga).inc)

    def record_attention(self, session: AsyncSession, why: str) -> None:
        _after_commit(session, self.needs_attention.labels(self.saga, why).inc)

    def record_deadline_moved(self, session: AsyncSession) -> None:
        _after_commit(session, self.deadlines_moved.labels(self.saga).inc)

    def record_decision(
        self, session: AsyncSession, decision: Decision, started_at: datetime, now: datetime
    ) -> None:
        if not (decision.committed or decision.cancelled):
            return
        outcome = COMMITTED if decision.committed else CANCELLED
        reason = "" if decision.committed else decision.state.reason or ""
        seconds = max(0.0, (now - started_at).total_seconds())

        def record() -> None:
            self.ended.labels(self.saga, outcome, reason).inc()
            self.duration.labels(self.saga, outcome).observe(seconds)

        _after_commit(session, record)


def _reasons(definition: SagaDefinition[Any]) -> set[str]:
    failures = {reason for step in definition.steps for reason in step.failed.values()}
    return {definition.timeout_reason, definition.cancel_reason, *failures}


_AFTER_COMMIT = "shopflow_saga_metrics"  # the session's `info` key of what its commit counts


def _after_commit(session: AsyncSession, action: Callable[[], None]) -> None:
    # In the session's info, not a listener of its own: an instance-level listener gives the
    # session a dispatcher and a weakref registry (25-35 us of CPU more per transaction).
    session.sync_session.info.setdefault(_AFTER_COMMIT, []).append(action)


@event.listens_for(Session, "after_commit")
def _count_committed(session: Session) -> None:
    for action in session.info.pop(_AFTER_COMMIT, ()):
        action()


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session: Session) -> None:
    session.info.pop(_AFTER_COMMIT, None)
