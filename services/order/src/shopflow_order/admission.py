"""Admission control: refuse at the door the orders the saga could not finish in time.

A shop that accepts an order and cancels it for timeout later is worse than one that
says "busy, come back in 2 s" (DESIGN.md, invariant 6). So the order service measures
its saga backlog and refuses new orders while the backlog says they would wait too long.

The measure: every `interval` a background job reads how many sagas await a reply and
the median age of those sagas, in one query on the indexed `sagas.deadline_at`. In a
steady flow the ages of the sagas in flight spread evenly from 0 to the time a saga
takes, so twice the median estimates that time without waiting for sagas to finish
(and one saga stuck behind a slow step does not move it). While that estimate exceeds
`max_latency` (by default a third of the step deadline, so an order queued behind the
shop's own backlog is refused before its step deadline could fire) and at least
`min_backlog` sagas are in flight (a few slow orders are no overload), `POST /orders`
answers 503 `overloaded` with a `Retry-After` of about that time, jittered so that
refused clients do not come back together. The gateway relays it as it is.

The ages say how long the sagas in flight have waited, which predicts how long the next
one will take only while the shop works through its queue at its own pace. After a stall
(Kafka away, a database restarting) the sagas in flight are old, yet they clear within
seconds once the stall ends. So `Retry-After` never exceeds `longest_wait` (the step
deadline: the time in which the saga itself looks at a stalled step again): a client
sent away during a stall comes back about when the shop does, at the cost of one cheap
refusal if it is still stalled.
"""

import asyncio
import logging
import math
import random
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge
from sqlalchemy import Float, Integer, text

from shopflow_kit import Database, ProblemType
from shopflow_kit.problems import RetryLater

logger = logging.getLogger(__name__)

OVERLOADED = ProblemType(503, "overloaded", "The shop is busy")

_BACKLOG = text("""
    SELECT count(*) AS in_flight,
           coalesce(extract(epoch FROM clock_timestamp()
                    - percentile_disc(0.5) WITHIN GROUP (ORDER BY created_at)), 0) AS median_age
    FROM sagas WHERE deadline_at IS NOT NULL
""").columns(in_flight=Integer, median_age=Float)


@dataclass(frozen=True)
class Backlog:
    in_flight: int = 0
    median_age: float = 0.0  # seconds

    @property
    def expected_latency(self) -> float:
        """How long a saga takes now, estimated from the ages of those in flight."""
        return 2 * self.median_age


class Overloaded(RetryLater):
    """503 `overloaded` with `Retry-After`: the saga's backlog would make this order wait."""

    def __init__(self, retry_after_seconds: int, backlog: Backlog) -> None:
        super().__init__(
            OVERLOADED,
            f"{backlog.in_flight} orders are being processed, each taking about "
            f"{backlog.expected_latency:.1f} s; try again in {retry_after_seconds} s.",
            retry_after_seconds=retry_after_seconds,
        )


class Admission:
    """Measures the saga backlog of `database` and admits or refuses new orders by it."""

    def __init__(
        self,
        database: Database,
        *,
        max_latency: float,
        min_backlog: int,
        longest_wait: float,
        interval: float = 0.25,
        registry: CollectorRegistry | None = None,
    ) -> None:
        self._database = database
        self._max_latency = max_latency
        self._min_backlog = min_backlog
        self._longest_wait = longest_wait
        self._interval = interval
        self.backlog = Backlog()
        self._measured = asyncio.Event()  # set, and replaced, at each measure
        registry = registry or CollectorRegistry()
        self._in_flight = Gauge(
            "saga_in_flight", "Sagas awaiting a reply, as last measured.", registry=registry
        )
        self._latency = Gauge(
            "saga_expected_latency_seconds",
            "How long a saga takes now, estimated from the ages of those in flight.",
            registry=registry,
        )
        self._refused = Counter(
            "orders_refused_overloaded_total",
            "New orders refused at the door because the saga's backlog was too long.",
            registry=registry,
        )

    async def run(self) -> None:
        """Measure the backlog every `interval` until cancelled (a background job)."""
        while True:
            try:
                self.measure_now(await self._measure())
            except Exception as error:  # the database away: keep the last measure, try again
                logger.debug("saga backlog not measured: %r", error)
            await asyncio.sleep(self._interval)

    def measure_now(self, backlog: Backlog) -> None:
        self.backlog = backlog
        self._in_flight.set(backlog.in_flight)
        self._latency.set(backlog.expected_latency)
        self._measured.set()
        self._measured = asyncio.Event()

    async def next_measure(self) -> Backlog:
        """The backlog as the next measure finds it."""
        await self._measured.wait()
        return self.backlog

    def admit(self) -> None:
        """Raise `Overloaded` if an order placed now would wait longer than `max_latency`."""
        backlog = self.backlog
        if backlog.in_flight < self._min_backlog or backlog.expected_latency <= self._max_latency:
            return
        self._refused.inc()
        wait = min(backlog.expected_latency, self._longest_wait)
        jittered = random.uniform(wait / 2, wait)  # "equal jitter": spread, never too soon
        raise Overloaded(math.ceil(jittered), backlog)

    async def _measure(self) -> Backlog:
        async with self._database.transaction() as session:
            row = (await session.execute(_BACKLOG)).one()
        return Backlog(int(row.in_flight), float(row.median_age))
