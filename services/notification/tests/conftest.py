import pytest

from shopflow_notification.app import build
from shopflow_notification.settings import NotificationSettings


@pytest.fixture(scope="module")
def database_url(migrated_database):
    return migrated_database("notification")


@pytest.fixture
def settings(database_url, on_test_bus):
    """On topics of the test's own, so that its consumer never takes the stack's events."""
    return NotificationSettings(
        database_url=database_url,
        **on_test_bus,
    )


@pytest.fixture
def app(settings):
    return build(settings)
