"""Access tokens: HS256 JWTs the gateway issues at login and verifies on every call.

A token carries the customer (`sub`) and their `roles`; verifying checks the signature,
the algorithm, expiry, issuer and audience, and that every claim the gateway relies on is
there. They are the kit's caller tokens (`shopflow_kit.identity`) with the gateway's own
key, issuer and audience, valid for minutes: services never see them, only the service
tokens the gateway signs for each call.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass

from shopflow_kit.identity import ALGORITHM, Caller, InvalidTokenError, ServiceTokens

__all__ = ["ALGORITHM", "InvalidTokenError", "IssuedToken", "TokenAuthority"]


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
        self._tokens = ServiceTokens(secret, issuer=issuer, ttl_seconds=ttl_seconds, clock=clock)
        self.issuer = issuer
        self.audience = audience
        self.ttl_seconds = ttl_seconds

    def issue(self, caller: Caller) -> IssuedToken:
        return IssuedToken(self._tokens.sign(caller, self.audience), self.ttl_seconds)

    def verify(self, token: str) -> Caller:
        """The caller the token speaks for; raises `InvalidTokenError`."""
        return self._tokens.verify(token, self.audience, issuer=self.issuer)
