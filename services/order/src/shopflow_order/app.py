"""The order service's app: what it serves and what it needs."""

from fastapi import FastAPI

from shopflow_kit import Database, ServiceMetrics, create_app
from shopflow_order import api
from shopflow_order.inventory import Inventory
from shopflow_order.settings import OrderSettings


def build(settings: OrderSettings) -> FastAPI:
    metrics = ServiceMetrics()
    inventory = Inventory(
        settings.inventory_url, settings.inventory_policy, registry=metrics.registry
    )
    # Inventory is not a readiness check: without it orders can still be read and cancelled.
    app = create_app(
        settings,
        title="ShopFlow order service",
        routers=[api.router],
        database=Database(settings.database_url),
        metrics=metrics,
        on_shutdown=[inventory.aclose],
    )
    app.state.inventory = inventory
    return app
