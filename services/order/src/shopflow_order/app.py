"""The order service's app: what it serves and what it needs."""

from fastapi import FastAPI

from shopflow_kit import Database, create_app
from shopflow_order import api
from shopflow_order.inventory import Inventory
from shopflow_order.settings import OrderSettings


def build(settings: OrderSettings) -> FastAPI:
    # Inventory is not a readiness check: without it orders can still be read and cancelled.
    async def close_inventory() -> None:
        await app.state.inventory.aclose()

    app = create_app(
        settings,
        title="ShopFlow order service",
        routers=[api.router],
        database=Database(settings.database_url),
        on_shutdown=[close_inventory],
    )
    # Built after the app so that its upstream metrics land on the app's /metrics.
    app.state.inventory = Inventory(
        settings.inventory_url, settings.inventory_policy, registry=app.state.metrics.registry
    )
    return app
