"""A shop's worth of real databases, migrated as each service migrates its own, written by
hand so that a test can build a consistent world and then break exactly one thing."""

import json
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from shopflow_drills.deployment import DATABASES, Deployment

PRICE = 1000
SKU = "AUDIT-MUG"


@pytest.fixture(scope="module")
def shop_databases(migrated_database):
    return {name: migrated_database(name) for name in DATABASES}


@pytest.fixture
async def deployment(shop_databases, infra, bus_topics):
    """The databases emptied for this test, on Kafka topics of the test's own."""
    deployment = Deployment(shop_databases, infra.kafka_bootstrap_servers, topics=bus_topics)
    for name in DATABASES:
        connection = await asyncpg.connect(deployment.postgres_dsn(name))
        tables = await connection.fetch(
            "SELECT tablename FROM pg_tables"
            " WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
        )
        await connection.execute(f"TRUNCATE {', '.join(t['tablename'] for t in tables)} CASCADE")
        await connection.close()
    return deployment


@pytest.fixture
async def shop(deployment):
    shop = Shop(deployment)
    await shop.product(SKU, stock=10)
    return shop


class Shop:
    """Writes what the services would have written, one order at a time."""

    def __init__(self, deployment: Deployment) -> None:
        self.deployment = deployment

    async def execute(self, database: str, statement: str, *args) -> None:
        connection = await asyncpg.connect(self.deployment.postgres_dsn(database))
        try:
            await connection.execute(statement, *args)
        finally:
            await connection.close()

    async def product(self, sku: str, stock: int) -> None:
        await self.execute(
            "inventory",
            "INSERT INTO products (sku, name, price, currency) VALUES ($1, $1, $2, 'EUR')",
            sku,
            PRICE,
        )
        await self.execute(
            "inventory",
            "INSERT INTO stock_levels (sku, available, reserved, sold) VALUES ($1, $2, 0, 0)",
            sku,
            stock,
        )
        await self.execute(
            "inventory",
            "INSERT INTO stock_adjustments (sku, kind, delta) VALUES ($1, 'INITIAL_STOCK', $2)",
            sku,
            stock,
        )

    async def order(
        self, status: str, reason: str | None = None, quantity: int = 2, saga: str | None = None
    ) -> str:
        """The order, its line, its key and its saga (COMPLETED, CANCELLED or RUNNING)."""
        order_id = uuid.uuid4()
        total = PRICE * quantity
        await self.execute(
            "order",
            "INSERT INTO orders (id, customer_id, status, cancellation_reason, total, currency,"
            " payment_method) VALUES ($1, 'alice', $2, $3, $4, 'EUR', 'tok_visa')",
            order_id,
            status,
            reason,
            total,
        )
        await self.execute(
            "order",
            "INSERT INTO order_lines (order_id, sku, name, quantity, unit_price, line_total)"
            " VALUES ($1, $2, $2, $3, $4, $5)",
            order_id,
            SKU,
            quantity,
            PRICE,
            total,
        )
        await self.execute(
            "order",
            "INSERT INTO idempotency_keys (customer_id, key, fingerprint, order_id)"
            " VALUES ('alice', $1, 'f', $2)",
            f"key-{order_id}",
            order_id,
        )
        saga_status = saga or {"CONFIRMED": "COMPLETED", "CANCELLED": "CANCELLED"}[status]
        await self.execute(
            "order",
            "INSERT INTO sagas (id, definition, status, step, awaiting, attempts, deadline_at,"
            " cancel_requested, reason, data)"
            " VALUES ($1, 'place-order', $2, 0, '[]', 1, $3, false, $4, '{}')",
            order_id,
            saga_status,
            datetime.now(UTC) + timedelta(hours=1) if saga_status == "RUNNING" else None,
            reason,
        )
        await self.execute(
            "order",
            "INSERT INTO saga_history (saga_id, at, step, event) VALUES ($1, now(), 'saga', $2)",
            order_id,
            saga_status.lower(),
        )
        return str(order_id)

    async def reservation(self, order_id: str, status: str, quantity: int = 2) -> None:
        reason = "out_of_stock" if status == "REJECTED" else None
        await self.execute(
            "inventory",
            "INSERT INTO reservations (order_id, status, reason) VALUES ($1, $2, $3)",
            uuid.UUID(order_id),
            status,
            reason,
        )
        await self.execute(
            "inventory",
            "INSERT INTO reservation_lines (order_id, sku, quantity) VALUES ($1, $2, $3)",
            uuid.UUID(order_id),
            SKU,
            quantity,
        )
        column = {"RESERVED": "reserved", "COMMITTED": "sold"}.get(status)
        if column:
            await self.execute(
                "inventory",
                f"UPDATE stock_levels SET available = available - $2, {column} = {column} + $2"
                " WHERE sku = $1",
                SKU,
                quantity,
            )

    async def charge(
        self, order_id: str, *, succeeded: bool, refunded: bool = False, key: str | None = None
    ) -> str:
        """A charge in the provider's ledger (its key the order id, as payments sends it)."""
        charge_id = f"ch_{uuid.uuid4().hex[:24]}"
        amount = PRICE * 2
        await self.execute(
            "payment-provider",
            "INSERT INTO charges (id, idempotency_key, request_fingerprint, status, amount,"
            " amount_refunded, currency, source, metadata, decline_code)"
            " VALUES ($1, $2, 'f', $3, $4, $5, 'EUR', 'tok_visa', $6, $7)",
            charge_id,
            key or order_id,
            "SUCCEEDED" if succeeded else "FAILED",
            amount,
            amount if refunded else 0,
            json.dumps({"order_id": order_id}),
            None if succeeded else "card_declined",
        )
        return charge_id

    async def payment(self, order_id: str, status: str, charge_id: str | None) -> None:
        await self.execute(
            "payment",
            "INSERT INTO payments (id, order_id, status, amount, currency, payment_method,"
            " provider_charge_id) VALUES ($1, $2, $3, $4, 'EUR', 'tok_visa', $5)",
            uuid.uuid4(),
            uuid.UUID(order_id),
            status,
            PRICE * 2,
            charge_id,
        )

    async def notification(self, order_id: str, kind: str) -> None:
        await self.execute(
            "notification",
            "INSERT INTO notifications (id, order_id, kind, recipient, subject, body)"
            " VALUES ($1, $2, $3, 'alice', 's', 'b')",
            uuid.uuid4(),
            uuid.UUID(order_id),
            kind,
        )

    async def confirmed(self) -> str:
        """An order as the shop leaves one it confirmed: charged, kept, its stock sold."""
        order_id = await self.order("CONFIRMED")
        await self.reservation(order_id, "COMMITTED")
        await self.payment(order_id, "CHARGED", await self.charge(order_id, succeeded=True))
        await self.notification(order_id, "ORDER_CONFIRMED")
        return order_id

    async def declined(self) -> str:
        """An order cancelled because the card was declined: stock released, nothing taken."""
        order_id = await self.order("CANCELLED", "payment_declined")
        await self.reservation(order_id, "RELEASED")
        await self.payment(order_id, "DECLINED", await self.charge(order_id, succeeded=False))
        await self.notification(order_id, "ORDER_CANCELLED")
        return order_id

    async def cancelled_by_customer(self) -> str:
        """Charged, then refunded and released because the customer cancelled in time."""
        order_id = await self.order("CANCELLED", "cancelled_by_customer")
        await self.reservation(order_id, "RELEASED")
        charge_id = await self.charge(order_id, succeeded=True, refunded=True)
        await self.payment(order_id, "REFUNDED", charge_id)
        await self.notification(order_id, "ORDER_CANCELLED")
        return order_id
