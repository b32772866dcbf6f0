"""The relay's Kafka side: an idempotent producer that sends a batch and awaits every ack.

With `acks=all` an acknowledged message is on every in-sync replica; with idempotence the
producer's own retries neither duplicate nor reorder a partition. Those retries never
give up, though: a batch that timed out (and was rolled back) may still be delivered
once Kafka is back. So the next batch waits for those sends to settle first, and a
message published again always lands after its first copy, never inside its key's order.
"""

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

from aiokafka import AIOKafkaProducer
from opentelemetry.trace import Span

from shopflow_kit.messaging.relay_batch import OutboxMessage
from shopflow_kit.messaging.tracing import end_publish_span, start_publish_span

logger = logging.getLogger(__name__)


class KafkaPublisher:
    def __init__(self, bootstrap_servers: str, *, client_id: str, ack_timeout: float) -> None:
        self._bootstrap_servers = bootstrap_servers
        self._client_id = client_id
        self._ack_timeout = ack_timeout
        self._producer: AIOKafkaProducer | None = None
        self._unsettled: list[asyncio.Future[Any]] = []

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
            )
            try:
                await producer.start()
            except BaseException:
                await producer.stop()
                raise
            self._producer = producer

    async def publish(self, messages: Sequence[OutboxMessage]) -> None:
        """Send `messages` in order; return once Kafka has acknowledged every one.

        Raises a `KafkaError`, or `TimeoutError` after `ack_timeout` seconds. Either way
        some of them may reach Kafka all the same.
        """
        if self._producer is None:
            raise RuntimeError("publish() before ready()")
        sends: list[asyncio.Future[Any]] = []
        spans: list[Span] = []
        error: BaseException | None = None
        try:
            async with asyncio.timeout(self._ack_timeout):
                for message in messages:
                    span, headers = start_publish_span(
                        message.topic, message.key, str(message.id), message.type, message.headers
                    )
                    spans.append(span)
                    send = await self._producer.send(
                        message.topic, message.value, key=message.key.encode(), headers=headers
                    )
                    sends.append(send)
                # wait(), not gather(): a timeout must not cancel sends the producer keeps retrying.
                await asyncio.wait(sends)
            for send in sends:
                send.result()
        except BaseException as failure:
            self._unsettled = sends
            error = failure
            raise
        finally:
            for span in spans:
                end_publish_span(span, error)

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
