"""The request headers the order API reads: who is asking, and which attempt this is."""

from typing import Annotated

from fastapi import Depends, Header

from shopflow_kit import Problem


def _customer_id(
    x_customer_id: Annotated[
        str | None,
        Header(
            alias="X-Customer-Id",
            max_length=100,
            description="The customer, set by the gateway from a verified token. Required.",
        ),
    ] = None,
) -> str:
    if not x_customer_id:
        raise Problem(
            401,
            "unauthenticated",
            "Unauthenticated",
            "X-Customer-Id is missing: call through the gateway with a bearer token",
        )
    return x_customer_id


def _idempotency_key(
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            max_length=255,
            pattern=r"^[\x20-\x7e]+$",
            description="Required: 1 to 255 printable ASCII characters, unique per order "
            "you mean to place. Repeating it with the same body returns the same order.",
            examples=["3f2a9c4e-7b1d-4e55-9a40-1c2d3e4f5a6b"],
        ),
    ] = None,
) -> str:
    if idempotency_key is None:
        raise Problem(
            400,
            "idempotency-key-required",
            "Idempotency-Key required",
            "send an Idempotency-Key header so that a retried request cannot order twice",
        )
    return idempotency_key


CustomerId = Annotated[str, Depends(_customer_id)]
IdempotencyKeyHeader = Annotated[str, Depends(_idempotency_key)]
