"""The payment service's app: what it serves and what it needs."""

from fastapi import FastAPI

from shopflow_kit import Database, create_app
from shopflow_payment import api
from shopflow_payment.provider import PaymentProvider
from shopflow_payment.settings import PaymentSettings


def build(settings: PaymentSettings) -> FastAPI:
    # Readiness is the database alone, not the provider: while the PSP is down, payments can
    # still be read and charges fail fast at the breaker, to be retried, so taking this
    # instance out of rotation would only make things worse.
    async def close_provider() -> None:
        await app.state.provider.aclose()

    app = create_app(
        settings,
        title="ShopFlow payment service",
        routers=[api.router],
        database=Database(settings.database_url),
        on_shutdown=[close_provider],
    )
    # Built after the app so that its upstream metrics land on the app's /metrics.
    app.state.provider = PaymentProvider(
        settings.provider_url, settings.provider_policy, registry=app.state.metrics.registry
    )
    return app
