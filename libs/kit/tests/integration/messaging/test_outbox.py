"""The outbox as data on a real PostgreSQL: written in the caller's transaction, claimed by key."""

import asyncio
from datetime import timedelta

import asyncpg
import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from shopflow_kit.db import Database, service_metadata
from shopflow_kit.messaging import Envelope, Message
from shopflow_kit.messaging.outbox import OUTBOX, OUTBOX_CHANNEL, add_to_outbox, relayed_size
from shopflow_kit.messaging.relay_batch import (
    Backlog,
    claim_batch,
    delete_published,
    mark_published,
    unpublished_backlog,
)

pytestmark = pytest.mark.integration

METADATA = service_metadata()
OUTBOX_TABLE = OUTBOX.declare(METADATA)
TOPIC = "shopflow.order.events"  # rows only: nothing is sent to Kafka here


class OrderNoted(Message):
    n: int


@pytest.fixture
async def database(database_with) -> Database:
    return await database_with(METADATA)


def noted(key: str, n: int) -> Envelope:
    return Envelope.wrap(OrderNoted(n=n), correlation_id=key)


async def write_interleaved(database: Database, keys: str, rounds: int) -> None:
    """`rounds` messages per key, in the order a1 b1 c1 a2 b2 c2 … for keys "abc"."""
    async with database.transaction() as session:
        for n in range(rounds):
            for key in keys:
                await add_to_outbox(session, topic=TOPIC, key=key, envelope=noted(key, n))


async def add_then_roll_back(database: Database, envelope: Envelope) -> None:
    """What a request that failed after writing its message leaves behind: nothing."""
    async with AsyncSession(database.engine) as session:
        await add_to_outbox(session, topic=TOPIC, key=envelope.correlation_id, envelope=envelope)
        await session.rollback()


async def test_a_message_is_in_the_outbox_only_if_its_transaction_commits(database):
    kept = noted("order-1", 0)
    await add_then_roll_back(database, noted("order-2", 0))
    async with database.transaction() as session:
        await add_to_outbox(session, topic=TOPIC, key="order-1", envelope=kept)

    async with database.transaction() as session:
        [row] = (await session.execute(select(OUTBOX_TABLE))).all()
    assert (row.id, row.topic, row.key, row.type) == (
        kept.message_id,
        TOPIC,
        "order-1",
        "OrderNoted",
    )
    assert Envelope.model_validate(row.envelope) == kept
    assert row.published_at is None


async def test_the_relays_hear_of_a_commit_and_never_of_a_rollback(database):
    heard: asyncio.Queue[str] = asyncio.Queue()
    url = database.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    listener = await asyncpg.connect(url)
    await listener.add_listener(OUTBOX_CHANNEL, lambda *args: heard.put_nowait(args[-1]))
    try:
        await add_then_roll_back(database, noted("order-1", 0))
        async with database.transaction() as session:  # notifications arrive in commit order
            await session.execute(text(f"NOTIFY {OUTBOX_CHANNEL}, 'after the rollback'"))
        async with database.transaction() as session:
            await add_to_outbox(session, topic=TOPIC, key="order-1", envelope=noted("order-1", 1))
            await add_to_outbox(session, topic=TOPIC, key="order-2", envelope=noted("order-2", 0))

        async with asyncio.timeout(10):
            assert [await heard.get(), await heard.get()] == ["after the rollback", ""]
        assert heard.empty(), "one wake-up per transaction, however many rows it wrote"
    finally:
        await listener.close()


async def test_a_claimed_message_is_its_row_as_written_with_the_writers_trace_context(database):
    written = noted("order-1", 0)
    traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    async with database.transaction() as session:
        await add_to_outbox(session, topic=TOPIC, key="order-1", envelope=written)
        await session.execute(
            update(OUTBOX_TABLE).values(trace_context={"traceparent": traceparent})
        )

    async with database.transaction() as session:
        [claimed] = await claim_batch(session, batch_size=5)

    assert (claimed.id, claimed.topic, claimed.key, claimed.type) == (
        written.message_id,
        TOPIC,
        "order-1",
        "OrderNoted",
    )
    assert Envelope.from_bytes(claimed.value) == written
    assert claimed.headers == [("traceparent", traceparent.encode())]
    assert claimed.malformed is None


async def test_a_row_whose_trace_context_is_not_text_headers_is_claimed_as_malformed(database):
    async with database.transaction() as session:
        await add_to_outbox(session, topic=TOPIC, key="order-1", envelope=noted("order-1", 0))
        await session.execute(update(OUTBOX_TABLE).values(trace_context={"traceparent": 7}))

    async with database.transaction() as session:
        [claimed] = await claim_batch(session, batch_size=5)

    assert claimed.headers == []
    assert claimed.malformed == "trace_context is not text headers: {'traceparent': 7}"


async def test_a_claim_takes_each_key_from_its_oldest_unpublished_row_in_order(database):
    await write_interleaved(database, "abc", rounds=3)
    async with database.transaction() as session:
        batch = await claim_batch(session, batch_size=5)
    assert [(m.key, Envelope.from_bytes(m.value).payload["n"]) for m in batch] == [
        ("a", 0), ("b", 0), ("c", 0), ("a", 1), ("b", 1),
    ]  # fmt: skip


async def set_on_first_row(database: Database, key: str, column: str) -> None:
    """Sets `column` of `key`'s first row to now (set aside, or failing since now)."""
    first = select(func.min(OUTBOX_TABLE.c.seq)).where(OUTBOX_TABLE.c.key == key)
    async with database.transaction() as session:
        await session.execute(
            update(OUTBOX_TABLE)
            .where(OUTBOX_TABLE.c.seq == first.scalar_subquery())
            .values({column: func.now()})
        )


async def claimed(database: Database, batch_size: int) -> list[tuple[str, int]]:
    """(key, n) of each message a claim takes; released again when it returns."""
    async with database.transaction() as session:
        batch = await claim_batch(session, batch_size=batch_size)
    return [(m.key, Envelope.from_bytes(m.value).payload["n"]) for m in batch]


async def test_a_row_set_aside_is_no_heads_and_its_keys_later_rows_go_on_without_it(database):
    await write_interleaved(database, "ab", rounds=2)
    await set_on_first_row(database, "a", "set_aside_at")

    assert await claimed(database, batch_size=10) == [("b", 0), ("a", 1), ("b", 1)]


async def test_a_key_whose_head_is_failing_goes_after_the_others(database):
    await write_interleaved(database, "ab", rounds=1)
    await set_on_first_row(database, "a", "failing_since")

    assert await claimed(database, batch_size=1) == [("b", 0)]
    assert await claimed(database, batch_size=10) == [("b", 0), ("a", 0)]


async def test_a_key_whose_oldest_row_another_claim_holds_is_skipped_whole(database):
    await write_interleaved(database, "abc", rounds=3)
    async with database.transaction() as first, database.transaction() as second:
        held = await claim_batch(first, batch_size=2)  # a1 b1: keys a and b are held
        rest = await claim_batch(second, batch_size=10)
    assert {m.key for m in held} == {"a", "b"}
    assert [(m.key, Envelope.from_bytes(m.value).payload["n"]) for m in rest] == [
        ("c", 0), ("c", 1), ("c", 2),
    ]  # fmt: skip


async def test_marked_rows_are_never_claimed_again_and_report_their_lag(database):
    await write_interleaved(database, "ab", rounds=2)
    async with database.transaction() as session:
        lags = await mark_published(session, await claim_batch(session, batch_size=3))
    async with database.transaction() as session:
        rest = await claim_batch(session, batch_size=10)
    assert [topic for topic, _ in lags] == [TOPIC] * 3
    assert all(lag >= 0 for _, lag in lags)
    assert [(m.key, Envelope.from_bytes(m.value).payload["n"]) for m in rest] == [("b", 1)]


async def test_the_clean_up_deletes_only_rows_published_longer_ago_than_the_retention(database):
    await write_interleaved(database, "abcd", rounds=1)
    retention = timedelta(hours=1)
    async with database.transaction() as session:  # now() is the transaction's start throughout
        published = {"a": func.now() - 2 * retention, "b": func.now(), "d": func.now() - retention}
        for key, published_at in published.items():
            await session.execute(
                update(OUTBOX_TABLE)
                .where(OUTBOX_TABLE.c.key == key)
                .values(published_at=published_at)
            )
        deleted = await delete_published(session, older_than=retention, limit=100)
        left = (
            await session.scalars(select(OUTBOX_TABLE.c.key).order_by(OUTBOX_TABLE.c.seq))
        ).all()
    assert deleted == 1
    assert left == ["b", "c", "d"], "b published just now, c not at all, d just the retention ago"


async def test_a_clean_up_takes_at_most_its_limit_and_skips_what_another_one_holds(database):
    """Two relays clean up at once: neither waits for the other's rows, none is left."""
    await write_interleaved(database, "abc", rounds=2)
    async with database.transaction() as session:
        await session.execute(
            update(OUTBOX_TABLE).values(published_at=func.now() - timedelta(days=1))
        )
    async with database.transaction() as first, database.transaction() as second:
        assert await delete_published(first, older_than=timedelta(hours=1), limit=4) == 4
        async with asyncio.timeout(10):  # waiting for `first`, in this task, would never end
            assert await delete_published(second, older_than=timedelta(hours=1), limit=100) == 2
    async with database.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(OUTBOX_TABLE)) == 0


async def test_the_backlog_counts_unpublished_rows_and_ages_the_oldest(database):
    async with database.transaction() as session:
        assert await unpublished_backlog(session) == Backlog(0, 0.0, 0)
    await write_interleaved(database, "ab", rounds=2)
    async with database.transaction() as session:
        await session.execute(
            update(OUTBOX_TABLE)
            .where(OUTBOX_TABLE.c.key == "a")
            .values(created_at=func.now() - timedelta(minutes=10))
        )
        await mark_published(session, (await claim_batch(session, batch_size=1)))  # a's first
        await session.execute(  # b's second, set aside: no longer pending, counted apart
            update(OUTBOX_TABLE)
            .where(OUTBOX_TABLE.c.seq == select(func.max(OUTBOX_TABLE.c.seq)).scalar_subquery())
            .values(set_aside_at=func.now())
        )

        backlog = await unpublished_backlog(session)

    assert (backlog.pending, backlog.set_aside) == (2, 1)
    assert 600 <= backlog.oldest_age < 3600, "a's second row, written ten minutes ago"


async def test_a_key_with_more_rows_than_a_batch_is_claimed_from_its_oldest(database):
    await write_interleaved(database, "a", rounds=5)
    async with database.transaction() as session:
        batch = await claim_batch(session, batch_size=2)
    assert [Envelope.from_bytes(m.value).payload["n"] for m in batch] == [0, 1]


async def test_the_size_guard_measures_exactly_the_bytes_the_relay_sends(database):
    payloads = [
        {"n": 1},
        {"lines": [{"sku": "é-€-𝄞", "quantity": 3, "price": "12.50"}] * 20, "empty": {}},
        {"floats": [0.1, 1e-07, 1e20, -0.0, 2.5, 123456789.125], "flags": [True, False, None]},
        {"text": 'quote " backslash \\ tab \t newline \n bell \u0007 del \u007f'},
        {"zeros": [0] * 1000, "nested": {"b": {"aa": [1, [2, [3]]]}, "a": 1}},
    ]
    async with database.transaction() as session:
        for n, payload in enumerate(payloads):
            envelope = noted(f"order-{n}", n).model_copy(update={"payload": payload})
            await add_to_outbox(session, topic=TOPIC, key=f"order-{n}", envelope=envelope)
            sent = await session.scalar(
                text("SELECT octet_length(envelope::text) FROM outbox WHERE id = :id"),
                {"id": envelope.message_id},
            )
            assert relayed_size(envelope) == sent, payload
