"""Password hashes: salted scrypt in the PHC format, and the demo users' documented passwords."""

import asyncio

import pytest

from shopflow_gateway.passwords import hash_password, verify_password
from shopflow_gateway.users import DEMO_USERS, authenticate, users_for

pytestmark = pytest.mark.unit

CHEAP = {"log2_n": 4, "r": 1, "p": 1}  # the logic, without the cost


def test_a_hash_verifies_its_password_only():
    encoded = hash_password("correct horse", **CHEAP)

    assert encoded.startswith("$scrypt$ln=4,r=1,p=1$")
    assert verify_password("correct horse", encoded)
    assert not verify_password("correct horse ", encoded)


def test_the_same_password_hashes_differently_each_time():
    assert hash_password("same", **CHEAP) != hash_password("same", **CHEAP)


@pytest.mark.parametrize("encoded", ["", "plain-text", "$scrypt$ln=4,r=1,p=1$c2FsdA"])
def test_a_malformed_hash_matches_nothing(encoded):
    assert not verify_password("", encoded)


def test_the_demo_users_log_in_with_their_documented_passwords():
    callers = [asyncio.run(authenticate(name, f"{name}-password")) for name in DEMO_USERS]

    assert [caller.customer_id for caller in callers] == ["alice", "bob", "admin"]
    assert "admin" in callers[2].roles
    assert "admin" not in callers[0].roles
    assert asyncio.run(authenticate("alice", "bob-password")) is None
    assert asyncio.run(authenticate("nobody", "nobody-password")) is None


@pytest.mark.parametrize(("environment", "alice"), [("development", True), ("production", False)])
def test_the_demo_users_exist_outside_production_only(environment, alice):
    caller = asyncio.run(authenticate("alice", "alice-password", users_for(environment)))

    assert (caller is not None) is alice
