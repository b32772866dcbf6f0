"""`python -m shopflow_payment_provider [serve|migrate|revision]`."""

from pathlib import Path

from shopflow_kit.service_command import ServiceCommand
from shopflow_payment_provider.app import build
from shopflow_payment_provider.settings import PaymentProviderSettings

ServiceCommand(
    settings=PaymentProviderSettings,
    create_app=build,
    migrations=Path(__file__).parent / "migrations",
).main()
