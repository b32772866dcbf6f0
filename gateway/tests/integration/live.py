"""Service apps served in the test process on fixed loopback ports, to stop and start again.

They run on a `ServiceLoop`, an event loop on a thread of its own: each test runs on a loop
of its own, and services started once for a module must outlive it.
"""

import asyncio
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import uvicorn
from fastapi import FastAPI
from starlette.types import Receive, Scope, Send

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

T = TypeVar("T")


class ServiceLoop:
    """An event loop running on a thread of its own until `close()`."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="services")
        self._thread.start()

    def run(self, work: Coroutine[Any, Any, T]) -> T:
        """`work` run to its end on this loop, from code not on a loop (a module fixture)."""
        return asyncio.run_coroutine_threadsafe(work, self._loop).result()

    async def call(self, work: Coroutine[Any, Any, T]) -> T:
        """`work` run to its end on this loop, awaited from any loop (a test's)."""
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(work, self._loop))

    def close(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()


class LiveService:
    """An app served on a fixed port; `stop()` and `start()` take it away and bring it back
    (a fresh app each time, so `requests_seen()` counts from zero after a restart)."""

    def __init__(self, loop: ServiceLoop, build_app: Callable[[], FastAPI]) -> None:
        self._loop = loop
        self._build_app = build_app
        self.stops = 0  # how often it was taken away: `services` restarts the rest after a test
        self.port = unused_port()  # kept across stop() and start()
        self.url = f"http://127.0.0.1:{self.port}"
        self.app: FastAPI | None = None
        self._received = 0
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self._loop.call(self._start())

    async def stop(self) -> None:
        await self._loop.call(self._stop())

    async def _start(self) -> None:
        self.app = self._build_app()
        self._received = 0
        config = uvicorn.Config(
            self._counting,
            interface="asgi3",  # a bound method: uvicorn's guess by signature would say asgi2
            port=self.port,
            log_config=None,
            lifespan="on",
            proxy_headers=False,
        )
        self._server = uvicorn.Server(config)
        self._task = await serving(self._server)

    async def _stop(self) -> None:
        if self._server is not None and self._task is not None:
            self.stops += 1
            self._server.should_exit = True
            await self._task
            self._server = self._task = None

    async def _counting(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Counted as it comes in, so before its answer can reach the caller. The app's own
        # http_requests_total counts once the answer is sent: on this service's thread, a
        # caller could read it before the count moved.
        if scope["type"] == "http":
            self._received += 1
        assert self.app is not None
        await self.app(scope, receive, send)

    def requests_seen(self) -> int:
        """Requests this app received since it started, whatever the route and status."""
        return self._received


class Services:
    """The services behind the gateway, on `bus` (the settings fields of topics no running
    stack consumes). Orders complete only with the provider simulator, which runs when
    `databases` has one for it."""

    def __init__(self, loop: ServiceLoop, databases: dict[str, str], bus: dict[str, str]) -> None:
        self.inventory = LiveService(
            loop,
            lambda: build_inventory(
                InventorySettings(database_url=databases["inventory"], environment="test", **bus)
            ),
        )
        self.order = LiveService(
            loop,
            lambda: build_order(
                OrderSettings(
                    database_url=databases["order"],
                    inventory_url=self.inventory.url,
                    environment="test",
                    **bus,
                )
            ),
        )
        self.provider = LiveService(
            loop,
            lambda: build_provider(
                PaymentProviderSettings(
                    database_url=databases["payment-provider"], environment="test"
                )
            ),
        )
        self.payment = LiveService(
            loop,
            lambda: build_payment(
                PaymentSettings(
                    database_url=databases["payment"],
                    provider_url=self.provider.url,
                    environment="test",
                    **bus,
                )
            ),
        )
        self.notification = LiveService(
            loop,
            lambda: build_notification(
                NotificationSettings(
                    database_url=databases["notification"], environment="test", **bus
                )
            ),
        )
        self.all = (self.inventory, self.order, self.payment, self.notification)
        if "payment-provider" in databases:
            self.all += (self.provider,)

    async def start(self) -> None:
        await asyncio.gather(*(service.start() for service in self.all))

    async def stop(self) -> None:
        await asyncio.gather(*(service.stop() for service in self.all))

    def stopped(self) -> int:
        """How often any of them was taken away."""
        return sum(service.stops for service in self.all)
