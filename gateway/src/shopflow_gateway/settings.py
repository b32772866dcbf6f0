"""Configuration, from GATEWAY_* variables and the stack's SHOPFLOW_<SERVICE>_URL / _REDIS_URL."""

from typing import Literal, Self

from pydantic import BaseModel, Field, PositiveFloat, PositiveInt, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from shopflow_gateway.login_throttle import LoginThrottleLimits
from shopflow_kit import ServiceSettings
from shopflow_kit.settings import MIN_SECRET_BYTES
from shopflow_kit.upstream import UpstreamPolicy

UpstreamClient = Literal["aiohttp", "httpx"]


class RateLimit(BaseModel, frozen=True):
    """A token bucket per client: `burst` calls at once, refilled at `per_second`."""

    burst: PositiveInt = 60
    per_second: PositiveFloat = 20.0


class GatewaySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_")

    service_name: str = "gateway"
    port: int = 8080

    order_url: str = Field(validation_alias="SHOPFLOW_ORDER_URL")
    inventory_url: str = Field(validation_alias="SHOPFLOW_INVENTORY_URL")
    payment_url: str = Field(validation_alias="SHOPFLOW_PAYMENT_URL")
    notification_url: str = Field(validation_alias="SHOPFLOW_NOTIFICATION_URL")
    redis_url: str = Field(validation_alias="SHOPFLOW_REDIS_URL")

    # HS256 key of 32 bytes or more; the kit refuses this placeholder outside development.
    jwt_secret: SecretStr = SecretStr("dev-only-gateway-jwt-secret-change-me")
    jwt_issuer: str = "shopflow-gateway"
    jwt_audience: str = "shopflow-api"
    token_ttl_seconds: PositiveInt = 900

    # Set as JSON, e.g. GATEWAY_RATE_LIMIT='{"burst": 100, "per_second": 50}'.
    rate_limit: RateLimit = RateLimit()
    # Set as JSON, e.g. GATEWAY_LOGIN_THROTTLE='{"per_username": 5, "window_seconds": 600}'.
    login_throttle: LoginThrottleLimits = LoginThrottleLimits()
    products_cache_seconds: PositiveFloat = 5.0
    # A slow Redis must not slow every request: short timeouts, then a pause before retrying.
    redis_timeout_seconds: PositiveFloat = 0.25
    redis_retry_seconds: PositiveFloat = 1.0

    # GATEWAY_UPSTREAM_POLICY='{"timeout_seconds": 2, "breaker_fail_max": 3}', for every service.
    upstream_policy: UpstreamPolicy = UpstreamPolicy()
    # The connection pool under the upstream calls; aiohttp by measurement (ADR 0006).
    upstream_client: UpstreamClient = "aiohttp"
    # How long the order details wait for payments and notifications before leaving them out.
    details_part_timeout_seconds: PositiveFloat = 2.0

    # The live console (/console): what it shows besides the public API, when configured.
    # Jaeger's query API, for an order's trace drawn as a waterfall.
    traces_url: str | None = None
    # The provider simulator, whose fault switches admins may flip outside production.
    payment_provider_url: str | None = Field(None, validation_alias="SHOPFLOW_PAYMENT_PROVIDER_URL")
    # Name to URL, shown as links: GATEWAY_DASHBOARD_LINKS='{"Prometheus": "http://..."}'.
    dashboard_links: dict[str, str] = Field(default_factory=dict)

    @property
    def provider_faults_enabled(self) -> bool:
        """A simulator's faults are for demos and drills, never a production switch."""
        return self.payment_provider_url is not None and self.environment != "production"

    @model_validator(mode="after")
    def _refuse_a_short_signing_key(self) -> Self:
        # RFC 7518 §3.2: an HS256 key has at least 256 bits.
        if len(self.jwt_secret.get_secret_value().encode()) < MIN_SECRET_BYTES:
            raise ValueError(f"GATEWAY_JWT_SECRET needs at least {MIN_SECRET_BYTES} bytes")
        return self
