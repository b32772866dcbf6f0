"""The payment service's app: what it serves and what it needs."""

from fastapi import FastAPI

from shopflow_kit import Database, ServiceMetrics, create_app
from shopflow_payment import api
from shopflow_payment.provider import PaymentProvider
from shopflow_payment.settings import PaymentSettings


def build(settings: PaymentSettings) -> FastAPI:
    metrics = ServiceMetrics()
    provider = PaymentProvider(
        settings.provider_url, settings.provider_policy, registry=metrics.registry
    )
    # Readiness is the database alone, not the provider: while the PSP is down, payments can
    # still be read and charges fail fast at the breaker, to be retried, so taking this
    # instance out of rotation would only make things worse.
    app = create_app(
        settings,
        title="ShopFlow payment service",
        routers=[api.router],
        database=Database(settings.database_url),
        metrics=metrics,
        on_shutdown=[provider.aclose],
    )
    app.state.provider = provider
    return app
