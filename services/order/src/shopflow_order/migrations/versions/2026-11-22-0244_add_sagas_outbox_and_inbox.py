"""Add the place-order sagas, their history, the outbox and the inbox.

`sagas` holds one saga per order (its id is the order's), its step, what it awaits and
its deadline; `saga_history` what happened, for GET /orders/{id}. The outbox holds the
saga's commands and OrderConfirmed/OrderCancelled until the relay has published them;
the inbox (processed_messages) the ids of the replies already handled.

Revision ID: 0ace30fd8a75
Revises: 16e1f5e13330
Create Date: 2026-11-22 02:44:51.767087
"""

from collections.abc import Sequence

from shopflow_kit.messaging import INBOX, OUTBOX
from shopflow_kit.saga import SAGA_HISTORY, SAGAS

revision: str = "0ace30fd8a75"
down_revision: str | None = "16e1f5e13330"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    OUTBOX.migrate(0, 1)
    INBOX.migrate(0, 1)
    SAGA_HISTORY.migrate(0, 1)
    SAGAS.migrate(0, 1)


def downgrade() -> None:
    SAGAS.migrate(1, 0)
    SAGA_HISTORY.migrate(1, 0)
    INBOX.migrate(1, 0)
    OUTBOX.migrate(1, 0)
