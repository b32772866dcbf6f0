"""Sagas count a step's deadline from its command's publication, and can ask for attention.

`commands` (outbox ids of the last commands sent) and `patience_seconds` let the deadline
sweeper restart a step's clock while its command waits in the outbox (ADR 0018);
`attention` says why a saga waits for an operator (`make sagas`). Existing sagas keep
counting from the write, as before.

Revision ID: 8c1d6e3f2a47
Revises: 5b7e2c9d4f10
Create Date: 2026-11-30 13:30:00.000000
"""

from collections.abc import Sequence

from shopflow_kit.saga import SAGAS

revision: str = "8c1d6e3f2a47"
down_revision: str | None = "5b7e2c9d4f10"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    SAGAS.migrate(2, 3)


def downgrade() -> None:
    SAGAS.migrate(3, 2)
