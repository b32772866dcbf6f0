"""add the outbox and the inbox

The outbox holds the replies to commands until the relay has published them; the inbox
(processed_messages) the ids of the commands already handled, so a redelivery is skipped.

Revision ID: 691603fec03f
Revises: a1e9b13c4eb6
Create Date: 2026-11-22 02:41:58.102545
"""

from collections.abc import Sequence

from shopflow_kit.messaging import INBOX, OUTBOX

revision: str = "691603fec03f"
down_revision: str | None = "a1e9b13c4eb6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    OUTBOX.migrate(0, 1)
    INBOX.migrate(0, 1)


def downgrade() -> None:
    INBOX.migrate(1, 0)
    OUTBOX.migrate(1, 0)
