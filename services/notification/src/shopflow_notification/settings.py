"""Configuration, from NOTIFICATION_* environment variables."""

from pydantic_settings import SettingsConfigDict

from shopflow_kit import ServiceSettings


class NotificationSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFICATION_")

    service_name: str = "notification"
    port: int = 8004
    database_url: str
