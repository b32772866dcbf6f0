"""What the gateway's routes work with, built once per app and reached as a dependency."""

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from prometheus_client import CollectorRegistry

from shopflow_gateway.console_backends import ConsoleBackends, connect_console_backends
from shopflow_gateway.login_throttle import LoginThrottle
from shopflow_gateway.metrics import GatewayMetrics
from shopflow_gateway.products_cache import ProductsCache
from shopflow_gateway.rate_limit import RateLimiter
from shopflow_gateway.redis_link import RedisLink
from shopflow_gateway.settings import GatewaySettings
from shopflow_gateway.tokens import TokenAuthority
from shopflow_gateway.upstreams import Services, connect_services
from shopflow_gateway.users import DemoUser, users_for

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Gateway:
    settings: GatewaySettings
    metrics: GatewayMetrics
    tokens: TokenAuthority
    users: Mapping[str, DemoUser]
    redis: RedisLink
    rate_limiter: RateLimiter
    login_throttle: LoginThrottle
    products_cache: ProductsCache
    services: Services
    console: ConsoleBackends

    async def aclose(self) -> None:
        await self.services.aclose()
        await self.console.aclose()
        await self.redis.aclose()


def assemble(settings: GatewaySettings, registry: CollectorRegistry) -> Gateway:
    metrics = GatewayMetrics(registry)
    redis = RedisLink(
        settings.redis_url,
        metrics,
        timeout_seconds=settings.redis_timeout_seconds,
        retry_seconds=settings.redis_retry_seconds,
    )
    tokens = TokenAuthority(
        settings.jwt_secret.get_secret_value(),
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        ttl_seconds=settings.token_ttl_seconds,
    )
    users = users_for(settings.environment)
    if not users:
        logger.warning("no user can log in: the demo users exist in development and test only")
    return Gateway(
        settings=settings,
        metrics=metrics,
        tokens=tokens,
        users=users,
        redis=redis,
        rate_limiter=RateLimiter(redis, settings.rate_limit),
        login_throttle=LoginThrottle(redis, settings.login_throttle),
        products_cache=ProductsCache(redis, settings.products_cache_seconds, metrics),
        services=connect_services(settings, registry),
        console=connect_console_backends(settings, registry),
    )


async def _gateway(request: Request) -> Gateway:  # async: no threadpool hop per request
    gateway: Gateway = request.app.state.gateway
    return gateway


GatewayDep = Annotated[Gateway, Depends(_gateway)]
