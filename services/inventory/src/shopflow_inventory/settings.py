"""Configuration, from INVENTORY_* environment variables (and the stack's Kafka)."""

from pydantic_settings import SettingsConfigDict

from shopflow_contracts.topics import BusSettings


class InventorySettings(BusSettings):
    model_config = SettingsConfigDict(env_prefix="INVENTORY_")

    service_name: str = "inventory"
    port: int = 8002
    database_url: str
