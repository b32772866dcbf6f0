"""The services behind the gateway: one kit `Upstream` each, with its own pool and breaker.

The pool is aiohttp's by default, under httpx's API through `httpx_aiohttp`'s transport:
in the benchmark (ADR 0006) httpx's own pool fell behind under concurrency. Either way
the kit's timeouts, budgeted retries and breaker apply unchanged.
"""

from dataclasses import dataclass

import httpx
from httpx_aiohttp import AiohttpTransport
from prometheus_client import CollectorRegistry

from shopflow_gateway.settings import GatewaySettings, UpstreamClient
from shopflow_kit import Upstream, UpstreamPolicy


@dataclass(frozen=True)
class Services:
    order: Upstream
    inventory: Upstream
    payment: Upstream
    notification: Upstream

    async def aclose(self) -> None:
        for upstream in (self.order, self.inventory, self.payment, self.notification):
            await upstream.aclose()


def connect_services(settings: GatewaySettings, registry: CollectorRegistry) -> Services:
    def upstream(name: str, url: str) -> Upstream:
        policy = settings.upstream_policy
        transport = pool(settings.upstream_client, policy)
        return Upstream(name, url, policy, registry=registry, transport=transport)

    return Services(
        order=upstream("order", settings.order_url),
        inventory=upstream("inventory", settings.inventory_url),
        payment=upstream("payment", settings.payment_url),
        notification=upstream("notification", settings.notification_url),
    )


def pool(client: UpstreamClient, policy: UpstreamPolicy) -> httpx.AsyncBaseTransport | None:
    """The connection pool for one upstream; None leaves httpx's own to the kit."""
    if client == "httpx":
        return None
    limits = httpx.Limits(max_connections=policy.max_connections)
    return AiohttpTransport(limits=limits, trust_env=False)
