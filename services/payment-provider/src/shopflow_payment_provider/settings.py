"""Configuration, from PAYMENT_PROVIDER_* environment variables."""

from pydantic_settings import SettingsConfigDict

from shopflow_kit import ServiceSettings


class PaymentProviderSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PAYMENT_PROVIDER_")

    service_name: str = "payment-provider"
    port: int = 8010
    database_url: str
