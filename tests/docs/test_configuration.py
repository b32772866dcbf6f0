"""docs/configuration.md names every variable each service reads, and nothing it does not."""

import re
from pathlib import Path

import pytest
from pydantic_settings import BaseSettings

from shopflow_gateway.settings import GatewaySettings
from shopflow_inventory.settings import InventorySettings
from shopflow_kit.settings import MessagingSettings
from shopflow_notification.settings import NotificationSettings
from shopflow_order.settings import OrderSettings
from shopflow_payment.settings import PaymentSettings
from shopflow_payment_provider.settings import PaymentProviderSettings

pytestmark = pytest.mark.unit

PAGE = Path(__file__).parents[2] / "docs" / "configuration.md"
SERVICES = {
    "order": OrderSettings,
    "inventory": InventorySettings,
    "payment": PaymentSettings,
    "notification": NotificationSettings,
    "payment-provider": PaymentProviderSettings,
    "gateway": GatewaySettings,
}
VARIABLE = re.compile(r"`((?:<PREFIX>)?[A-Z][A-Z0-9_]+)`")


def sections() -> dict[str, str]:
    parts = re.split(r"^## ", PAGE.read_text(), flags=re.MULTILINE)
    return {part.split("\n", 1)[0]: part for part in parts[1:]}


def table_variables(section: str) -> set[str]:
    """The variables named in the first column of the section's table rows."""
    rows = [line.split("|")[1] for line in section.splitlines() if line.startswith("| `")]
    return {name for row in rows for name in VARIABLE.findall(row)}


def read_by(settings: type[BaseSettings]) -> set[str]:
    prefix = settings.model_config.get("env_prefix", "")
    names = set()
    for field_name, field in settings.model_fields.items():
        alias = field.validation_alias
        if alias is None:
            names.add(f"{prefix}{field_name}".upper())
        else:
            names.add(alias if isinstance(alias, str) else str(alias.choices[0]))
    return names


def documented_for(service: str, settings: type[BaseSettings]) -> tuple[set[str], str]:
    found = sections()
    [heading] = [title for title in found if title.startswith(f"{service} (")]
    prefix = settings.model_config.get("env_prefix", "")
    shared = {name.replace("<PREFIX>", prefix) for name in table_variables(found["Every service"])}
    if issubclass(settings, MessagingSettings):
        shared |= table_variables(
            found["Every service on the bus (order, inventory, payment, notification)"]
        )
    return shared | table_variables(found[heading]), heading


@pytest.mark.parametrize(("service", "settings"), SERVICES.items())
def test_every_variable_a_service_reads_is_documented_and_no_other(service, settings):
    documented, heading = documented_for(service, settings)

    assert read_by(settings) == documented
    assert f"`{settings.model_config['env_prefix']}`" in heading
    assert f"port {settings.model_fields['port'].default})" in heading
