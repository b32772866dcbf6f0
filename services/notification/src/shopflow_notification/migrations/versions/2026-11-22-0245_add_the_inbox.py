"""add the inbox

The inbox (processed_messages) holds the ids of the order events already handled, so a
redelivered OrderConfirmed or OrderCancelled is skipped. This service publishes nothing:
no outbox.

Revision ID: 6a2d206cb61d
Revises: 8c293fed3732
Create Date: 2026-11-22 02:45:51.264241
"""

from collections.abc import Sequence

from shopflow_kit.messaging import INBOX

revision: str = "6a2d206cb61d"
down_revision: str | None = "8c293fed3732"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    INBOX.migrate(0, 1)


def downgrade() -> None:
    INBOX.migrate(1, 0)
