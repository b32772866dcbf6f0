"""Alembic environment of the inventory service (see shopflow_kit.migrations)."""

from alembic import context

from shopflow_inventory.models import Base
from shopflow_kit.migrations import run_migrations

run_migrations(context, Base.metadata)
