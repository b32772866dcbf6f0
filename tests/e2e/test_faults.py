"""Orders under faults still end CONFIRMED or CANCELLED, with stock, payments and the
provider's ledger agreeing: a customer's cancel, a provider that never answers, and the
order service killed in the middle of a burst, or held by a failpoint mid-saga and killed
there."""

import asyncio
import signal
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
import httpx
import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import TopicPartition

from shopflow_contracts.topics import Topics
from shopflow_kit.settings import SERVICE_TOKEN_SECRET_VARIABLE
from shopflow_stack.shop_client import available, settled
from shopflow_stack.stack import Stack
from shopflow_testing.callers import AdminAuth
from shopflow_testing.failpoints import paused_in_log, pausing_at
from shopflow_testing.relaying import eventually

pytestmark = pytest.mark.e2e


@pytest.fixture
async def provider(shop: Stack):
    """The payment provider simulator's own API (faults, ledger); faults off afterwards."""
    url = f"http://127.0.0.1:{shop.get('payment-provider').port}"
    # The fault switches are for admins: a service token signed with the stack's key.
    key = shop.config.environment()[SERVICE_TOKEN_SECRET_VARIABLE]
    admin = AdminAuth("payment-provider", secret=key)
    async with httpx.AsyncClient(base_url=url, auth=admin, timeout=10) as client:
        yield client
        await client.delete("/admin/faults")


async def ledger(provider: httpx.AsyncClient, order_id: str) -> list[dict]:
    """The provider's succeeded charges for the order (its idempotency key is the order id)."""
    response = await provider.get("/v1/charges", params={"idempotency_key": order_id})
    return [c for c in response.json()["data"] if c["status"] == "succeeded"]


async def order_placed(gateway, auth, sku: str, key: str | None = None) -> httpx.Response:
    return await gateway.post(
        "/api/v1/orders",
        json={"items": [{"sku": sku, "quantity": 1}], "payment_method": "tok_visa"},
        headers={**auth, "Idempotency-Key": key or str(uuid.uuid4())},
    )


async def placed_eventually(gateway, auth, sku: str, key: str) -> dict:
    """What a client does after a 5xx: the same request, same key, after Retry-After."""
    async with asyncio.timeout(60):
        while (response := await order_placed(gateway, auth, sku, key)).status_code != 202:
            assert response.status_code in (502, 503), response.text
            await asyncio.sleep(float(response.headers.get("Retry-After", "0.5")))
    return response.json()


# A silent participant has 7 to 14 step deadlines before its step times out (ADR 0018):
# 35-70 s at the local stack's 5 s step. The test that waits for that timeout runs the
# order service with a 1 s step (ORDER_SAGA_STEP_DEADLINE_SECONDS, the setting the stack
# itself uses): the same 7 to 14 deadlines, 7-14 s of them.
SHORT_STEP = {"ORDER_SAGA_STEP_DEADLINE_SECONDS": "1"}


@asynccontextmanager
async def order_service_with(shop, env: dict[str, str]) -> AsyncIterator[None]:
    """The order service restarted with `env` for the block, then as the stack configures
    it again whatever fails, so the next test finds it as it was."""
    try:
        await shop.restart("order", env=env)
        yield
    finally:
        await shop.up(["order"])


async def saga_reached(gateway, auth, order_id: str, event: str) -> None:
    async with asyncio.timeout(120):
        while True:
            order = (await gateway.get(f"/api/v1/orders/{order_id}", headers=auth)).json()
            if any(entry["event"].startswith(event) for entry in order["saga"]):
                return
            await asyncio.sleep(0.2)


async def assert_consistent(gateway, provider, auth, order: dict) -> None:
    """Invariant 2 for one order: confirmed means charged once and kept; cancelled, nothing."""
    payments = (await gateway.get(f"/api/v1/orders/{order['id']}/payments", headers=auth)).json()
    charges = await ledger(provider, order["id"])
    kept = sum(c["amount"] - c["amount_refunded"] for c in charges)
    if order["status"] == "CONFIRMED":
        assert [p["status"] for p in payments] == ["CHARGED"]
        assert (len(charges), kept) == (1, order["total"])
    else:
        assert all(p["status"] != "CHARGED" for p in payments)
        assert kept == 0


async def test_a_cancel_while_the_provider_is_slow_refunds_and_releases(
    gateway, alice, new_product, provider
):
    sku = await new_product(stock=3)
    await provider.put("/admin/faults", json={"latency_ms": 2000})
    placed = (await order_placed(gateway, alice, sku)).json()
    await saga_reached(gateway, alice, placed["id"], "ChargePayment sent")

    cancel = await gateway.post(f"/api/v1/orders/{placed['id']}/cancel", headers=alice)
    order = await settled(gateway, alice, placed["id"])

    assert cancel.status_code == 202
    assert (order["status"], order["cancellation_reason"]) == ("CANCELLED", "cancelled_by_customer")
    await assert_consistent(gateway, provider, alice, order)
    # The charge was under way when the cancel came: it went through, and was given back.
    charges = await ledger(provider, order["id"])
    assert [(c["amount"], c["amount_refunded"]) for c in charges] == [(1000, 1000)]
    payments = await gateway.get(f"/api/v1/orders/{order['id']}/payments", headers=alice)
    assert [p["status"] for p in payments.json()] == ["REFUNDED"]
    assert await available(gateway, sku) == 3


async def test_a_provider_that_never_answers_ends_in_a_timed_out_cancellation(
    shop, gateway, alice, new_product, provider
):
    sku = await new_product(stock=3)
    async with order_service_with(shop, SHORT_STEP):
        await provider.put("/admin/faults", json={"outage": True})
        placed = (await order_placed(gateway, alice, sku)).json()
        await saga_reached(gateway, alice, placed["id"], "compensating")

        await provider.delete("/admin/faults")  # refunds need the provider back
        order = await settled(gateway, alice, placed["id"])

    assert (order["status"], order["cancellation_reason"]) == ("CANCELLED", "timed_out")
    await assert_consistent(gateway, provider, alice, order)
    assert await available(gateway, sku) == 3


async def orders_unfinished(shop: Stack, sku: str) -> int:
    """Orders of `sku` whose saga the order service has not finished, as its database says."""
    connection = await asyncpg.connect(shop.postgres["order"].config.url(driver="postgresql"))
    try:
        count: int = await connection.fetchval(
            "SELECT count(*) FROM orders JOIN order_lines ON order_lines.order_id = orders.id"
            " WHERE order_lines.sku = $1 AND orders.status = 'PENDING'",
            sku,
        )
    finally:
        await connection.close()
    return count


async def test_killing_the_order_service_mid_burst_loses_and_doubles_nothing(
    shop, gateway, alice, new_product, provider
):
    sku = await new_product(stock=100)
    keys = [str(uuid.uuid4()) for _ in range(20)]
    burst = [asyncio.create_task(order_placed(gateway, alice, sku, key)) for key in keys]
    for answered, arriving in enumerate(asyncio.as_completed(burst), start=1):
        await arriving
        if answered == 3:
            break  # some orders are in, the rest in flight: now the crash
    try:
        unanswered = sum(not request.done() for request in burst)
        shop.get("order").kill(signal.SIGKILL)
        in_the_middle = await orders_unfinished(shop, sku)  # as it died: nobody moves them
        responses = await asyncio.gather(*burst)
    finally:
        await shop.up(["order"])
    assert unanswered > 0, "the kill landed with no request in flight"
    assert in_the_middle > 0, "the kill landed with no saga under way"

    # A refused request may still have created its order before the crash: a client
    # retries it with the same Idempotency-Key, and gets that order, or a new one.
    placed = [
        response.json()
        if response.status_code == 202
        else await placed_eventually(gateway, alice, sku, key)
        for response, key in zip(responses, keys, strict=True)
    ]
    assert len({order["id"] for order in placed}) == len(keys)
    orders = [await settled(gateway, alice, order["id"]) for order in placed]
    for order in orders:
        await assert_consistent(gateway, provider, alice, order)
    sold = sum(o["items"][0]["quantity"] for o in orders if o["status"] == "CONFIRMED")
    assert await available(gateway, sku) == 100 - sold


async def reply_in_the_window(shop: Stack, order_id: str) -> tuple[TopicPartition, int]:
    """Where the reply the order service just handled came from, checking it is in the window:
    its saga step committed (the next command in the outbox), its offset not."""
    connection = await asyncpg.connect(shop.postgres["order"].config.url(driver="postgresql"))
    try:
        topic, partition, offset = await connection.fetchrow(
            "SELECT kafka_topic, kafka_partition, kafka_offset FROM processed_messages"
            " WHERE message_type = 'StockReserved' ORDER BY processed_at DESC LIMIT 1"
        )
        next_command = await connection.fetchval(
            "SELECT count(*) FROM outbox WHERE key = $1 AND type = 'ChargePayment'", order_id
        )
    finally:
        await connection.close()
    assert next_command == 1, "the saga had not taken its step"
    where = TopicPartition(topic, partition)
    admin = AIOKafkaAdminClient(bootstrap_servers=shop.config.kafka.bootstrap_servers)
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(
            Topics().group("order"), partitions=[where]
        )
    finally:
        await admin.close()
    assert offsets[where].offset <= offset, "the reply's offset was committed already"
    return where, offset


async def test_the_order_service_killed_after_a_saga_step_before_its_offset_takes_it_once(
    shop, gateway, alice, new_product, provider
):
    order_service = shop.get("order")
    sku = await new_product(stock=3)
    log_end = order_service.log_path.stat().st_size
    # The stack's app stays in development: its service-token key is the stack's.
    window = pausing_at("consumer.before-offset-commit", environment="development")
    async with order_service_with(shop, window):
        placed = (await order_placed(gateway, alice, sku)).json()
        await paused_in_log(order_service.log_path, "consumer.before-offset-commit", after=log_end)
        await reply_in_the_window(shop, placed["id"])
        order_service.kill(signal.SIGKILL)  # held in the window: dies there

    order = await settled(gateway, alice, placed["id"])
    assert order["status"] == "CONFIRMED"
    await assert_consistent(gateway, provider, alice, order)
    assert await available(gateway, sku) == 2
    # Offsets wait a quarter of a second to be committed together: the whole saga may have
    # run in the window before the kill, and the order be CONFIRMED before the restarted
    # consumer has even joined its group. The redelivery comes when it does.
    try:
        await eventually(lambda: duplicate_replies(order_service.port), within=30)
    except TimeoutError:
        pytest.fail("the reply was not delivered again to the restarted service")


async def duplicate_replies(port: int) -> bool:
    """Whether the order service has counted a StockReserved its inbox had seen."""
    async with httpx.AsyncClient() as client:
        metrics = (await client.get(f"http://127.0.0.1:{port}/metrics")).text
    return any(
        line.startswith("messages_consumed_total{")
        and 'type="StockReserved"' in line
        and 'outcome="duplicate"' in line
        for line in metrics.splitlines()
    )
