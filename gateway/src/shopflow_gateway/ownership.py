"""Whose order it is: the order service decides, as it does for every customer route."""

import uuid

import httpx
from fastapi import Request

from shopflow_gateway.dependencies import Gateway
from shopflow_gateway.proxy import call_upstream
from shopflow_kit import Caller


async def order_as_owner(
    request: Request, gateway: Gateway, order_id: uuid.UUID, caller: Caller
) -> httpx.Response:
    """The order service's answer to `GET /orders/{id}` as `caller`, unread: 200 only for
    the caller's own order, 404 `order-not-found` for anyone else's as for none at all."""
    target = f"/orders/{order_id}"
    return await call_upstream(request, gateway.services.order, target, caller, method="GET")
