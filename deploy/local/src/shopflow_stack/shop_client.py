"""Talking to the shop through its public API, for end-to-end tests and chaos drills."""

import asyncio
import uuid
from typing import Any

import httpx

TERMINAL = ("CONFIRMED", "CANCELLED")
Json = dict[str, Any]


async def token_for(gateway: httpx.AsyncClient, username: str) -> dict[str, str]:
    """Authorization headers for a demo user (password: `<username>-password`)."""
    response = await gateway.post(
        "/auth/token", json={"username": username, "password": f"{username}-password"}
    )
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def place_order(
    gateway: httpx.AsyncClient, auth: dict[str, str], items: list[Json], payment_method: str
) -> Json:
    response = await gateway.post(
        "/api/v1/orders",
        json={"items": items, "payment_method": payment_method},
        headers={**auth, "Idempotency-Key": str(uuid.uuid4())},
    )
    if response.status_code != 202:
        raise AssertionError(f"order refused: {response.status_code} {response.text}")
    order: Json = response.json()
    return order


async def settled(gateway: httpx.AsyncClient, auth: dict[str, str], order_id: str) -> Json:
    """The order once its saga has finished (the saga's own deadlines bound the wait)."""
    async with asyncio.timeout(60):
        while True:
            order: Json = (await gateway.get(f"/api/v1/orders/{order_id}", headers=auth)).json()
            if order["status"] in TERMINAL and saga_finished(order):
                return order
            await asyncio.sleep(0.2)


def saga_finished(order: Json) -> bool:
    last: str = order["saga"][-1]["event"] if order["saga"] else ""
    return last.startswith(("completed", "cancelled"))


async def available(gateway: httpx.AsyncClient, sku: str) -> int:
    response = await gateway.get(f"/api/v1/products/{sku}")
    response.raise_for_status()
    return int(response.json()["available"])
