"""The relay's Kafka side: an idempotent producer that sends a batch and awaits every ack.

With `acks=all` an acknowledged message is on every in-sync replica; with idempotence the
producer's own retries neither duplicate nor reorder a partition. Those retries never
give up, though: a batch that timed out (and was rolled back) may still be delivered
once Kafka is back. So the next batch waits for those sends to settle first, and a
message published again always lands after its first copy, never inside its key's order.

A message Kafka refuses alone (too large, headers that are not text, a topic the cluster
does not have) fails alone: the others of its batch are published, and it comes back as a
`Failure` for the relay to note or set aside (ADR 0020). Kafka being away fails the batch.
"""

import asyncio
import logging
import uuid
from collections.abc import Sequence
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import (
    InvalidTopicError,
    KafkaError,
    MessageSizeTooLargeError,
    RecordListTooLargeError,
    RecordTooLargeError,
)
from opentelemetry.trace import Span

from shopflow_kit.messaging.relay_batch import Failure, OutboxMessage
from shopflow_kit.messaging.tracing import end_publish_span, start_publish_span

logger = logging.getLogger(__name__)

REFUSED_FOR_GOOD = (
    MessageSizeTooLargeError,
    RecordTooLargeError,
    RecordListTooLargeError,
    InvalidTopicError,
)
"""What Kafka says of one message that sending it again as it is cannot change."""


PRODUCE_BATCH_BYTES = 512 * 1024
"""Bytes per partition per produce request: a relay batch of small envelopes fills one,
well under Kafka's 1 MiB default for a record batch (a topic set lower refuses the batch,
which is then sent a message at a time, ADR 0020)."""


class KafkaPublisher:
    def __init__(self, bootstrap_servers: str, *, client_id: str, ack_timeout: float) -> None:
        self._bootstrap_servers = bootstrap_servers
        self._client_id = client_id
        self._ack_timeout = ack_timeout
        self._producer: AIOKafkaProducer | None = None
        self._unsettled: list[asyncio.Future[Any]] = []
        # Kafka refused a produce batch of several messages: send the next one a message at
        # a time, each alone in its produce batch, so a refusal names its one row.
        self._one_at_a_time = False

    async def ready(self) -> None:
        """Make sure a producer is up, and that no send of a failed batch is still pending.

        Raises `TimeoutError` while those sends stay unacknowledged after `ack_timeout`.
        """
        if self._unsettled:
            _, pending = await asyncio.wait(self._unsettled, timeout=self._ack_timeout)
            if pending:
                raise TimeoutError(f"{len(pending)} sends of a failed batch still unacknowledged")
            failed = any(send.exception() for send in self._unsettled if not send.cancelled())
            self._unsettled = []
            if failed:  # its sequence numbers are no longer trustworthy: start afresh
                await self.close()
        if self._producer is None:
            producer = AIOKafkaProducer(
                bootstrap_servers=self._bootstrap_servers,
                client_id=self._client_id,
                acks="all",
                enable_idempotence=True,
                # A relay batch goes to a partition in one produce request, not one per 16 KiB:
                # a partition has one request in flight, so each is a round trip the batch waits.
                max_batch_size=PRODUCE_BATCH_BYTES,
            )
            try:
                await producer.start()
            except BaseException:
                await producer.stop()
                raise
            self._producer = producer

    async def publish(
        self, messages: Sequence[OutboxMessage]
    ) -> tuple[list[OutboxMessage], list[Failure]]:
        """Send `messages` in order; return once Kafka has acknowledged every one it took:
        those, and the ones it did not take. A key's rows after one that may yet go (its topic
        missing) are held back with it, unsent and unreported: they stay in the outbox.

        Raises a `KafkaError`, or `TimeoutError` after `ack_timeout` seconds, when Kafka
        itself is unavailable. Either way some of them may reach Kafka all the same.
        """
        if self._producer is None:
            raise RuntimeError("publish() before ready()")
        producer = self._producer
        sends: list[tuple[OutboxMessage, asyncio.Future[Any]]] = []
        spans: dict[uuid.UUID, Span] = {}
        failures: list[Failure] = []
        error: BaseException | None = None
        try:
            async with asyncio.timeout(self._ack_timeout):
                topics = {message.topic for message in messages}
                missing = await _missing_topics(producer, topics)
                held: set[str] = set()  # keys whose head may yet go: their later rows wait too
                for message in messages:
                    if message.key in held:
                        continue
                    failure = _refused_before_sending(message, missing)
                    if failure is None:
                        span, headers = start_publish_span(
                            message.topic,
                            message.key,
                            str(message.id),
                            message.type,
                            message.headers,
                        )
                        spans[message.id] = span
                        try:
                            send = await producer.send(
                                message.topic,
                                message.value,
                                key=message.key.encode(),
                                headers=headers,
                            )
                        except REFUSED_FOR_GOOD as too_large:
                            failure = Failure(message, _described(too_large), permanent=True)
                        else:
                            sends.append((message, send))
                            if not self._one_at_a_time:
                                continue
                            await asyncio.wait([send])
                            if isinstance(send.exception(), REFUSED_FOR_GOOD):
                                break  # its row is set aside; the rest go with a fresh producer
                            continue
                    failures.append(failure)
                    if not failure.permanent:
                        held.add(message.key)
                # wait(), not gather(): a timeout must not cancel sends the producer keeps retrying.
                if sends:
                    await asyncio.wait([send for _, send in sends])
            isolated, self._one_at_a_time = self._one_at_a_time, False
            for message, send in sends:
                refusal = send.exception()
                if isinstance(refusal, REFUSED_FOR_GOOD) and not isolated:
                    self._one_at_a_time = True  # which of the produce batch's rows? Ask again.
                    raise refusal
                if isinstance(refusal, REFUSED_FOR_GOOD):
                    failures.append(Failure(message, _described(refusal), permanent=True))
                    self._unsettled.append(send)  # a refused batch: the next one starts afresh
                elif refusal is not None:
                    raise refusal
        except BaseException as broken:
            self._unsettled = [send for _, send in sends]
            error = broken
            raise
        finally:
            refused = {failure.message.id: KafkaError(failure.error) for failure in failures}
            for message_id, span in spans.items():
                end_publish_span(span, error or refused.get(message_id))
        taken = [message for message, send in sends if send.exception() is None]
        return taken, failures

    async def close(self) -> None:
        """Flush and stop the producer; give up on the flush after `ack_timeout` seconds."""
        producer, self._producer = self._producer, None
        if producer is None:
            return
        try:
            await asyncio.wait_for(producer.stop(), self._ack_timeout)
        except TimeoutError:
            # Kafka is away: those messages' rows were rolled back and will be sent again.
            logger.warning("%s stopped its Kafka producer without flushing it", self._client_id)


async def _missing_topics(producer: AIOKafkaProducer, topics: set[str]) -> set[str]:
    """Which of `topics` the cluster does not have, asking it only about those the producer
    has not seen. Raises a `KafkaError` if no broker answers: an outage, not a missing topic."""
    client = producer.client
    unseen = {topic for topic in topics if client.cluster.partitions_for_topic(topic) is None}
    if not unseen:
        return set()
    cluster = await client.fetch_all_metadata()
    known: set[str] = cluster.topics()
    return unseen - known


def _refused_before_sending(message: OutboxMessage, missing: set[str]) -> Failure | None:
    if message.malformed is not None:
        return Failure(message, message.malformed, permanent=True)
    if message.topic in missing:  # yet: a topic being created, a broker's metadata behind
        return Failure(message, f"topic {message.topic} does not exist", permanent=False)
    return None


def _described(refusal: KafkaError) -> str:
    return f"{type(refusal).__name__}: {refusal}"
