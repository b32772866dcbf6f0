"""Alembic environment of the payment service (see shopflow_kit.migrations)."""

from alembic import context

from shopflow_kit.migrations import run_migrations
from shopflow_payment.models import Base

run_migrations(context, Base.metadata)
