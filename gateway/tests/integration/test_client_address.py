"""Who the client is, for rate limits and login throttling: the peer's address, unless a
trusted proxy says otherwise; and failed logins counted per username and per client."""

import asyncio

import pytest

from shopflow_gateway.login_throttle import LoginThrottleLimits
from shopflow_gateway.settings import RateLimit
from shopflow_kit import PROBLEM_BASE

pytestmark = pytest.mark.integration

TIGHT = RateLimit(burst=3, per_second=0.01)


async def anonymous_reads(gateway, count: int) -> list[int]:
    """Product reads, each claiming to come from another address."""
    return [
        (
            await gateway.client.get(
                "/api/v1/products/MUG-001", headers={"X-Forwarded-For": f"203.0.113.{n}"}
            )
        ).status_code
        for n in range(count)
    ]


async def test_a_client_cannot_pick_its_own_bucket_with_x_forwarded_for(gateway_for):
    gateway = await gateway_for(rate_limit=TIGHT)

    statuses = await anonymous_reads(gateway, 6)

    assert statuses[:3] == [200, 200, 200]
    assert set(statuses[3:]) == {429}  # one bucket: the peer's own address


async def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_bucket(gateway_for):
    gateway = await gateway_for(rate_limit=TIGHT, trusted_proxies=["127.0.0.1"])

    assert set(await anonymous_reads(gateway, 6)) == {200}


async def login(gateway, username: str, password: str):
    return await gateway.client.post(
        "/auth/token", json={"username": username, "password": password}
    )


async def test_failed_logins_for_one_username_are_throttled_the_right_password_too(gateway_for):
    limits = LoginThrottleLimits(per_username=3, per_client=100, window_seconds=60)
    gateway = await gateway_for(login_throttle=limits)

    failed = [await login(gateway, "alice", f"guess-{n}") for n in range(3)]
    right_password = await login(gateway, "alice", "alice-password")
    someone_else = await login(gateway, "bob", "bob-password")

    assert [answer.status_code for answer in failed] == [401, 401, 401]
    assert right_password.status_code == 429
    assert right_password.json()["type"] == PROBLEM_BASE + "login-throttled"
    assert 1 <= int(right_password.headers["retry-after"]) <= 60
    assert someone_else.status_code == 200


async def test_concurrent_guesses_are_counted_before_any_password_is_checked(gateway_for):
    limits = LoginThrottleLimits(per_username=3, per_client=100, window_seconds=60)
    gateway = await gateway_for(login_throttle=limits)

    answers = await asyncio.gather(*(login(gateway, "alice", f"guess-{n}") for n in range(8)))

    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [401] * 3 + [429] * 5


async def test_failed_logins_from_one_client_are_throttled_whatever_the_username(gateway_for):
    limits = LoginThrottleLimits(per_username=100, per_client=3, window_seconds=60)
    gateway = await gateway_for(login_throttle=limits)

    failed = [await login(gateway, name, "guess") for name in ("alice", "bob", "carol")]
    next_one = await login(gateway, "bob", "bob-password")

    assert [answer.status_code for answer in failed] == [401, 401, 401]
    assert next_one.status_code == 429
    assert "retry-after" in next_one.headers


async def test_a_successful_login_clears_its_username_s_failures(gateway_for):
    limits = LoginThrottleLimits(per_username=3, per_client=100, window_seconds=60)
    gateway = await gateway_for(login_throttle=limits)

    answers = [
        await login(gateway, "alice", password)
        for password in ("guess-1", "guess-2", "alice-password", "guess-3", "guess-4")
    ]

    assert [answer.status_code for answer in answers] == [401, 401, 200, 401, 401]
