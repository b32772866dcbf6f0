"""The outbox keeps what the relay learnt of a row it could not publish (OUTBOX v2).

`failing_since`, `last_error` and `set_aside_at`: a row Kafka refuses for good, or whose
topic stays missing, is set aside with its error instead of stalling the rows behind it
(ADR 0020, `make outbox`). Existing rows are neither failing nor set aside.

Revision ID: 31a57f5ab0a8
Revises: 3130a69fc010
Create Date: 2026-11-30 16:00:00.000000
"""

from collections.abc import Sequence

from shopflow_kit.messaging import OUTBOX

revision: str = "31a57f5ab0a8"
down_revision: str | None = "3130a69fc010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    OUTBOX.migrate(1, 2)


def downgrade() -> None:
    OUTBOX.migrate(2, 1)
