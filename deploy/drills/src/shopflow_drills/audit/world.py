"""The shop as its databases have it: every order, saga, reservation, payment, charge and
notification, read in one pass with plain read-only SQL.

The auditor reads tables, never the services' ORM models: it must be able to audit any
deployment (local processes, compose, a cluster) whatever code that deployment runs, and
a bug in a service's model must not hide the same bug from its auditor. Each database is
read in one REPEATABLE READ, READ ONLY transaction, so what it says about itself is one
consistent snapshot; across databases, only quiet makes the snapshots agree.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime

import asyncpg

from shopflow_drills.deployment import Deployment

FINAL_ORDER_STATUSES = frozenset({"CONFIRMED", "CANCELLED"})
FINISHED_SAGA_STATUSES = frozenset({"COMPLETED", "CANCELLED"})
PUBLISHING_DATABASES = ("order", "inventory", "payment")  # the services with an outbox

Lines = Mapping[str, int]  # sku → quantity


@dataclass(frozen=True)
class Order:
    id: str
    customer_id: str
    status: str  # PENDING | CONFIRMED | CANCELLED
    reason: str | None  # why it was cancelled, as the API spells it (`timed_out`)
    total: int
    currency: str
    created_at: datetime
    updated_at: datetime  # when its status last changed: placed → final, on the order's clock
    lines: Lines

    @property
    def final(self) -> bool:
        return self.status in FINAL_ORDER_STATUSES


@dataclass(frozen=True)
class Saga:
    id: str  # the order's id
    status: str  # RUNNING | COMMITTED | COMPENSATING | COMPLETED | CANCELLED
    step: int
    attempts: int
    last_entry_at: datetime | None  # its history's last line: when it finished, once finished

    @property
    def finished(self) -> bool:
        return self.status in FINISHED_SAGA_STATUSES


@dataclass(frozen=True)
class Reservation:
    order_id: str
    status: str  # RESERVED | REJECTED | RELEASED | COMMITTED
    lines: Lines


@dataclass(frozen=True)
class Stock:
    sku: str
    stocked: int  # the ledger's sum: every unit an admin ever added or removed
    available: int
    reserved: int
    sold: int


@dataclass(frozen=True)
class Payment:
    order_id: str
    status: str  # CHARGED | DECLINED | REFUNDED | FAILED
    amount: int | None
    provider_charge_id: str | None


@dataclass(frozen=True)
class Charge:
    """A charge in the provider simulator's ledger."""

    id: str
    order_id: str  # its metadata's order id, else its idempotency key (the order id, too)
    succeeded: bool
    amount: int
    refunded: int
    currency: str

    @property
    def kept(self) -> int:
        """What the provider holds of the customer's money for this charge."""
        return self.amount - self.refunded if self.succeeded else 0


@dataclass(frozen=True)
class Notification:
    order_id: str
    kind: str  # ORDER_CONFIRMED | ORDER_CANCELLED


@dataclass(frozen=True)
class IdempotencyKey:
    customer_id: str
    key: str
    order_id: str


@dataclass(frozen=True)
class UnpublishedMessage:
    database: str
    id: str
    topic: str
    key: str
    type: str
    created_at: datetime
    set_aside: str | None = None  # the relay's error, if it set the row aside (ADR 0020)


@dataclass
class World:
    orders: dict[str, Order] = field(default_factory=dict)
    sagas: dict[str, Saga] = field(default_factory=dict)
    idempotency_keys: list[IdempotencyKey] = field(default_factory=list)
    reservations: dict[str, Reservation] = field(default_factory=dict)
    stock: list[Stock] = field(default_factory=list)
    payments: dict[str, Payment] = field(default_factory=dict)
    charges: list[Charge] = field(default_factory=list)
    notifications: list[Notification] = field(default_factory=list)
    unpublished: list[UnpublishedMessage] = field(default_factory=list)

    def charges_by_order(self) -> dict[str, list[Charge]]:
        grouped: dict[str, list[Charge]] = defaultdict(list)
        for charge in self.charges:
            grouped[charge.order_id].append(charge)
        return grouped


@asynccontextmanager
async def snapshot(dsn: str) -> AsyncIterator[asyncpg.Connection]:
    """A connection inside one read-only, repeatable-read transaction: it can change nothing."""
    connection = await asyncpg.connect(
        dsn,
        timeout=10,
        server_settings={"application_name": "shopflow-audit"},
    )
    try:
        async with connection.transaction(isolation="repeatable_read", readonly=True):
            yield connection
    finally:
        await connection.close()


async def read_world(deployment: Deployment) -> World:
    """Every database, one after the other. Notifications first: one is only sent once its
    order is final, so an order read afterwards is final too, even if the shop is not
    quiet yet (read the other way round, a moving shop shows told-before-decided)."""
    world = World()
    async with snapshot(deployment.postgres_dsn("notification")) as notification_db:
        rows = await notification_db.fetch("SELECT order_id, kind FROM notifications")
        world.notifications = [Notification(str(r["order_id"]), r["kind"]) for r in rows]
    async with snapshot(deployment.postgres_dsn("order")) as order_db:
        await _read_orders(order_db, world)
        world.unpublished += await _unpublished(order_db, "order")
    async with snapshot(deployment.postgres_dsn("inventory")) as inventory_db:
        await _read_inventory(inventory_db, world)
        world.unpublished += await _unpublished(inventory_db, "inventory")
    async with snapshot(deployment.postgres_dsn("payment")) as payment_db:
        rows = await payment_db.fetch(
            "SELECT order_id, status, amount, provider_charge_id FROM payments"
        )
        world.payments = {str(r["order_id"]): Payment(str(r["order_id"]), *r[1:]) for r in rows}
        world.unpublished += await _unpublished(payment_db, "payment")
    async with snapshot(deployment.postgres_dsn("payment-provider")) as ledger:
        rows = await ledger.fetch(
            "SELECT id, coalesce(metadata->>'order_id', idempotency_key) AS order_id,"
            " status = 'SUCCEEDED' AS succeeded, amount, amount_refunded, currency FROM charges"
        )
        world.charges = [Charge(*row) for row in rows]
    return world


async def _read_orders(db: asyncpg.Connection, world: World) -> None:
    lines = _lines(await db.fetch("SELECT order_id, sku, quantity FROM order_lines"))
    for r in await db.fetch(
        "SELECT id, customer_id, status, cancellation_reason, total, currency, created_at,"
        " updated_at FROM orders"
    ):
        order_id = str(r["id"])
        world.orders[order_id] = Order(
            id=order_id,
            customer_id=r["customer_id"],
            status=r["status"],
            reason=r["cancellation_reason"],
            total=r["total"],
            currency=r["currency"],
            created_at=r["created_at"],
            updated_at=r["updated_at"],
            lines=lines.get(order_id, {}),
        )
    for r in await db.fetch(
        "SELECT s.id, s.status, s.step, s.attempts, h.last_at FROM sagas s LEFT JOIN"
        " (SELECT saga_id, max(at) AS last_at FROM saga_history GROUP BY saga_id) h"
        " ON h.saga_id = s.id"
    ):
        world.sagas[str(r["id"])] = Saga(str(r["id"]), *r[1:])
    world.idempotency_keys = [
        IdempotencyKey(r["customer_id"], r["key"], str(r["order_id"]))
        for r in await db.fetch("SELECT customer_id, key, order_id FROM idempotency_keys")
    ]


async def _read_inventory(db: asyncpg.Connection, world: World) -> None:
    world.stock = [
        Stock(*row)
        for row in await db.fetch(
            "SELECT s.sku, coalesce(a.stocked, 0), s.available, s.reserved, s.sold"
            " FROM stock_levels s LEFT JOIN"
            " (SELECT sku, sum(delta) AS stocked FROM stock_adjustments GROUP BY sku) a"
            " ON a.sku = s.sku ORDER BY s.sku"
        )
    ]
    lines = _lines(await db.fetch("SELECT order_id, sku, quantity FROM reservation_lines"))
    for r in await db.fetch("SELECT order_id, status FROM reservations"):
        order_id = str(r["order_id"])
        world.reservations[order_id] = Reservation(order_id, r["status"], lines.get(order_id, {}))


async def _unpublished(db: asyncpg.Connection, database: str) -> list[UnpublishedMessage]:
    rows = await db.fetch(
        "SELECT id, topic, key, type, created_at,"
        " CASE WHEN set_aside_at IS NOT NULL THEN coalesce(last_error, '') END AS set_aside"
        " FROM outbox WHERE published_at IS NULL ORDER BY seq"
    )
    return [UnpublishedMessage(database, str(r["id"]), *r[1:]) for r in rows]


def _lines(rows: list[asyncpg.Record]) -> dict[str, dict[str, int]]:
    grouped: dict[str, dict[str, int]] = defaultdict(dict)
    for r in rows:
        grouped[str(r["order_id"])][r["sku"]] = r["quantity"]
    return grouped
