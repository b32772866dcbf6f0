"""Configuration, from ORDER_* environment variables (and the stack's SHOPFLOW_INVENTORY_URL)."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shopflow_kit import ServiceSettings
from shopflow_kit.upstream import UpstreamPolicy


class OrderSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ORDER_", populate_by_name=True)

    service_name: str = "order"
    port: int = 8001
    database_url: str
    inventory_url: str = Field(validation_alias="SHOPFLOW_INVENTORY_URL")
    # ORDER_INVENTORY_POLICY='{"timeout_seconds": 2, "breaker_fail_max": 3}' tunes the calls.
    inventory_policy: UpstreamPolicy = UpstreamPolicy()
