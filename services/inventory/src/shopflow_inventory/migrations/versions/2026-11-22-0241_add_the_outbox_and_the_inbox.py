"""add the outbox and the inbox

The outbox holds the replies to commands until the relay has published them; the inbox
(processed_messages) the ids of the commands already handled, so a redelivery is skipped.

Revision ID: 3130a69fc010
Revises: 5e18442bc36f
Create Date: 2026-11-22 02:41:40.807426
"""

from collections.abc import Sequence

from shopflow_kit.messaging import INBOX, OUTBOX

revision: str = "3130a69fc010"
down_revision: str | None = "5e18442bc36f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    OUTBOX.migrate(0, 1)
    INBOX.migrate(0, 1)


def downgrade() -> None:
    INBOX.migrate(1, 0)
    OUTBOX.migrate(1, 0)
