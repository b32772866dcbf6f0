"""The demo users who may log in, with scrypt hashes of their passwords (see the README).

A real deployment would ask an identity provider; the table stands in for one, and still
never holds a password in clear. Their passwords are in the README, so they exist only
in development and test: in production nobody can log in until an identity provider does.
"""

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass

from shopflow_gateway.passwords import verify_password
from shopflow_kit import Caller
from shopflow_kit.identity import ADMIN_ROLE

CUSTOMER_ROLE = "customer"


@dataclass(frozen=True)
class DemoUser:
    caller: Caller  # who the user is to the services once logged in
    password_hash: str


# Passwords: alice-password, bob-password, admin-password.
DEMO_USERS = {
    "alice": DemoUser(
        Caller("alice", frozenset({CUSTOMER_ROLE})),
        "$scrypt$ln=14,r=8,p=5$f4owcaWEWPAMgRq1lAi36g$n4vNO2MXOnseJ1pOLTcKD2Ei9ctnWJejbRIwGhmDOMo",
    ),
    "bob": DemoUser(
        Caller("bob", frozenset({CUSTOMER_ROLE})),
        "$scrypt$ln=14,r=8,p=5$wi1pdXNoH0ObeQNsihDuKg$PFUSI2D2nZ12804+iwWowomr8OGliEPphQZn1KxYR8s",
    ),
    "admin": DemoUser(
        Caller("admin", frozenset({CUSTOMER_ROLE, ADMIN_ROLE})),
        "$scrypt$ln=14,r=8,p=5$t74aPuqte+Qq4yx0sZdSuA$V2yih0p+S6BD1IrPV0kn4ZhtJpJJPUXy88VZW8JeVho",
    ),
}

# Checked when the username is unknown, so that the answer takes as long as for a known one.
_DECOY_HASH = DEMO_USERS["alice"].password_hash


def users_for(environment: str) -> Mapping[str, DemoUser]:
    """Who may log in where: the demo users, except in production."""
    return {} if environment == "production" else DEMO_USERS


async def authenticate(
    username: str, password: str, users: Mapping[str, DemoUser] = DEMO_USERS
) -> Caller | None:
    """The user's identity if the password is theirs, else None; hashing runs in a thread."""
    user = users.get(username)
    encoded = user.password_hash if user else _DECOY_HASH
    matches = await asyncio.to_thread(verify_password, password, encoded)
    if user is None or not matches:
        return None
    return user.caller
