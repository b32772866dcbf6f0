"""`python -m shopflow_inventory [serve|migrate|seed|revision]`."""

from pathlib import Path

from shopflow_inventory.app import build
from shopflow_inventory.seed import seed
from shopflow_inventory.settings import InventorySettings
from shopflow_kit.service_command import ServiceCommand

ServiceCommand(
    settings=InventorySettings,
    create_app=build,
    migrations=Path(__file__).parent / "migrations",
    seed=seed,
).main()
