"""Open-loop load through the gateway: orders arrive on a fixed schedule, whatever the shop does.

A closed loop (send, wait for the answer, send the next) slows down with the shop and so
hides its latency: coordinated omission. Here arrival i is due at i / rate seconds and is
sent then (or as soon as the client's own event loop can), in its own task, however many
are still waiting; its latency is measured from when it was *due*, so a client-side delay
is counted against the shop, never silently dropped. A plan may go on at other rates
(`then`: an overload and the return to normal, say), the schedule unbroken.

After the arrivals, the generator can settle: read every accepted order's outcome from
the customers' order lists (one request per hundred orders, not one per order), until
all are final or the settle time is up.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import aiohttp

from shopflow_drills.load.record import ClientOrder, Kind, LoadRecord, Outcome
from shopflow_drills.load.shop import Json, RetryPolicy, ShopClient, monotonic_clock

DEFAULT_MIX: Mapping[Kind, float] = {
    "approved": 70,
    "declined": 10,
    "out_of_stock": 10,
    "cancelled": 10,
}
PRICE = 1000  # minor units, of the products a run creates for itself
CLOCK_SKEW = timedelta(seconds=60)  # how far before the run an order list is still read


@dataclass(frozen=True)
class LoadPlan:
    gateway_url: str
    rate: float  # orders a second
    duration: float  # seconds of arrivals at `rate`
    mix: Mapping[Kind, float] = field(default_factory=lambda: dict(DEFAULT_MIX))
    users: tuple[str, ...] = ("alice", "bob")  # demo customers, taking turns
    admin: str = "admin"  # creates the run's products, unless skus are given
    passwords: Mapping[str, str] = field(default_factory=dict)  # default "<user>-password"
    in_stock_sku: str | None = None
    out_of_stock_sku: str | None = None
    cancel_after: float = 0.05  # seconds from the 202 to the customer's cancel
    settle_seconds: float = 60.0  # how long to wait for outcomes after the arrivals; 0: don't
    request_timeout: float = 10.0
    connections: int = 512
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    seed: int | None = None
    then: tuple[tuple[float, float], ...] = ()  # further (rate, seconds) stages, in turn
    # Clients left not knowing (a 5xx, no answer) ask again once the run is over
    # (`come_back`); off, they went away, as customers told "busy" may.
    come_back: bool = True

    @property
    def stages(self) -> tuple[tuple[float, float], ...]:
        return ((self.rate, self.duration), *self.then)

    @property
    def seconds(self) -> float:
        """Of arrivals, every stage."""
        return sum(seconds for _, seconds in self.stages)

    @property
    def arrivals(self) -> int:
        return sum(round(rate * seconds) for rate, seconds in self.stages)

    def schedule(self) -> list[float]:
        """When each arrival is due, in seconds from the run's start: i / rate within a
        stage, from the stage's start."""
        due: list[float] = []
        start = 0.0
        for rate, seconds in self.stages:
            due += [start + n / rate for n in range(round(rate * seconds))]
            start += seconds
        return due

    def password(self, user: str) -> str:
        return self.passwords.get(user, f"{user}-password")


def kinds_for(plan: LoadPlan) -> list[Kind]:
    """The kind of each arrival, drawn from the mix (reproducibly, given a seed)."""
    draw = random.Random(plan.seed)
    kinds = [kind for kind, weight in plan.mix.items() if weight > 0]
    weights = [plan.mix[kind] for kind in kinds]
    return draw.choices(kinds, weights, k=plan.arrivals)


async def run_load(plan: LoadPlan) -> LoadRecord:
    """Place `plan.arrivals` orders open-loop, settle, and return what every client was told."""
    record = await place_orders(plan)
    if plan.settle_seconds > 0:
        await read_outcomes(plan, record, plan.settle_seconds)
    return record


@asynccontextmanager
async def shop_client(plan: LoadPlan, clock: Callable[[], float]) -> AsyncIterator[ShopClient]:
    connector = aiohttp.TCPConnector(limit=plan.connections)
    timeout = aiohttp.ClientTimeout(total=plan.request_timeout)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        users = {*plan.users, plan.admin}
        passwords = {user: plan.password(user) for user in users}
        yield ShopClient(plan.gateway_url, session, clock, passwords, plan.retry)


async def read_outcomes(plan: LoadPlan, record: LoadRecord, seconds: float) -> None:
    """Settle a record placed earlier: its run's clock goes on from its `started_at`."""

    def clock() -> float:
        return (datetime.now(UTC) - record.started_at).total_seconds()

    async with shop_client(plan, clock) as shop:
        await settle(shop, record, seconds, come_back=plan.come_back)


async def place_orders(
    plan: LoadPlan, on_start: Callable[[LoadRecord], None] | None = None
) -> LoadRecord:
    """The open-loop arrivals alone: every order placed (or given up on), none settled.

    `on_start` is called at second 0 with the record, which fills as answers come in: a
    drill times its fault from that moment and watches the run as it goes.
    """
    kinds = kinds_for(plan)
    async with shop_client(plan, monotonic_clock(time.monotonic())) as shop:
        for user in plan.users:
            await shop.login(user)
        skus = await _products(shop, plan, kinds)
        record = LoadRecord(
            gateway=plan.gateway_url,
            started_at=datetime.now(UTC),
            rate=plan.rate,
            duration=plan.seconds,
            stages=list(plan.stages) if plan.then else [],
            mix=dict(plan.mix),
            skus=skus,
        )
        shop.clock = monotonic_clock(time.monotonic())  # second 0: `started_at`
        if on_start is not None:
            on_start(record)
        tasks = []
        for n, (kind, due) in enumerate(zip(kinds, plan.schedule(), strict=True)):
            await asyncio.sleep(max(0.0, due - shop.clock()))
            order = ClientOrder(
                key=str(uuid.uuid4()),
                customer=plan.users[n % len(plan.users)],
                kind=kind,
                scheduled_at=due,
            )
            record.orders.append(order)
            tasks.append(asyncio.create_task(_one_order(shop, plan, skus, order)))
        await asyncio.gather(*tasks)
        record.ended_at = shop.clock()
    return record


async def _one_order(
    shop: ShopClient, plan: LoadPlan, skus: Mapping[str, str], order: ClientOrder
) -> None:
    items, card = _request(order, skus)
    order.attempts = await shop.place(order.customer, order.key, items, card, order.scheduled_at)
    if order.kind == "cancelled" and order.order_id:
        await asyncio.sleep(plan.cancel_after)
        order.cancel = await shop.cancel(order.customer, order.order_id, shop.clock())


def _request(order: ClientOrder, skus: Mapping[str, str]) -> tuple[list[Json], str]:
    """What the client orders (its items) and pays with (its card), by its kind."""
    sku = skus["out_of_stock" if order.kind == "out_of_stock" else "in_stock"]
    card = "tok_chargeDeclined" if order.kind == "declined" else "tok_visa"
    return [{"sku": sku, "quantity": 1}], card


async def _come_back(shop: ShopClient, record: LoadRecord) -> None:
    """Every client left not knowing (its last answer a 5xx or none, its retries spent)
    asks again, same request, same Idempotency-Key, as a customer back later does: the
    key must converge, on the order the shop may have committed before it failed to
    answer, or on a new one if it had not. These attempts are marked `late`."""
    unresolved = [o for o in record.orders if o.unresolved]

    async def again(order: ClientOrder) -> None:
        items, card = _request(order, record.skus)
        attempts = await shop.place(order.customer, order.key, items, card, shop.clock())
        order.attempts += [a.model_copy(update={"late": True}) for a in attempts]

    await asyncio.gather(*(again(order) for order in unresolved))


async def _products(shop: ShopClient, plan: LoadPlan, kinds: list[Kind]) -> dict[str, str]:
    """The skus the run orders: the plan's, or two of its own the admin creates (one with
    a unit for every order that may buy one, one with none), so no run starves another."""
    run = uuid.uuid4().hex[:8].upper()
    wanted = {
        "in_stock": (plan.in_stock_sku, f"LOAD-{run}", len(kinds)),
        "out_of_stock": (plan.out_of_stock_sku, f"LOAD-{run}-NONE", 0),
    }
    skus: dict[str, str] = {}
    for role, (given, sku, stock) in wanted.items():
        if given is None:
            body = {"sku": sku, "name": f"load run {run}", "price": PRICE, "currency": "EUR"}
            answer = await shop.call(
                plan.admin, "POST", "/api/v1/admin/products", body | {"stock": stock}
            )
            if answer.status != 201:
                raise RuntimeError(
                    f"could not create {sku}: {answer.status} {answer.body or answer.error}"
                )
        skus[role] = given or sku
    return skus


async def settle(
    shop: ShopClient, record: LoadRecord, seconds: float, *, come_back: bool = True
) -> None:
    """Read accepted orders' outcomes until every one is final or `seconds` have passed,
    once every client left not knowing has come back (`come_back`), unless told not to.

    Each sweep pages through each customer's order list, newest first, down to the run's
    start: a hundred outcomes a request. Orders never seen there are asked for one by
    one at the end, so a lost one shows as no outcome.
    """
    deadline = shop.clock() + seconds
    if come_back:
        await _come_back(shop, record)
    accepted = {o.order_id: o for o in record.orders if o.order_id}
    while True:
        pending = {i: o for i, o in accepted.items() if not (o.outcome and o.outcome.final)}
        if not pending or shop.clock() >= deadline:
            break
        for user in sorted({o.customer for o in pending.values()}):
            await _sweep(shop, user, record.started_at - CLOCK_SKEW, pending)
        if any(not (o.outcome and o.outcome.final) for o in pending.values()):
            await asyncio.sleep(min(1.0, max(0.0, deadline - shop.clock())))
    for order_id, order in accepted.items():
        if order.outcome is None:
            answer = await shop.get(order.customer, f"/api/v1/orders/{order_id}")
            if answer.status == 200 and answer.body:
                order.outcome = _outcome(answer.body, shop.clock())


async def _sweep(
    shop: ShopClient, user: str, since: datetime, pending: Mapping[str, ClientOrder]
) -> None:
    cursor: str | None = None
    while True:
        path = "/api/v1/orders?limit=100" + (f"&before={quote(cursor)}" if cursor else "")
        answer = await shop.get(user, path)
        if answer.status != 200 or not answer.body:
            return  # refused now: the next sweep asks again
        page = answer.body.get("orders", [])
        for item in page:
            if (order := pending.get(item["id"])) is not None:
                order.outcome = _outcome(item, shop.clock())
        cursor = answer.body.get("next")
        if not cursor or not page or datetime.fromisoformat(page[-1]["created_at"]) < since:
            return


def _outcome(order: Json, observed_at: float) -> Outcome:
    saga = order.get("saga") or []
    return Outcome(
        status=order["status"],
        reason=order.get("cancellation_reason"),
        total=order["total"],
        created_at=order["created_at"],
        updated_at=order["updated_at"],
        finished_at=saga[-1]["at"] if saga else None,
        observed_at=observed_at,
    )
