"""`POST /auth/token`: a demo user's username and password for a bearer token."""

from typing import Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from shopflow_gateway.gateway import GatewayDep
from shopflow_gateway.security import RATE_LIMITED, Unauthenticated, enforce_rate_limit
from shopflow_gateway.users import authenticate
from shopflow_kit import documented_problems

router = APIRouter(prefix="/auth", tags=["auth"], dependencies=[Depends(enforce_rate_limit)])


class Login(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=100, examples=["alice"])
    password: str = Field(min_length=1, max_length=200, examples=["alice-password"])


class AccessToken(BaseModel):
    access_token: str = Field(description="A JWT; send it as `Authorization: Bearer <token>`.")
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds until the token expires.", examples=[900])


@router.post(
    "/token",
    response_model=AccessToken,
    summary="Log in: a bearer token for the demo users (see the README)",
    responses=documented_problems(
        {400: "malformed-json", 422: "validation-error"},
        {401: "invalid-credentials"},
        RATE_LIMITED,
    ),
)
async def issue_token(login: Login, gateway: GatewayDep) -> AccessToken:
    caller = await authenticate(login.username, login.password, gateway.users)
    if caller is None:
        # One answer for an unknown user and a wrong password: no hint which one it was.
        detail = "The username or password is wrong."
        raise Unauthenticated(detail, slug="invalid-credentials", refused=False)
    issued = gateway.tokens.issue(caller)
    return AccessToken(access_token=issued.access_token, expires_in=issued.expires_in)
