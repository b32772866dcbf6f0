"""`python -m shopflow_payment [serve|migrate|revision]`."""

from pathlib import Path

from shopflow_kit.service_command import ServiceCommand
from shopflow_payment.app import build
from shopflow_payment.settings import PaymentSettings

ServiceCommand(
    settings=PaymentSettings,
    create_app=build,
    migrations=Path(__file__).parent / "migrations",
).main()
