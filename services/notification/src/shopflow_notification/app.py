"""The notification service's app: what it serves and what it needs."""

from fastapi import FastAPI

from shopflow_kit import Database, ServiceMetrics, create_app
from shopflow_kit.messaging.wiring import messaging_jobs
from shopflow_notification import api, handlers
from shopflow_notification.settings import NotificationSettings


def build(settings: NotificationSettings) -> FastAPI:
    metrics = ServiceMetrics()
    database = Database(settings.database_url)
    # It only listens: a consumer of the order events, no outbox relay.
    bus = messaging_jobs(
        database,
        settings,
        group_id=settings.topics.group("notification"),
        registry=metrics.registry,
        handlers=handlers.HANDLERS,
        consumes=[settings.topics.order_events],
        publishes=False,
    )
    return create_app(
        settings,
        title="ShopFlow notification service",
        routers=[api.router],
        database=database,
        metrics=metrics,
        background=bus,
    )
