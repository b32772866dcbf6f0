"""The payment provider simulator's app: what it serves and what it needs."""

from fastapi import FastAPI

from shopflow_kit import Database, create_app
from shopflow_payment_provider import admin_api, api
from shopflow_payment_provider.faults import Faults
from shopflow_payment_provider.settings import PaymentProviderSettings


def build(settings: PaymentProviderSettings) -> FastAPI:
    app = create_app(
        settings,
        title="ShopFlow payment provider simulator",
        routers=[api.router, admin_api.router],
        database=Database(settings.database_url),
    )
    app.state.faults = Faults()
    return app
