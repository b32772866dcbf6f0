"""What the order routes depend on: the request's Idempotency-Key, the app's inventory
client and saga orchestrator, and the door new orders pass. Who is asking comes from the
kit: `shopflow_kit.CustomerId`."""

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Header, Request

from shopflow_kit import Problem, ProblemType
from shopflow_kit.dependencies import require_publishing
from shopflow_order.admission import Admission
from shopflow_order.orchestrator import Orchestrator
from shopflow_order.upstreams import Inventory

IDEMPOTENCY_KEY_REQUIRED = ProblemType(400, "idempotency-key-required", "Idempotency-Key required")


async def _idempotency_key(
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
            IDEMPOTENCY_KEY_REQUIRED,
            "send an Idempotency-Key header so that a retried request cannot order twice",
        )
    return idempotency_key


async def _inventory(request: Request) -> Inventory:
    inventory: Inventory = request.app.state.inventory
    return inventory


async def _orchestrator(request: Request) -> Orchestrator:
    orchestrator: Orchestrator = request.app.state.orchestrator
    return orchestrator


Door = Callable[[], Awaitable[None]]


async def _door(request: Request) -> Door:
    """What a new order must pass, asked once the key is known to be new: a replay of an
    order already placed writes nothing and is answered whatever the shop's state, so a
    client whose answer was lost converges on its order (invariant 6, issue 16).

    503 `dependency-unavailable` while Kafka is away (its saga could not start), 503
    `overloaded` with Retry-After while the saga's backlog is too long (admission.py).
    """

    async def admit() -> None:
        await require_publishing(request)
        admission: Admission = request.app.state.admission
        admission.admit()

    return admit


IdempotencyKeyHeader = Annotated[str, Depends(_idempotency_key)]
InventoryDep = Annotated[Inventory, Depends(_inventory)]
OrchestratorDep = Annotated[Orchestrator, Depends(_orchestrator)]
DoorDep = Annotated[Door, Depends(_door)]
