"""The migrations build exactly what the models declare, and each one can be undone and redone."""

import pytest

from shopflow_testing.migrations import migration_problems

pytestmark = pytest.mark.integration


def test_the_migrations_build_the_models_and_each_one_can_be_undone(fresh_database):
    assert migration_problems("order", fresh_database("order")) == []
