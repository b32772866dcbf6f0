"""Sagas kept in the service's database, advanced in the caller's transaction.

Each call locks the saga's row, asks the engine for a decision, saves the new state,
appends the history and hands the commands to the outbox, all in the session the
caller commits: a reply, its effect on the saga and the commands it causes commit
together or not at all. Deadlines are found with SKIP LOCKED, so several instances of
a service can sweep them, and they survive a restart because they are rows.

A step's deadline measures its participant, not the shop's own backlog (ADR 0018): the
saga remembers the outbox ids of the commands it sent, and when a deadline passes while
one of them is still unpublished (Kafka away, a relay behind), nothing is resent and
the clock restarts; once published, the participant has its full patience from then.
A saga whose data no longer reads is set aside ("needs attention"), not retried by
every sweep ahead of all the others.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Generic, Protocol

from opentelemetry import propagate, trace
from prometheus_client import CollectorRegistry
from pydantic import ValidationError
from sqlalchemy import (
    MetaData,
    Row,
    func,
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
logger = logging.getLogger(__name__)

_MAX_EVENT_CHARS = 200  # saga_history.event


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
        # The kit's outbox, if the service keeps one: where a command's publication shows.
        self.outbox_table = metadata.tables.get("outbox")
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
        sent = await self._record(session, saga_id, decision, now, cause=None)
        columns = {**_columns(decision.state), **_commands(sent, decision.state, now)}
        await session.execute(insert(self.sagas).values(**row, **columns))
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
            .where(self.sagas.c.deadline_at <= now, self.sagas.c.attention.is_(None))
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
        saga's own trace too, so what is sent again or undone joins its order's trace.

        A command still unpublished, or published later than it was written, moves the
        deadline instead (nothing is sent); a saga whose data does not read is set aside.
        """
        row = await self._locked_row(session, saga_id)
        assert row is not None, "overdue() locked it in this transaction"
        try:
            loaded = self._loaded(row)
        except ValidationError as error:
            yield await self._set_aside(session, saga_id, _state(row), error, now)
            return
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
            later = await self._deadline_from_publication(session, row, now)
            if later is not None:
                await session.execute(
                    update(self.sagas).where(self.sagas.c.id == saga_id).values(deadline_at=later)
                )
                self.metrics.record_deadline_moved(session)
                yield Decision(replace(loaded.state, deadline_at=later))
            else:
                decision = self.saga.on_deadline(loaded.state, loaded.data, now)
                yield await self._apply(session, saga_id, loaded, decision, now, None)

    async def count_waiting_for_operator(self, session: AsyncSession) -> int:
        """How many sagas wait for an operator now; the `saga_waiting_for_operator` gauge
        says so until the next count (a partial index holds just those rows)."""
        name = self.saga.definition.name
        waiting = await session.scalar(
            select(func.count())
            .select_from(self.sagas)
            .where(self.sagas.c.attention.is_not(None), self.sagas.c.definition == name)
        )
        assert waiting is not None  # a count always has its row
        self.metrics.waiting_for_operator.labels(name).set(waiting)
        return waiting

    async def needing_attention(self, session: AsyncSession) -> list[tuple[uuid.UUID, str]]:
        """Sagas waiting for an operator, oldest change first, each with why."""
        rows = await session.execute(
            select(self.sagas.c.id, self.sagas.c.attention)
            .where(self.sagas.c.attention.is_not(None))
            .order_by(self.sagas.c.updated_at)
        )
        return [(row.id, row.attention) for row in rows]

    async def history(self, session: AsyncSession, saga_id: uuid.UUID) -> list[SagaEvent]:
        """What happened to the saga, oldest first."""
        h = self.history_table
        rows = await session.execute(
            select(h.c.at, h.c.step, h.c.event).where(h.c.saga_id == saga_id).order_by(h.c.id)
        )
        return [SagaEvent(row.at, row.step, row.event) for row in rows]

    async def _lock(self, session: AsyncSession, saga_id: uuid.UUID) -> _Loaded[D] | None:
        row = await self._locked_row(session, saga_id)
        return None if row is None else self._loaded(row)

    async def _locked_row(self, session: AsyncSession, saga_id: uuid.UUID) -> Row[Any] | None:
        statement = select(self.sagas).where(self.sagas.c.id == saga_id).with_for_update()
        return (await session.execute(statement)).one_or_none()

    def _loaded(self, row: Row[Any]) -> _Loaded[D]:
        """The saga as the engine takes it; raises `ValidationError` if its data does not read."""
        data = self.saga.definition.data.model_validate(row.data)
        return _Loaded(_state(row), data, row.created_at, row.trace_context)

    async def _deadline_from_publication(
        self, session: AsyncSession, row: Row[Any], now: datetime
    ) -> datetime | None:
        """When the deadline really falls, if later than `now`: the participant's patience
        counts from the publication of the commands, and not at all before it. None: it
        has passed (or the commands' rows are gone, published long ago)."""
        if self.outbox_table is None or not row.commands or row.patience_seconds is None:
            return None
        outbox = self.outbox_table
        ids = [uuid.UUID(command) for command in row.commands]
        published = (
            await session.scalars(select(outbox.c.published_at).where(outbox.c.id.in_(ids)))
        ).all()
        if any(at is None for at in published):  # still in the outbox: look again later
            return now + self.saga.definition.step_deadline
        if not published:
            return None
        due: datetime = max(published) + timedelta(seconds=row.patience_seconds)
        return due if due > now else None

    async def _set_aside(
        self,
        session: AsyncSession,
        saga_id: uuid.UUID,
        state: SagaState,
        error: ValidationError,
        now: datetime,
    ) -> Decision:
        """Quarantine a saga whose stored data no longer reads: the sweeper passes it by, so
        it cannot stop the others; an operator finds it with `make sagas`."""
        why = (
            f"data unreadable as {self.saga.definition.data.__name__}: {error.error_count()} errors"
        )
        logger.error("saga %s set aside, needs attention: %s\n%s", saga_id, why, error)
        await session.execute(
            update(self.sagas)
            .where(self.sagas.c.id == saga_id)
            .values(attention=why, updated_at=now)
        )
        event = f"needs attention: {why}"[:_MAX_EVENT_CHARS]
        await session.execute(
            insert(self.history_table).values(saga_id=saga_id, at=now, step="saga", event=event)
        )
        self.metrics.record_attention(session, "unreadable")
        return Decision(replace(state, attention=why))

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
        if decision.gave_up:
            logger.error("saga %s needs attention: %s", saga_id, decision.state.attention)
            self.metrics.record_attention(session, "unconfirmed")
        if decision.history or decision.send:
            sent = await self._record(session, saga_id, decision, now, cause)
            columns = _columns(decision.state)
            if decision.send:
                columns |= _commands(sent, decision.state, now)
            await session.execute(
                update(self.sagas)
                .where(self.sagas.c.id == saga_id)
                .values(**columns, updated_at=now)
            )
        return decision

    async def _record(
        self,
        session: AsyncSession,
        saga_id: uuid.UUID,
        decision: Decision,
        now: datetime,
        cause: Envelope | None,
    ) -> list[str]:
        """Write the decision's commands and history; the commands' message ids."""
        sent = []
        for outgoing in decision.send:
            envelope = Envelope.wrap(outgoing.message, correlation_id=str(saga_id), cause=cause)
            await self.outbox(session, topic=outgoing.topic, key=str(saga_id), envelope=envelope)
            sent.append(str(envelope.message_id))
        if decision.history:
            await session.execute(
                insert(self.history_table),
                [
                    {"saga_id": saga_id, "at": now, "step": s, "event": e}
                    for s, e in decision.history
                ],
            )
        return sent


def _state(row: Row[Any]) -> SagaState:
    return SagaState(
        status=SagaStatus(row.status),
        step=row.step,
        awaiting=frozenset(row.awaiting),
        attempts=row.attempts,
        deadline_at=row.deadline_at,
        cancel_requested=row.cancel_requested,
        reason=row.reason,
        attention=row.attention,
    )


def _commands(sent: list[str], state: SagaState, now: datetime) -> dict[str, Any]:
    """What the saga now waits on, and for how long once it is published."""
    patience = None if state.deadline_at is None else (state.deadline_at - now).total_seconds()
    return {"commands": sent, "patience_seconds": patience}


def _columns(state: SagaState) -> dict[str, Any]:
    return {
        "status": state.status.value,
        "step": state.step,
        "awaiting": sorted(state.awaiting),
        "attempts": state.attempts,
        "deadline_at": state.deadline_at,
        "cancel_requested": state.cancel_requested,
        "reason": state.reason,
        "attention": state.attention,
    }
