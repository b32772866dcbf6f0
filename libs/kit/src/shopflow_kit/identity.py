"""Who is calling a service: a short-lived token every service verifies for itself.

The gateway checks a customer's access token at the edge and, for each call it makes to
a service, signs a service token: HS256 with `SHOPFLOW_SERVICE_TOKEN_SECRET` (one key
for the whole deployment), naming the customer (`sub`), their `roles` and the one service
it is for (`aud`), valid for a minute. A service reads the caller from that token alone,
so a process that reaches a service port without the key is nobody, whatever headers it
sends (ADR 0017). Routes declare what they need: `CurrentCaller` / `CustomerId` (401
without a valid token), `require_role(...)` (403 without the role).
"""

import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any

import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.responses import JSONResponse

from shopflow_kit.problems import FORBIDDEN, UNAUTHENTICATED, Problem, ProblemType

ALGORITHM = "HS256"
TTL_SECONDS = 60  # one call, its retries and the clock skew between hosts
_LEEWAY_SECONDS = 5
VERIFIED_KEPT = 4096  # tokens remembered as verified, per `ServiceTokens`
_REQUIRED_CLAIMS = ["sub", "aud", "iss", "iat", "exp"]
REALM = "shopflow"
ADMIN_ROLE = "admin"


@dataclass(frozen=True)
class Caller:
    customer_id: str
    roles: frozenset[str]


class InvalidTokenError(Exception):
    """Not a token this deployment signed for this service, or no longer valid; says why."""


class ServiceTokens:
    """Signs and verifies caller tokens with one key: the deployment's shared one for
    service tokens (the gateway's customer access tokens are the same, with its own)."""

    def __init__(
        self,
        secret: str,
        *,
        issuer: str,
        ttl_seconds: int = TTL_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._secret = secret
        self.issuer = issuer
        self.ttl_seconds = ttl_seconds
        self._clock = clock
        # (token, audience, issuer) -> the caller and when the token stops being good.
        self._verified: dict[tuple[str, str, str | None], tuple[Caller, float]] = {}

    def sign(self, caller: Caller, audience: str) -> str:
        """A token for one call to the service named `audience`, on behalf of `caller`."""
        now = int(self._clock())
        claims = {
            "sub": caller.customer_id,
            "roles": sorted(caller.roles),
            "aud": audience,
            "iss": self.issuer,
            "iat": now,
            "exp": now + self.ttl_seconds,
        }
        return jwt.encode(claims, self._secret, ALGORITHM)

    def verify(self, token: str, audience: str, issuer: str | None = None) -> Caller:
        """The caller a token for `audience` (from `issuer`, if given) speaks for; raises
        `InvalidTokenError`.

        A token verified before is answered from memory until it expires: the same bytes
        under the same key verify the same way, and only its expiry depends on the time
        (checked again on each use, on the clock PyJWT reads). A customer's access token
        comes back with every call, a service token with every call signed in the same
        second; decoding and checking one is about a tenth of a cheap request's CPU.
        """
        key = (token, audience, issuer)
        if (known := self._verified.get(key)) is not None:
            caller, good_until = known
            if time.time() <= good_until:
                return caller
            del self._verified[key]
            raise InvalidTokenError("the token has expired")
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],  # never the token's own choice ("none", RS/HS confusion)
                audience=audience,
                issuer=issuer,
                leeway=_LEEWAY_SECONDS,
                options={"require": _REQUIRED_CLAIMS},
            )
        except jwt.ExpiredSignatureError as expired:
            raise InvalidTokenError("the token has expired") from expired
        except jwt.PyJWTError as invalid:
            raise InvalidTokenError(f"the token is invalid: {invalid}") from invalid
        caller = _caller(claims)
        if len(self._verified) >= VERIFIED_KEPT:
            self._verified.pop(next(iter(self._verified)))  # the oldest remembered
        self._verified[key] = (caller, claims["exp"] + _LEEWAY_SECONDS)
        return caller


def _caller(claims: Mapping[str, Any]) -> Caller:
    subject, roles = claims["sub"], claims.get("roles", [])
    if not isinstance(subject, str) or not subject:
        raise InvalidTokenError("the token names no subject")
    if not isinstance(roles, list) or not all(isinstance(role, str) for role in roles):
        raise InvalidTokenError("the token's roles are not a list of names")
    return Caller(subject, frozenset(roles))


def bearer(token: str) -> dict[str, str]:
    """The Authorization header that carries `token`."""
    return {"Authorization": f"Bearer {token}"}


class Unauthenticated(Problem):
    """401 with the challenge RFC 6750 asks for; `error` names a refused token."""

    def __init__(
        self, detail: str, *, kind: ProblemType = UNAUTHENTICATED, refused: bool = True
    ) -> None:
        super().__init__(kind, detail)
        self.refused = refused

    def response(
        self, instance: str | None = None, headers: Mapping[str, str] | None = None
    ) -> JSONResponse:
        challenge = f'Bearer realm="{REALM}"'
        if self.refused:
            challenge += ', error="invalid_token"'
        return super().response(instance, {"WWW-Authenticate": challenge, **(headers or {})})


_service_token = HTTPBearer(
    auto_error=False,
    scheme_name="serviceToken",
    description="A service token, signed for this service (the gateway signs one per call).",
)


async def _current_caller(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_service_token)],
) -> Caller:
    if credentials is None:
        detail = "A service token is required: call through the gateway with a bearer token."
        raise Unauthenticated(detail, refused=False)
    tokens: ServiceTokens = request.app.state.service_tokens
    try:
        return tokens.verify(credentials.credentials, request.app.state.settings.service_name)
    except InvalidTokenError as invalid:
        raise Unauthenticated(str(invalid)) from invalid


CurrentCaller = Annotated[Caller, Depends(_current_caller)]


async def _customer_id(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_service_token)],
) -> str:
    # Not through CurrentCaller: a level of dependencies FastAPI resolves per request.
    return (await _current_caller(request, credentials)).customer_id


CustomerId = Annotated[str, Depends(_customer_id)]


def require_role(role: str) -> Callable[[Caller], Awaitable[None]]:
    """A route dependency: 401 without a valid service token, 403 without `role`."""

    async def check(caller: CurrentCaller) -> None:
        if role not in caller.roles:
            raise Problem(FORBIDDEN, f"this needs the {role!r} role")

    return check


authenticated = Depends(_current_caller)
"""For a router's or route's `dependencies`: any caller with a valid service token."""
admin_only = Depends(require_role(ADMIN_ROLE))
"""For a router's or route's `dependencies`: admins only."""
NOT_ADMIN = (UNAUTHENTICATED, FORBIDDEN)
"""The problems `admin_only` answers with, for `documented_problems`."""
