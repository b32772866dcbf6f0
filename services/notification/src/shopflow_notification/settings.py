"""Configuration, from NOTIFICATION_* environment variables and the stack's SHOPFLOW_* ones."""

from pydantic_settings import SettingsConfigDict

from shopflow_contracts.topics import BusSettings


class NotificationSettings(BusSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFICATION_")

    service_name: str = "notification"
    port: int = 8004
    database_url: str
