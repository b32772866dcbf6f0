"""Access tokens: HS256 JWTs the gateway issues at login and verifies on every call.

A token carries the customer (`sub`) and their `roles`; verifying checks the signature,
the algorithm, expiry, issuer and audience, and that every claim the gateway relies on is
there. Services never see the token, only the identity headers set from it.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jwt

from shopflow_kit import Caller

ALGORITHM = "HS256"
_REQUIRED_CLAIMS = ["sub", "exp", "iat", "iss", "aud"]
_LEEWAY_SECONDS = 5  # clock skew between gateway processes


class InvalidTokenError(Exception):
    """The token is not one this gateway issued, or no longer valid; the message says why."""


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    expires_in: int


class TokenAuthority:
    """Issues and verifies the gateway's tokens with one secret, issuer and audience."""

    def __init__(
        self,
        secret: str,
        *,
        issuer: str,
        audience: str,
        ttl_seconds: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._secret = secret
        self.issuer = issuer
        self.audience = audience
        self.ttl_seconds = ttl_seconds
        self._clock = clock

    def issue(self, caller: Caller) -> IssuedToken:
        now = int(self._clock())
        claims: dict[str, Any] = {
            "sub": caller.customer_id,
            "roles": sorted(caller.roles),
            "iss": self.issuer,
            "aud": self.audience,
            "iat": now,
            "exp": now + self.ttl_seconds,
        }
        return IssuedToken(jwt.encode(claims, self._secret, ALGORITHM), self.ttl_seconds)

    def verify(self, token: str) -> Caller:
        """The caller the token speaks for; raises `InvalidTokenError`."""
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],  # never the token's own choice ("none", RS/HS confusion)
                audience=self.audience,
                issuer=self.issuer,
                leeway=_LEEWAY_SECONDS,
                options={"require": _REQUIRED_CLAIMS},
            )
        except jwt.ExpiredSignatureError as expired:
            raise InvalidTokenError("the token has expired") from expired
        except jwt.PyJWTError as invalid:
            raise InvalidTokenError(f"the token is invalid: {invalid}") from invalid
        return _caller(claims)


def _caller(claims: dict[str, Any]) -> Caller:
    subject, roles = claims["sub"], claims.get("roles", [])
    if not isinstance(subject, str) or not subject:
        raise InvalidTokenError("the token names no subject")
    if not isinstance(roles, list) or not all(isinstance(role, str) for role in roles):
        raise InvalidTokenError("the token's roles are not a list of names")
    return Caller(subject, frozenset(roles))
