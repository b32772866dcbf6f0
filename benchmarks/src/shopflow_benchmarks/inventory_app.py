"""The inventory service's app as uvicorn's factory, built from whichever `shopflow_inventory`
comes first on the path (`side_by_side` puts an older version's sources there)."""

from fastapi import FastAPI


def inventory_app() -> FastAPI:
    from shopflow_inventory.app import build
    from shopflow_inventory.settings import InventorySettings

    return build(InventorySettings())
