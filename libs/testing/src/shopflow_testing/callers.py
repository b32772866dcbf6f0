"""Callers for a service's own tests: the service token the gateway would sign for a call.

The plugin sets `SHOPFLOW_SERVICE_TOKEN_SECRET` to `TEST_SERVICE_TOKEN_SECRET` for the run,
so that the services a test builds and the tokens made here share the key; a test of a
running stack passes the stack's own key as `secret`.
"""

import os
from collections.abc import Generator

import httpx

from shopflow_kit.identity import ADMIN_ROLE, Caller, ServiceTokens, bearer
from shopflow_kit.settings import SERVICE_TOKEN_SECRET_VARIABLE

TEST_SERVICE_TOKEN_SECRET = "shopflow-tests-service-token-secret-0123456789"
CUSTOMER_ROLE = "customer"
ADMIN = Caller("ada", frozenset({CUSTOMER_ROLE, ADMIN_ROLE}))


def _signed(service: str, caller: Caller, secret: str | None) -> dict[str, str]:
    key = secret or os.environ.get(SERVICE_TOKEN_SECRET_VARIABLE, TEST_SERVICE_TOKEN_SECRET)
    return bearer(ServiceTokens(key, issuer="tests").sign(caller, service))


def signed_in(service: str, customer_id: str, *roles: str) -> dict[str, str]:
    """The Authorization header of a call to `service` for the customer (role: customer)."""
    return _signed(service, Caller(customer_id, frozenset(roles or (CUSTOMER_ROLE,))), None)


def as_admin(service: str) -> dict[str, str]:
    """The Authorization header of an admin's call to `service`."""
    return _signed(service, ADMIN, None)


class AdminAuth(httpx.Auth):
    """An httpx client's auth: every request an admin's, with a token signed as it leaves
    (tokens last a minute; a client may live longer)."""

    def __init__(self, service: str, secret: str | None = None) -> None:
        self._service = service
        self._secret = secret

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response]:
        request.headers.update(_signed(self._service, ADMIN, self._secret))
        yield request
