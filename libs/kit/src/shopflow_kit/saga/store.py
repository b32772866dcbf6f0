"""Sagas kept in the service's database, advanced in the caller's transaction.

Each call locks the saga's row, asks the engine for a decision, saves the new state,
appends the history and hands the commands to the outbox, all in the session the
caller commits: a reply, its effect on the saga and the commands it causes commit
together or not at all. Deadlines are found with SKIP LOCKED, so several instances of
a service can sweep them, and they survive a restart because they are rows.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, Protocol

from opentelemetry import propagate, trace
from prometheus_client import CollectorRegistry
from sqlalchemy import (
    MetaData,
    insert,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from shopflow_kit import attributes
from shopflow_kit.messaging import Envelope, Message
from shopflow_kit.saga.definition import D
from shopflow_kit.saga.engine import Decision, Saga, SagaState, SagaStatus
from shopflow_kit.saga.metrics import SagaMetrics

tracer = trace.get_tracer(__name__)


class Outbox(Protocol):
    def __call__(
        self, session: AsyncSession, *, topic: str, key: str, envelope: Envelope
    ) -> Awaitable[None]: ...


@dataclass(frozen=True)
class SagaEvent:
    """A line of a saga's history: when, at which step, what happened."""

    at: datetime
    step: str
    event: str


@dataclass(frozen=True)
class _Loaded(Generic[D]):
    state: SagaState
    data: D
    started_at: datetime
    trace_context: dict[str, str]


class SagaStore(Generic[D]):
    def __init__(
        self,
        saga: Saga[D],
        metadata: MetaData,
        outbox: Outbox,
        *,
        registry: CollectorRegistry | None = None,
    ) -> None:
        self.saga = saga
        self.sagas = metadata.tables["sagas"]
        self.history_table = metadata.tables["saga_history"]
        self.outbox = outbox
        self.metrics = SagaMetrics(registry or CollectorRegistry(), saga.definition)

    async def start(
        self, session: AsyncSession, saga_id: uuid.UUID, data: D, now: datetime
    ) -> Decision:
        decision = self.saga.start(data, now)
        trace.get_current_span().set_attribute(attributes.SAGA_ID, str(saga_id))
        trace_context: dict[str, str] = {}
        propagate.inject(trace_context)
        row = {
            "id": saga_id,
            "definition": self.saga.definition.name,
            "data": data.model_dump(mode="json"),
            "trace_context": trace_context,
            "created_at": now,
        }
        await session.execute(insert(self.sagas).values(**row, **_columns(decision.state)))
        await self._record(session, saga_id, decision, now, cause=None)
        self.metrics.record_start(session)
        return decision

    async def on_reply(
        self, session: AsyncSession, reply: Message, envelope: Envelope, now: datetime
    ) -> Decision | None:
        """Advance the saga the reply belongs to; None if there is no such saga."""
        saga_id = uuid.UUID(envelope.correlation_id)
        loaded = await self._lock(session, saga_id)
        if loaded is None:
            return None
        decision = self.saga.on_reply(loaded.state, loaded.data, reply, now)
        return await self._apply(session, saga_id, loaded, decision, now, envelope)

    async def request_cancel(
        self, session: AsyncSession, saga_id: uuid.UUID, now: datetime
    ) -> Decision | None:
        loaded = await self._lock(session, saga_id)
        if loaded is None:
            return None
        decision = self.saga.request_cancel(loaded.state)
        return await self._apply(session, saga_id, loaded, decision, now, None)

    async def overdue(
        self, session: AsyncSession, now: datetime, limit: int
    ) -> Sequence[uuid.UUID]:
        """Sagas whose deadline has passed, locked for this transaction; others skip them."""
        statement = (
            select(self.sagas.c.id)
            .where(self.sagas.c.deadline_at <= now)
            .order_by(self.sagas.c.deadline_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return (await session.scalars(statement)).all()

    @asynccontextmanager
    async def on_deadline(
        self, session: AsyncSession, saga_id: uuid.UUID, now: datetime
    ) -> AsyncIterator[Decision]:
        """Move on a saga `overdue()` locked; the block (settling the order) runs in the
        saga's own trace too, so what is sent again or undone joins its order's trace."""
        loaded = await self._lock(session, saga_id)
        assert loaded is not None, "overdue() locked it in this transaction"
        with tracer.start_as_current_span(
            "saga deadline",
            context=propagate.extract(loaded.trace_context),
            kind=trace.SpanKind.CONSUMER,  # it reacts to an event: a deadline passing
            attributes={
                attributes.SAGA_ID: str(saga_id),
                attributes.SAGA_NAME: self.saga.definition.name,
                attributes.SAGA_STEP: loaded.state.step,
                attributes.SAGA_STATUS: loaded.state.status.value,
            },
        ):
            decision = self.saga.on_deadline(loaded.state, loaded.data, now)
            yield await self._apply(session, saga_id, loaded, decision, now, None)

    async def history(self, session: AsyncSession, saga_id: uuid.UUID) -> list[SagaEvent]:
        """What happened to the saga, oldest first."""
        h = self.history_table
        rows = await session.execute(
            select(h.c.at, h.c.step, h.c.event).where(h.c.saga_id == saga_id).order_by(h.c.id)
        )
        return [SagaEvent(row.at, row.step, row.event) for row in rows]

    async def _lock(self, session: AsyncSession, saga_id: uuid.UUID) -> _Loaded[D] | None:
        row = (
            await session.execute(
                select(self.sagas).where(self.sagas.c.id == saga_id).with_for_update()
            )
        ).one_or_none()
        if row is None:
            return None
        state = SagaState(
            status=SagaStatus(row.status),
            step=row.step,
            awaiting=frozenset(row.awaiting),
            attempts=row.attempts,
            deadline_at=row.deadline_at,
            cancel_requested=row.cancel_requested,
            reason=row.reason,
        )
        data = self.saga.definition.data.model_validate(row.data)
        return _Loaded(state, data, row.created_at, row.trace_context)

    async def _apply(
        self,
        session: AsyncSession,
        saga_id: uuid.UUID,
        loaded: _Loaded[D],
        decision: Decision,
        now: datetime,
        cause: Envelope | None,
    ) -> Decision:
        self.metrics.record_decision(session, decision, loaded.started_at, now)
        if decision.history or decision.send:
            await session.execute(
                update(self.sagas)
                .where(self.sagas.c.id == saga_id)
                .values(**_columns(decision.state), updated_at=now)
            )
            await self._record(session, saga_id, decision, now, cause)
        return decision

    async def _record(
        self,
        session: AsyncSession,
        saga_id: uuid.UUID,
        decision: Decision,
        now: datetime,
        cause: Envelope | None,
    ) -> None:
        for outgoing in decision.send:
            envelope = Envelope.wrap(outgoing.message, correlation_id=str(saga_id), cause=cause)
            await self.outbox(session, topic=outgoing.topic, key=str(saga_id), envelope=envelope)
        if decision.history:
            await session.execute(
                insert(self.history_table),
                [
                    {"saga_id": saga_id, "at": now, "step": s, "event": e}
                    for s, e in decision.history
                ],
            )


def _columns(state: SagaState) -> dict[str, Any]:
    return {
        "status": state.status.value,
        "step": state.step,
        "awaiting": sorted(state.awaiting),
        "attempts": state.attempts,
        "deadline_at": state.deadline_at,
        "cancel_requested": state.cancel_requested,
        "reason": state.reason,
    }
