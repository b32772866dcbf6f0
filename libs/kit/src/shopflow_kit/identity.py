"""Who is calling: the identity the gateway vouches for, in headers only it may set.

The gateway verifies the bearer token, strips any client-sent copies of these headers
and sets them from the token. Services trust them and never parse tokens themselves.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header

from shopflow_kit.problems import FORBIDDEN, UNAUTHENTICATED, Problem

CUSTOMER_ID_HEADER = "X-Customer-Id"
ROLES_HEADER = "X-Customer-Roles"


@dataclass(frozen=True)
class Caller:
    customer_id: str
    roles: frozenset[str]


async def _caller(
    customer_id: Annotated[
        str | None,
        Header(
            alias=CUSTOMER_ID_HEADER,
            max_length=100,
            description="Set by the gateway from a verified token. Required.",
        ),
    ] = None,
    roles: Annotated[
        str | None,
        Header(
            alias=ROLES_HEADER,
            max_length=200,
            description="Comma-separated roles, set by the gateway from a verified token.",
        ),
    ] = None,
) -> Caller:
    if not customer_id:
        raise Problem(
            UNAUTHENTICATED,
            f"{CUSTOMER_ID_HEADER} is missing: call through the gateway with a bearer token",
        )
    return Caller(customer_id, frozenset(r.strip() for r in (roles or "").split(",") if r.strip()))


CurrentCaller = Annotated[Caller, Depends(_caller)]


async def _customer_id(caller: CurrentCaller) -> str:
    return caller.customer_id


CustomerId = Annotated[str, Depends(_customer_id)]


def require_role(role: str) -> Callable[[Caller], Awaitable[None]]:
    """A route dependency: 401 without an identity, 403 without `role`."""

    async def check(caller: CurrentCaller) -> None:
        if role not in caller.roles:
            raise Problem(FORBIDDEN, f"this needs the {role!r} role")

    return check
