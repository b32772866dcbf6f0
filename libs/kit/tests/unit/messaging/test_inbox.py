"""The inbox table a service declares: keyed by message id, declared once per metadata."""

import pytest
from sqlalchemy.dialects import postgresql
from sqlalchemy.schema import CreateTable

from shopflow_kit import service_metadata
from shopflow_kit.messaging.inbox import INBOX

pytestmark = pytest.mark.unit


def test_a_message_id_is_recorded_once_whatever_consumed_it():
    table = INBOX.declare(service_metadata())

    assert [column.name for column in table.primary_key] == ["message_id"]
    assert {column.name for column in table.columns} == {
        "message_id",
        "message_type",
        "consumer_group",
        "kafka_topic",
        "kafka_partition",
        "kafka_offset",
        "processed_at",
    }


def test_declaring_the_table_again_returns_the_same_table():
    metadata = service_metadata()

    assert INBOX.declare(metadata) is INBOX.declare(metadata)


def test_the_table_follows_the_service_naming_convention():
    ddl = str(CreateTable(INBOX.declare(service_metadata())).compile(dialect=postgresql.dialect()))

    assert "CONSTRAINT pk_processed_messages PRIMARY KEY (message_id)" in ddl
