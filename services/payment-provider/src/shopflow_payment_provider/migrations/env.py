"""Alembic environment of the payment provider simulator (see shopflow_kit.migrations)."""

from alembic import context

from shopflow_kit.migrations import run_migrations
from shopflow_payment_provider.models import Base

run_migrations(context, Base.metadata)
