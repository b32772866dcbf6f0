import base64
import uuid
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

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
        "0001-01-01T00:00:00+01:00|3f2a9c4e-0000-4000-8000-000000000001",
        "9999-12-31T23:59:59-01:00|3f2a9c4e-0000-4000-8000-000000000001",
    ],
    ids=["no-separator", "bad-id", "bad-time", "no-time-zone", "before-year-1", "after-9999"],
)
def test_a_position_this_api_never_handed_out_is_refused(position):
    token = base64.urlsafe_b64encode(position.encode()).decode()

    with pytest.raises(InvalidCursorError):
        OrderCursor.decode(token)


@pytest.mark.parametrize("token", ["", "not base64 at all!", "//8"])
def test_a_token_that_is_not_a_cursor_is_refused(token):
    with pytest.raises(InvalidCursorError):
        OrderCursor.decode(token)


@given(st.one_of(st.text(), st.binary().map(lambda raw: base64.urlsafe_b64encode(raw).decode())))
def test_any_token_is_a_cursor_a_database_can_compare_or_refused(token):
    try:
        cursor = OrderCursor.decode(token)
    except InvalidCursorError:
        return
    assert cursor.created_at.astimezone(UTC).year >= 1
