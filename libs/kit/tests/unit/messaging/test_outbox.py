"""The outbox table and its rows, without a database."""

import pytest
from sqlalchemy import MetaData

from shopflow_kit.db import service_metadata
from shopflow_kit.messaging import Envelope, Message
from shopflow_kit.messaging.outbox import (
    MAX_ENVELOPE_BYTES,
    OUTBOX,
    EnvelopeTooLargeError,
    outbox_row,
)

pytestmark = pytest.mark.unit

TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


class OrderNoted(Message):
    note: str


def test_the_outbox_joins_the_service_metadata_once():
    metadata = service_metadata()
    table = OUTBOX.declare(metadata)
    assert OUTBOX.declare(metadata) is table
    assert metadata.tables["outbox"] is table
    assert "outbox" not in MetaData().tables  # no hidden global table


def test_the_outbox_has_debezium_mappable_columns_and_indexes_for_what_is_unpublished():
    table = OUTBOX.declare(service_metadata())
    assert [c.name for c in table.primary_key] == ["id"]
    assert {"id", "seq", "topic", "key", "type", "envelope", "trace_context"} <= set(table.c.keys())
    assert table.c.published_at.nullable
    unpublished = {
        index.name: [c.name for c in index.columns]
        for index in table.indexes
        if str(index.dialect_options["postgresql"]["where"]) == "published_at IS NULL"
    }
    assert unpublished == {
        "ix_outbox_unpublished_key": ["key", "seq"],
        "ix_outbox_unpublished_seq": ["seq"],
    }


def test_a_row_carries_the_whole_envelope_under_its_message_id():
    envelope = Envelope.wrap(OrderNoted(note="hi"), correlation_id="order-1").model_copy(
        update={"trace_context": {"traceparent": TRACEPARENT}}
    )
    row = outbox_row(topic="shopflow.order.events", key="order-1", envelope=envelope)
    assert row == {
        "id": envelope.message_id,
        "topic": "shopflow.order.events",
        "key": "order-1",
        "type": "OrderNoted",
        "envelope": envelope.model_dump(mode="json"),
        "trace_context": {"traceparent": TRACEPARENT},
    }
    assert Envelope.model_validate(row["envelope"]) == envelope


def test_an_envelope_kafka_would_refuse_is_refused_before_it_is_written():
    huge = Envelope.wrap(OrderNoted(note="x" * MAX_ENVELOPE_BYTES), correlation_id="order-1")
    with pytest.raises(EnvelopeTooLargeError, match="OrderNoted"):
        outbox_row(topic="shopflow.order.events", key="order-1", envelope=huge)


def test_the_guard_measures_the_jsonb_text_the_relay_sends_not_the_compact_json():
    # "0, 0, …" as the relay sends it is half as long again as the compact "0,0,…".
    spaced = Envelope.wrap(
        OrderNoted(
            note="",
        ),
        correlation_id="order-1",
    ).model_copy(update={"payload": {"note": "", "zeros": [0] * 440_000}})
    assert len(spaced.to_bytes()) < MAX_ENVELOPE_BYTES  # what the old guard measured
    with pytest.raises(EnvelopeTooLargeError, match="OrderNoted"):
        outbox_row(topic="shopflow.order.events", key="order-1", envelope=spaced)


def test_the_guard_counts_floats_written_out_in_full_by_jsonb():
    # "1e-300" is six bytes of compact JSON and 302 of JSONB text: 3,000 of them are too many.
    tiny = Envelope.wrap(OrderNoted(note=""), correlation_id="order-1").model_copy(
        update={"payload": {"note": "", "floats": [1e-300] * 3_000}}
    )
    assert len(tiny.to_bytes()) < MAX_ENVELOPE_BYTES / 40
    with pytest.raises(EnvelopeTooLargeError, match="OrderNoted"):
        outbox_row(topic="shopflow.order.events", key="order-1", envelope=tiny)
