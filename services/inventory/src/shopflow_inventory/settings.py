"""Configuration, from INVENTORY_* environment variables."""

from pydantic_settings import SettingsConfigDict

from shopflow_kit import ServiceSettings


class InventorySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="INVENTORY_")

    service_name: str = "inventory"
    port: int = 8002
    database_url: str
