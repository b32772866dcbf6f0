"""One record's way through a consumer: handled once, skipped as a duplicate, or dead-lettered.

The record is parsed (the envelope, then the typed message it carries); then, in one
database transaction, its message id goes into the inbox and its handler runs. A
transient failure is tried again after a backoff. A record that cannot be parsed, or
that keeps failing, goes to the dead-letter topic with its error. Every record reaches
one of those outcomes, so its partition always moves on.

A consumer whose handlers only write to its database may take several records of a
partition in one transaction (`records_per_transaction`): each still has its inbox row
and its effects, in order, and all of them commit together or not at all. If any of them
fails, the transaction rolls back and each record of it goes its own way as above (its
retries, its dead letter): a shared transaction saves the BEGIN, COMMIT and WAL flush of
each record, and never changes what a record does.
"""

import asyncio
import logging
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from enum import StrEnum

from aiokafka import AIOKafkaProducer, ConsumerRecord
from sqlalchemy.ext.asyncio import AsyncSession

from shopflow_kit.db import Database
from shopflow_kit.failpoints import failpoint
from shopflow_kit.logging import log_context
from shopflow_kit.messaging.consumer_metrics import ConsumerMetrics
from shopflow_kit.messaging.consumer_retry import ConsumerRetryPolicy
from shopflow_kit.messaging.dead_letters import publish_dead_letter
from shopflow_kit.messaging.envelope import (
    Envelope,
    MalformedMessageError,
    Message,
    MessageTypes,
    UnknownMessageTypeError,
)
from shopflow_kit.messaging.handlers import MessageHandlers
from shopflow_kit.messaging.inbox import record_processed
from shopflow_kit.messaging.tracing import process_span

logger = logging.getLogger(__name__)

UNREADABLE = "unreadable"  # the type label of a record that is not an envelope at all


class Outcome(StrEnum):
    HANDLED = "handled"
    DUPLICATE = "duplicate"
    DEAD_LETTERED = "dead_lettered"


class Dispatcher:
    """Takes each record to its outcome: the handler's effect once, or a dead letter."""

    def __init__(
        self,
        database: Database,
        consumer_group: str,
        handlers: MessageHandlers,
        retry: ConsumerRetryPolicy,
        dead_letters: AIOKafkaProducer,
        metrics: ConsumerMetrics,
        *,
        records_per_transaction: int = 1,
    ) -> None:
        self._database = database
        self._together = records_per_transaction
        self._consumer_group = consumer_group
        self._handlers = handlers
        self._types = MessageTypes(handlers.message_types)
        self._retry = retry
        self._dead_letters = dead_letters
        self._metrics = metrics

    async def dispatch_in_order(self, records: Sequence[ConsumerRecord]) -> None:
        """A partition's records, one after the other: `together` at a time in one
        transaction while each of them takes effect, else one by one."""
        for start in range(0, len(records), self._together):
            chunk = records[start : start + self._together]
            if len(chunk) > 1 and await self._dispatch_together(chunk):
                continue
            for record in chunk:
                await self.dispatch(record)

    async def dispatch(self, record: ConsumerRecord) -> None:
        """Raises only when cancelled (the transaction rolls back) or when dead-lettering fails."""
        started = time.perf_counter()
        with log_context(topic=record.topic, partition=record.partition, offset=record.offset):
            try:
                envelope = Envelope.from_bytes(record.value)
            except MalformedMessageError as error:
                message_type, outcome = UNREADABLE, await self._dead_letter(record, error, 1)
            else:
                message_type = envelope.type
                with self._traced(record, envelope):
                    outcome = await self._handle(record, envelope)
        self._metrics.consumed.labels(record.topic, message_type, outcome).inc()
        self._metrics.handling_seconds.labels(record.topic, message_type).observe(
            time.perf_counter() - started
        )

    async def _handle(self, record: ConsumerRecord, envelope: Envelope) -> Outcome:
        try:
            message = self._types.parse(envelope)
        except (MalformedMessageError, UnknownMessageTypeError) as error:
            return await self._dead_letter(record, error, 1)
        failed_attempts = 0
        while True:
            try:
                return await self._handle_once(record, envelope, message)
            except Exception as error:  # whatever it is, the retry policy judges it
                failed_attempts += 1
                delay = self._retry.retry_delay(error, failed_attempts)
                if delay is None:
                    return await self._dead_letter(record, error, failed_attempts)
                logger.warning(
                    "attempt %d failed, trying again in %.2f s: %r", failed_attempts, delay, error
                )
                self._metrics.retries.labels(record.topic, envelope.type).inc()
                await asyncio.sleep(delay)

    async def _dispatch_together(self, records: Sequence[ConsumerRecord]) -> bool:
        """Handle `records` in one transaction; False (nothing done) if any of them fails."""
        started = time.perf_counter()
        parsed = []
        for record in records:
            try:
                envelope = Envelope.from_bytes(record.value)
                parsed.append((record, envelope, self._types.parse(envelope)))
            except (MalformedMessageError, UnknownMessageTypeError):
                return False  # one of them is a dead letter: each goes its own way
        outcomes = []
        try:
            async with self._database.transaction() as session:
                for record, envelope, message in parsed:
                    with (
                        log_context(
                            topic=record.topic, partition=record.partition, offset=record.offset
                        ),
                        self._traced(record, envelope),
                    ):
                        outcomes.append(await self._take_effect(session, record, envelope, message))
                failpoint("consumer.before-commit")
        except Exception as error:
            logger.debug("%d records together failed (%r): one by one", len(records), error)
            return False
        seconds = (time.perf_counter() - started) / len(parsed)
        for (record, envelope, _), outcome in zip(parsed, outcomes, strict=True):
            self._metrics.consumed.labels(record.topic, envelope.type, outcome).inc()
            self._metrics.handling_seconds.labels(record.topic, envelope.type).observe(seconds)
        return True

    async def _handle_once(
        self, record: ConsumerRecord, envelope: Envelope, message: Message
    ) -> Outcome:
        async with self._database.transaction() as session:
            outcome = await self._take_effect(session, record, envelope, message)
            if outcome is Outcome.DUPLICATE:
                return outcome
            failpoint("consumer.before-commit")
        # DEBUG: a line per message costs every message; consumed_total counts them, the trace
        # and the inbox row (processed_at) show each one, and the exceptions are logged above.
        logger.debug("handled %s", envelope.type)
        return Outcome.HANDLED

    async def _take_effect(
        self, session: AsyncSession, record: ConsumerRecord, envelope: Envelope, message: Message
    ) -> Outcome:
        """The record in the inbox and its handler's effects, in `session`'s transaction."""
        recorded = await record_processed(
            session, envelope, record, consumer_group=self._consumer_group
        )
        if not recorded:
            logger.info("skipped %s: handled before", envelope.type)
            return Outcome.DUPLICATE
        await self._handlers.handle(session, message, envelope)
        return Outcome.HANDLED

    async def _dead_letter(
        self, record: ConsumerRecord, error: Exception, attempts: int
    ) -> Outcome:
        await publish_dead_letter(
            self._dead_letters,
            record,
            error,
            attempts=attempts,
            consumer_group=self._consumer_group,
        )
        logger.error("dead-lettered after %d attempt(s): %r", attempts, error, exc_info=error)
        return Outcome.DEAD_LETTERED

    @contextmanager
    def _traced(self, record: ConsumerRecord, envelope: Envelope) -> Iterator[None]:
        """A consumer span in the order's trace, with the message ids in the logs."""
        with (
            log_context(
                message_id=str(envelope.message_id),
                correlation_id=envelope.correlation_id,
                message_type=envelope.type,
            ),
            process_span(record, envelope, self._consumer_group),
        ):
            yield
