"""Who is calling and how often: bearer token verification and the per-client rate limit.

Route dependencies, in the order FastAPI runs them: `enforce_rate_limit` (on every API
router) keys the caller by token subject or address; `CurrentCaller` answers 401 with
`WWW-Authenticate: Bearer` without a valid token; `AdminCaller` 403 without the role.
"""

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from shopflow_gateway.dependencies import GatewayDep
from shopflow_gateway.rate_limit import client_key
from shopflow_gateway.tokens import InvalidTokenError
from shopflow_kit import Caller, Problem, ProblemType
from shopflow_kit.identity import ADMIN_ROLE, Unauthenticated
from shopflow_kit.problems import FORBIDDEN, RetryLater

INVALID_CREDENTIALS = ProblemType(401, "invalid-credentials", "Unauthenticated")
RATE_LIMITED = ProblemType(429, "rate-limited", "Too many requests")
LOGIN_THROTTLED = ProblemType(429, "login-throttled", "Too many failed logins")

bearer_scheme = HTTPBearer(auto_error=False, description="An access token from `POST /auth/token`.")


class RateLimited(RetryLater):
    """429 with Retry-After: a client's requests, or its failed logins."""

    def __init__(
        self, retry_after_seconds: int, kind: ProblemType = RATE_LIMITED, what: str = "requests"
    ) -> None:
        detail = f"Too many {what} from this client; retry in {retry_after_seconds} s."
        super().__init__(kind, detail, retry_after_seconds=retry_after_seconds)


async def _token_verdict(
    gateway: GatewayDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Caller | Unauthenticated | None:
    """The verified caller, the refusal of a bad token, or None without one."""
    if credentials is None:
        return None
    try:
        return gateway.tokens.verify(credentials.credentials)
    except InvalidTokenError as invalid:
        return Unauthenticated(str(invalid))


TokenVerdict = Annotated[Caller | Unauthenticated | None, Depends(_token_verdict)]


async def enforce_rate_limit(request: Request, gateway: GatewayDep, verdict: TokenVerdict) -> None:
    """429 `rate-limited` with Retry-After once the client's bucket is empty."""
    customer_id = verdict.customer_id if isinstance(verdict, Caller) else None
    address = request.client.host if request.client else None
    decision = await gateway.rate_limiter.take(client_key(customer_id, address))
    if decision is not None and not decision.allowed:
        gateway.metrics.rate_limited.inc()
        raise RateLimited(decision.retry_after_seconds)


async def _caller(verdict: TokenVerdict) -> Caller:
    if isinstance(verdict, Caller):
        return verdict
    detail = "A bearer token is required: get one from POST /auth/token."
    raise verdict or Unauthenticated(detail, refused=False)


CurrentCaller = Annotated[Caller, Depends(_caller)]


async def _admin(caller: CurrentCaller) -> Caller:
    if ADMIN_ROLE not in caller.roles:
        raise Problem(FORBIDDEN, f"This needs the {ADMIN_ROLE!r} role.")
    return caller


AdminCaller = Annotated[Caller, Depends(_admin)]
