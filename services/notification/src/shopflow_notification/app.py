"""The notification service's app: what it serves and what it needs."""

from fastapi import FastAPI

from shopflow_kit import Database, create_app
from shopflow_notification import api
from shopflow_notification.settings import NotificationSettings


def build(settings: NotificationSettings) -> FastAPI:
    return create_app(
        settings,
        title="ShopFlow notification service",
        routers=[api.router],
        database=Database(settings.database_url),
    )
