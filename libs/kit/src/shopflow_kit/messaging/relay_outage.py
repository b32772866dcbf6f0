"""How the relay rides out Kafka or PostgreSQL being away: back off, and say so twice.

Each failed attempt waits a random time below a ceiling that doubles up to a cap ("full
jitter", `shopflow_kit.backoff`), so relays that failed together do not retry together,
however long the outage lasts; the cap (`SHOPFLOW_OUTBOX_RELAY_MAX_BACKOFF_SECONDS`, 30 s
by default) is also the longest a healed dependency waits for the relay. The log says when an
outage begins and when it ends, not once per attempt: a broker down for an hour is two lines.
"""

import logging
import random
import time
from collections.abc import Callable

from aiokafka.errors import KafkaError

from shopflow_kit.backoff import Draw, backoff

logger = logging.getLogger(__name__)


class Outage:
    """The relay's run of consecutive failed attempts, if any."""

    def __init__(
        self,
        name: str,
        *,
        first_backoff: float = 0.1,
        max_backoff: float = 30.0,
        draw: Draw = random.uniform,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not 0 < first_backoff <= max_backoff:
            raise ValueError(f"backoff from {first_backoff} s up to {max_backoff} s is no backoff")
        self.name = name
        self.first_backoff = first_backoff
        self.max_backoff = max_backoff
        self.failed_attempts = 0
        self.dependency: str | None = None  # "kafka" or "database" while in an outage
        self._draw = draw
        self._clock = clock
        self._began = 0.0

    def attempt_failed(self, error: BaseException) -> float:
        """Record a failed attempt; return the seconds to wait before the next one."""
        if self.failed_attempts == 0:
            self._began = self._clock()
            self.dependency = "kafka" if _blamed(error) == "Kafka" else "database"
            logger.warning(
                "%s cannot publish, %s unavailable (%r): rows stay in the outbox, retrying",
                self.name,
                _blamed(error),
                error,
            )
        self.failed_attempts += 1
        return backoff(
            self.failed_attempts, first=self.first_backoff, cap=self.max_backoff, draw=self._draw
        )

    def attempt_succeeded(self) -> None:
        if self.failed_attempts:
            logger.info(
                "%s publishes again, after %.1f s and %d failed attempts",
                self.name,
                self._clock() - self._began,
                self.failed_attempts,
            )
        self.failed_attempts = 0
        self.dependency = None


def _blamed(error: BaseException) -> str:
    # A publish that timed out waited on Kafka's acknowledgements.
    return "Kafka" if isinstance(error, KafkaError | TimeoutError) else "PostgreSQL"
