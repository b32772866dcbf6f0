"""The inventory service's app: what it serves, what it consumes, and what it needs."""

from fastapi import FastAPI

from shopflow_inventory import admin_api, api
from shopflow_inventory.handlers import StockCommands
from shopflow_inventory.settings import InventorySettings
from shopflow_kit import Database, ServiceMetrics, create_app
from shopflow_kit.messaging.wiring import messaging_jobs, report_publishing


def build(settings: InventorySettings) -> FastAPI:
    metrics = ServiceMetrics()
    database = Database(settings.database_url)
    bus = messaging_jobs(
        database,
        settings,
        group_id=settings.topics.group("inventory"),
        registry=metrics.registry,
        handlers=StockCommands(settings.topics).handlers(),
        consumes=[settings.topics.inventory_commands],
    )
    app = create_app(
        settings,
        title="ShopFlow inventory service",
        routers=[api.router, admin_api.router],
        database=database,
        metrics=metrics,
        background=bus,
    )
    report_publishing(app, bus.relay)
    return app
