"""Service apps served in the test process on fixed loopback ports, to stop and start again."""

import asyncio
from collections.abc import Callable

import uvicorn
from fastapi import FastAPI

from shopflow_inventory.app import build as build_inventory
from shopflow_inventory.settings import InventorySettings
from shopflow_notification.app import build as build_notification
from shopflow_notification.settings import NotificationSettings
from shopflow_order.app import build as build_order
from shopflow_order.settings import OrderSettings
from shopflow_payment.app import build as build_payment
from shopflow_payment.settings import PaymentSettings
from shopflow_payment_provider.app import build as build_provider
from shopflow_payment_provider.settings import PaymentProviderSettings
from shopflow_testing.ports import unused_port
from shopflow_testing.servers import serving


class LiveService:
    """An app served on a fixed port; `stop()` and `start()` take it away and bring it back
    (a fresh app each time, so `requests_seen()` counts from zero after a restart)."""

    def __init__(self, build_app: Callable[[], FastAPI]) -> None:
        self._build_app = build_app
        self.port = unused_port()  # kept across stop() and start()
        self.url = f"http://127.0.0.1:{self.port}"
        self.app: FastAPI | None = None
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.app = self._build_app()
        config = uvicorn.Config(
            self.app, port=self.port, log_config=None, lifespan="on", proxy_headers=False
        )
        self._server = uvicorn.Server(config)
        self._task = await serving(self._server)

    async def stop(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await self._task
            self._server = self._task = None

    def requests_seen(self) -> int:
        """Requests this app answered, whatever the route and status."""
        samples = self.app.state.metrics.requests.collect()[0].samples
        return int(sum(s.value for s in samples if s.name == "http_requests_total"))


class Services:
    """The services behind the gateway. Reads need no bus; orders complete only with one
    (topics of the test's own in the environment) and with the provider simulator, which
    runs when `databases` has one for it."""

    def __init__(self, databases: dict[str, str]) -> None:
        self.inventory = LiveService(
            lambda: build_inventory(
                InventorySettings(database_url=databases["inventory"], environment="test")
            )
        )
        self.order = LiveService(
            lambda: build_order(
                OrderSettings(
                    database_url=databases["order"],
                    inventory_url=self.inventory.url,
                    environment="test",
                )
            )
        )
        self.provider = LiveService(
            lambda: build_provider(
                PaymentProviderSettings(
                    database_url=databases["payment-provider"], environment="test"
                )
            )
        )
        self.payment = LiveService(
            lambda: build_payment(
                PaymentSettings(
                    database_url=databases["payment"],
                    provider_url=self.provider.url,
                    environment="test",
                )
            )
        )
        self.notification = LiveService(
            lambda: build_notification(
                NotificationSettings(database_url=databases["notification"], environment="test")
            )
        )
        self.all = (self.inventory, self.order, self.payment, self.notification)
        if "payment-provider" in databases:
            self.all += (self.provider,)
