"""Sagas remember their trace and when they started.

`trace_context` (W3C headers) lets the deadline sweeper resume a saga's own trace, so a
command sent again stays in its order's trace; `created_at` measures how long the
customer waited for the order's outcome (`saga_duration_seconds`). Existing sagas get
an empty context and the migration's time.

Revision ID: 5b7e2c9d4f10
Revises: 0ace30fd8a75
Create Date: 2026-11-30 10:00:00.000000
"""

from collections.abc import Sequence

from shopflow_kit.saga import SAGAS

revision: str = "5b7e2c9d4f10"
down_revision: str | None = "0ace30fd8a75"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    SAGAS.migrate(1, 2)


def downgrade() -> None:
    SAGAS.migrate(2, 1)
