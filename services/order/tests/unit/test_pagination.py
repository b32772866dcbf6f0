import base64
import uuid
from datetime import UTC, datetime

import pytest

from shopflow_order.pagination import InvalidCursorError, OrderCursor

pytestmark = pytest.mark.unit

ORDER_ID = uuid.UUID("3f2a9c4e-0000-4000-8000-000000000001")


def test_a_cursor_survives_the_round_trip_to_the_microsecond():
    cursor = OrderCursor(datetime(2026, 11, 22, 2, 5, 21, 365160, tzinfo=UTC), ORDER_ID)

    assert OrderCursor.decode(cursor.encode()) == cursor


@pytest.mark.parametrize(
    "position",
    [
        "no separator",
        "2026-11-22T02:05:21+00:00|not-a-uuid",
        "yesterday|3f2a9c4e-0000-4000-8000-000000000001",
        "2026-11-22T02:05:21|3f2a9c4e-0000-4000-8000-000000000001",
    ],
    ids=["no-separator", "bad-id", "bad-time", "no-time-zone"],
)
def test_a_position_this_api_never_handed_out_is_refused(position):
    token = base64.urlsafe_b64encode(position.encode()).decode()

    with pytest.raises(InvalidCursorError):
        OrderCursor.decode(token)


@pytest.mark.parametrize("token", ["", "not base64 at all!", "//8"])
def test_a_token_that_is_not_a_cursor_is_refused(token):
    with pytest.raises(InvalidCursorError):
        OrderCursor.decode(token)
