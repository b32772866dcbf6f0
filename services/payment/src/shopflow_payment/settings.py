"""Configuration, from PAYMENT_* environment variables (and the stack's provider URL and Kafka)."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shopflow_contracts.topics import BusSettings
from shopflow_kit.upstream import UpstreamPolicy


class PaymentSettings(BusSettings):
    model_config = SettingsConfigDict(env_prefix="PAYMENT_")

    service_name: str = "payment"
    port: int = 8003
    database_url: str
    provider_url: str = Field(validation_alias="SHOPFLOW_PAYMENT_PROVIDER_URL")
    # PAYMENT_PROVIDER_POLICY='{"timeout_seconds": 2, "breaker_fail_max": 3}' tunes the calls.
    provider_policy: UpstreamPolicy = UpstreamPolicy()
