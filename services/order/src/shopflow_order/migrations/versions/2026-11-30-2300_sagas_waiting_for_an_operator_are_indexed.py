"""Sagas waiting for an operator have an index of their own (SAGAS v4).

The deadline sweeper counts them on every sweep for the `saga_waiting_for_operator`
gauge, which the SagasNeedAttention alert watches: a partial index on `attention`
holds only those few rows, so the count never reads the others.

Revision ID: 3f6a9d2c7b15
Revises: 8ecadc13cdcd
Create Date: 2026-11-30 23:00:00.000000
"""

from collections.abc import Sequence

from shopflow_kit.saga import SAGAS

revision: str = "3f6a9d2c7b15"
down_revision: str | None = "8ecadc13cdcd"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    SAGAS.migrate(3, 4)


def downgrade() -> None:
    SAGAS.migrate(4, 3)
