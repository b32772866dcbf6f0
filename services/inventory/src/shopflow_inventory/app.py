"""The inventory service's app: what it serves and what it needs."""

from fastapi import FastAPI

from shopflow_inventory import admin_api, api
from shopflow_inventory.settings import InventorySettings
from shopflow_kit import Database, create_app


def build(settings: InventorySettings) -> FastAPI:
    return create_app(
        settings,
        title="ShopFlow inventory service",
        routers=[api.router, admin_api.router],
        database=Database(settings.database_url),
    )
