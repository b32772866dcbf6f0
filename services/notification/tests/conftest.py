from pathlib import Path

import pytest

import shopflow_notification
from shopflow_kit.testing import app_client
from shopflow_notification.app import build
from shopflow_notification.settings import NotificationSettings

MIGRATIONS = Path(shopflow_notification.__file__).parent / "migrations"


@pytest.fixture(scope="module")
def settings(migrated_database):
    return NotificationSettings(
        database_url=migrated_database("notification", MIGRATIONS), environment="test"
    )


@pytest.fixture
async def client(settings):
    async with app_client(build(settings)) as client:
        yield client
