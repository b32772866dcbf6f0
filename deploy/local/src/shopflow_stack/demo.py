"""`make demo`: place a few orders through the gateway and show how each one ended.

One order is paid by a card that works, one by a card that is declined, one asks for
more than is in stock. Each ends CONFIRMED or CANCELLED, and its saga history says why.
"""

from __future__ import annotations

import asyncio
import sys

import httpx

from shopflow_stack.shop_client import place_order, settled, token_for
from shopflow_stack.stack import Stack

ORDERS = [
    ("a card that works", [{"sku": "MUG-001", "quantity": 2}], "tok_visa"),
    ("a declined card", [{"sku": "BOOK-DDIA", "quantity": 1}], "tok_chargeDeclined"),
    ("more than in stock", [{"sku": "SOLD-OUT", "quantity": 1}], "tok_visa"),
]


async def demo(gateway_url: str) -> None:
    async with httpx.AsyncClient(base_url=gateway_url, timeout=10) as gateway:
        alice = await token_for(gateway, "alice")
        print(f"Logged in as alice at {gateway_url}; placing {len(ORDERS)} orders...\n")
        placed = [
            (label, await place_order(gateway, alice, items, card)) for label, items, card in ORDERS
        ]
        for label, order in placed:
            final = await settled(gateway, alice, order["id"])
            outcome = final["status"]
            if final["cancellation_reason"]:
                outcome += f" ({final['cancellation_reason']})"
            total = f"{final['total'] / 100:.2f} {final['currency']}"
            print(f"order {final['id']} ({total}, {label}): {outcome}")
            for entry in final["saga"]:
                print(f"    {entry['at'][11:23]}  {entry['step']:<15} {entry['event']}")
            print()
    print("Try it yourself: README.md, 'Your first order'.")


def main() -> int:
    gateway = Stack().get("gateway")
    try:
        asyncio.run(demo(f"http://127.0.0.1:{gateway.port}"))
    except httpx.HTTPError as error:
        print(f"demo failed: {error!r}; is the stack up? (make status)", file=sys.stderr)
        return 1
    return 0
