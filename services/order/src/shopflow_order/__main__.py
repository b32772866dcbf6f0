"""`python -m shopflow_order [serve|migrate|revision]`."""

from pathlib import Path

from shopflow_kit.service_command import ServiceCommand
from shopflow_order.app import build
from shopflow_order.settings import OrderSettings

ServiceCommand(
    settings=OrderSettings,
    create_app=build,
    migrations=Path(__file__).parent / "migrations",
).main()
