"""The outbox keeps what the relay learnt of a row it could not publish (OUTBOX v2).

`failing_since`, `last_error` and `set_aside_at`: a row Kafka refuses for good, or whose
topic stays missing, is set aside with its error instead of stalling the rows behind it
(ADR 0020, `make outbox`). Existing rows are neither failing nor set aside.

Revision ID: cc9cb4fc2b44
Revises: 691603fec03f
Create Date: 2026-11-30 16:00:00.000000
"""

from collections.abc import Sequence

from shopflow_kit.messaging import OUTBOX

revision: str = "cc9cb4fc2b44"
down_revision: str | None = "691603fec03f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    OUTBOX.migrate(1, 2)


def downgrade() -> None:
    OUTBOX.migrate(2, 1)
