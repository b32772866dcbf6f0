"""The bodies the gateway itself reads and writes; what it relays is the services' own."""

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

OrderPart = Literal["payments", "notifications"]


class Login(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=100, examples=["alice"])
    password: str = Field(min_length=1, max_length=200, examples=["alice-password"])


class AccessToken(BaseModel):
    access_token: str = Field(description="A JWT; send it as `Authorization: Bearer <token>`.")
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds until the token expires.", examples=[900])


class OrderDetails(BaseModel):
    order: dict[str, Any] = Field(description="As `GET /api/v1/orders/{id}` answers it.")
    payments: list[dict[str, Any]] | None = Field(description="Null when unavailable.")
    notifications: list[dict[str, Any]] | None = Field(description="Null when unavailable.")
    unavailable: list[OrderPart] = Field(description="The parts left out: their service failed.")
