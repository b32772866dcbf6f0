"""The faults a drill causes: each is injected, held while the load runs, then healed.

A fault keeps what it did (which instances it killed, which poison it sent) so that it
heals exactly that, and says what it saw in `notes` (partitions moving, messages
delivered again) for the drill's report.
"""

from __future__ import annotations

import asyncio
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import aiohttp

from shopflow_drills.chaos import bus
from shopflow_drills.chaos.driver import Driver, Needs
from shopflow_drills.chaos.toxiproxy import Toxiproxy
from shopflow_drills.deployment import Deployment
from shopflow_drills.load.shop import ShopClient

ADMIN = "admin"  # the demo's operator, who may switch the provider's faults
PARTITIONS_MOVE_WITHIN = 60.0  # seconds: a dead member's session times out, then a rebalance
GROUP_JOINED_WITHIN = 60.0  # seconds: a new member's join waits for the group's rebalance


@dataclass
class FaultContext:
    driver: Driver
    deployment: Deployment
    run: str  # this drill run's id, in the keys of what it sends
    started_at: datetime  # the load's second 0, on the wall clock
    notes: list[str] = field(default_factory=list)  # what the fault saw, for the report
    expected_dead_letters: set[str] = field(default_factory=set)  # keys of records sent to fail


class Fault(ABC):
    holds = True  # lasts until healed; False: done once injected (a poison, a rewind)
    ours = True  # the shop's own fault (invariant 6: no order cancelled for timeout)
    served_throughout = False  # another replica served all along: no outage to excuse
    needs = Needs()

    @abstractmethod
    def describe(self) -> str: ...

    @abstractmethod
    async def inject(self, context: FaultContext) -> None: ...

    async def heal(self, context: FaultContext) -> None:  # most faults heal so
        """Undo what `inject` did and return once the deployment is whole again."""


class Crash(Fault):
    """kill -9 of a process: every instance of it, or `one` of its replicas."""

    def __init__(self, target: str, *, one: bool = False) -> None:
        self.target = target
        self.one = one
        self.needs = Needs(replicas={target: 2}) if one else Needs()
        self.served_throughout = one
        self._killed: list[str] = []
        self._members_before: dict[str, list[str]] = {}
        self._moved: asyncio.Task[None] | None = None

    def describe(self) -> str:
        if self.one:
            return f"kill -9 of one of the {self.target} replicas"
        return f"kill -9 of {self.target}"

    async def inject(self, context: FaultContext) -> None:
        instances = context.driver.instances(self.target)
        self._killed = instances[-1:] if self.one else instances
        if self.one and self.target in bus.CONSUMERS:
            self._members_before = await self._group_of(context, len(instances))
        if self._members_before and len(self._members_before) < 2:
            raise FaultNotShownError(
                f"the {self.target} group had {len(self._members_before)} member before the kill"
            )
        for instance in self._killed:
            await context.driver.kill(instance)
        context.notes.append(f"killed {', '.join(self._killed)} of {', '.join(instances)}")
        if self._members_before:  # watched from the kill on, while the fault holds
            self._moved = asyncio.create_task(self._partitions_moved(context, time.monotonic()))

    async def heal(self, context: FaultContext) -> None:
        try:
            if self._moved is not None:
                await self._moved
        finally:
            await context.driver.start(self._killed)

    async def _group_of(self, context: FaultContext, replicas: int) -> dict[str, list[str]]:
        """The group's members and their partitions once every replica holds some: a
        replica is ready before its consumer has joined, and a join waits for a rebalance."""
        group = context.deployment.topics.group(self.target)
        bootstrap = context.deployment.kafka_bootstrap_servers
        began = time.monotonic()
        while True:
            members = await bus.assignment(bootstrap, group)
            joined = len(members) >= replicas and all(members.values())
            if joined or time.monotonic() - began > GROUP_JOINED_WITHIN:
                return members
            await asyncio.sleep(0.5)

    async def _partitions_moved(self, context: FaultContext, began: float) -> None:
        """Waits until the survivors hold every partition the group held before."""
        group = context.deployment.topics.group(self.target)
        bootstrap = context.deployment.kafka_bootstrap_servers
        wanted = {p for held in self._members_before.values() for p in held}
        while time.monotonic() - began < PARTITIONS_MOVE_WITHIN:
            members = await bus.assignment(bootstrap, group)
            held = {p for partitions in members.values() for p in partitions}
            if len(members) < len(self._members_before) and held >= wanted:
                survivors = "; ".join(f"{len(p)} partitions" for p in members.values())
                context.notes.append(
                    f"group {group}: {len(self._members_before)} members → {len(members)}; "
                    f"every partition held again ({survivors}) "
                    f"{time.monotonic() - began:.1f} s after the kill"
                )
                return
            await asyncio.sleep(0.5)
        context.notes.append(
            f"group {group}: partitions NOT moved within {PARTITIONS_MOVE_WITHIN:g} s"
        )
        raise FaultNotShownError(f"the partitions of the killed {self.target} replica never moved")


class Freeze(Fault):
    """SIGSTOP: the process holds its sockets and answers nothing (a gray failure)."""

    def __init__(self, target: str) -> None:
        self.target = target
        self._frozen: list[str] = []

    def describe(self) -> str:
        return f"SIGSTOP of {self.target}"

    async def inject(self, context: FaultContext) -> None:
        self._frozen = context.driver.instances(self.target)
        for instance in self._frozen:
            await context.driver.freeze(instance)

    async def heal(self, context: FaultContext) -> None:
        for instance in self._frozen:
            await context.driver.thaw(instance)


class ProviderFault(Fault):
    """The payment provider simulator's own fault switches (`/admin/faults`)."""

    ours = False  # a third party's outage: the shop may give up on an order, and refund

    def __init__(self, description: str, faults: dict[str, Any]) -> None:
        self.description = description
        self.faults = faults

    def describe(self) -> str:
        return self.description

    async def inject(self, context: FaultContext) -> None:
        await _provider(context, "PUT", self.faults)

    async def heal(self, context: FaultContext) -> None:
        await _provider(context, "DELETE")


async def _provider(context: FaultContext, method: str, body: dict[str, Any] | None = None) -> None:
    """Through the gateway's admin API, as an operator switches them in the console: the
    simulator itself wants a service token only the shop's services hold (ADR 0017)."""
    gateway = context.deployment.gateway_url
    assert gateway is not None, "run_drill checked it"
    timeout = aiohttp.ClientTimeout(total=10)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        shop = ShopClient(gateway, session, time.monotonic, {ADMIN: f"{ADMIN}-password"})
        answer = await shop.call(ADMIN, method, "/api/v1/admin/provider/faults", body)
    if answer.status not in (200, 204):
        raise RuntimeError(
            f"{method} provider faults: {answer.status or answer.error} {answer.body or ''}"
        )


class EdgeFault(Fault):
    """Latency on an edge, or a cut, through toxiproxy."""

    needs = Needs(edges=True)

    def __init__(self, edge: str, *, latency_ms: int | None = None) -> None:
        self.edge = edge
        self.latency_ms = latency_ms
        self.ours = edge != "payment-provider"

    def describe(self) -> str:
        if self.latency_ms is None:
            return f"the edge to {self.edge} cut (toxiproxy: nothing gets through)"
        return f"{self.latency_ms} ms more on every round trip to {self.edge} (toxiproxy)"

    async def inject(self, context: FaultContext) -> None:
        proxy = Toxiproxy(context.driver.toxiproxy_url())
        if self.latency_ms is None:
            await proxy.cut(self.edge)
        else:
            await proxy.add_latency(self.edge, self.latency_ms, jitter=self.latency_ms // 10)

    async def heal(self, context: FaultContext) -> None:
        await Toxiproxy(context.driver.toxiproxy_url()).heal(self.edge)


class PoisonEveryTopic(Fault):
    holds = False

    def describe(self) -> str:
        return "a poison message on every partition of every consumed topic"

    async def inject(self, context: FaultContext) -> None:
        sent = await bus.poison_every_topic(
            context.deployment.kafka_bootstrap_servers, context.deployment.topics, context.run
        )
        context.expected_dead_letters |= {poison.key for poison in sent}
        topics = {poison.topic for poison in sent}
        context.notes.append(
            f"sent {len(sent)} poison records (not an envelope; a payload that does not fit "
            f"its type) to {len({(p.topic, p.partition) for p in sent})} partitions of "
            f"{len(topics)} topics"
        )


class DuplicateBurst(Fault):
    """Every consumer group rewound to the load's start: everything since, delivered again."""

    holds = False

    def describe(self) -> str:
        return "every consumer group's offsets rewound to the start of the load"

    async def inject(self, context: FaultContext) -> None:
        driver, topics = context.driver, context.deployment.topics
        stopped = [i for service in bus.CONSUMERS for i in driver.instances(service)]
        for instance in stopped:
            await driver.stop(instance)
        try:
            again = {
                service: await bus.rewind(
                    context.deployment.kafka_bootstrap_servers,
                    topics.group(service),
                    group_topics,
                    context.started_at,
                )
                for service, group_topics in bus.consumed_by(topics).items()
            }
        finally:
            await driver.start(stopped)
        total = sum(again.values())
        per_group = ", ".join(f"{service} {n}" for service, n in again.items())
        context.notes.append(f"{total} messages delivered again ({per_group})")
        if total == 0:
            raise FaultNotShownError("nothing to deliver again: the load put no message on the bus")


class FaultNotShownError(RuntimeError):
    """The fault did not happen as the drill means it (the drill fails, saying why)."""
