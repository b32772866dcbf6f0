"""`POST /auth/token`: a demo user's username and password for a bearer token."""

from fastapi import APIRouter, Depends, Request

from shopflow_gateway.dependencies import GatewayDep
from shopflow_gateway.schemas import AccessToken, Login
from shopflow_gateway.security import (
    INVALID_CREDENTIALS,
    LOGIN_THROTTLED,
    RATE_LIMITED,
    RateLimited,
    enforce_rate_limit,
)
from shopflow_gateway.users import authenticate
from shopflow_kit import documented_problems
from shopflow_kit.identity import Unauthenticated
from shopflow_kit.problems import MALFORMED_JSON, VALIDATION_ERROR

router = APIRouter(prefix="/auth", tags=["auth"], dependencies=[Depends(enforce_rate_limit)])


@router.post(
    "/token",
    operation_id="issueToken",
    summary="Log in: a bearer token for the demo users (see the README)",
    description="After `per_username` failed logins for a username, or `per_client` from "
    "a client, within the window (`GATEWAY_LOGIN_THROTTLE`), attempts are refused with 429 "
    "`login-throttled` and `Retry-After` until it ends.",
    responses=documented_problems(
        MALFORMED_JSON, VALIDATION_ERROR, INVALID_CREDENTIALS, RATE_LIMITED, LOGIN_THROTTLED
    ),
)
async def issue_token(login: Login, request: Request, gateway: GatewayDep) -> AccessToken:
    client = request.client.host if request.client else "unknown"
    throttle = gateway.login_throttle
    if wait := await throttle.attempt(login.username, client):
        raise RateLimited(wait, LOGIN_THROTTLED, "failed logins")
    caller = await authenticate(login.username, login.password, gateway.users)
    if caller is None:
        # One answer for an unknown user and a wrong password: no hint which one it was.
        detail = "The username or password is wrong."
        raise Unauthenticated(detail, kind=INVALID_CREDENTIALS, refused=False)
    await throttle.succeeded(login.username, client)
    issued = gateway.tokens.issue(caller)
    return AccessToken(access_token=issued.access_token, expires_in=issued.expires_in)
