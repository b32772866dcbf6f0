"""The gateway's app: the public API in front of the services, and what it needs to run."""

from fastapi import FastAPI

from shopflow_gateway import (
    auth_api,
    catalogue_api,
    console_api,
    details_api,
    orders_api,
    provider_api,
    trace_api,
)
from shopflow_gateway.console_api import mount_console
from shopflow_gateway.dependencies import assemble
from shopflow_gateway.settings import GatewaySettings
from shopflow_kit import ServiceMetrics, create_app


def build(settings: GatewaySettings) -> FastAPI:
    metrics = ServiceMetrics()
    gateway = assemble(settings, metrics.registry)
    # No readiness checks: without Redis the gateway serves, failing open (ADR 0005), and a
    # service being down is its breaker's business, not a reason to stop all traffic.
    app = create_app(
        settings,
        title="ShopFlow API",
        routers=[
            auth_api.router,
            catalogue_api.router,
            details_api.router,
            orders_api.router,
            trace_api.router,
            provider_api.router,
            console_api.router,
        ],
        on_shutdown=[gateway.aclose],
        metrics=metrics,
    )
    app.state.gateway = gateway
    mount_console(app)
    return app
