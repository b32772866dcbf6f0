"""Configuration shared by every ShopFlow service, read from environment variables.

Each service subclasses `ServiceSettings` (or `MessagingSettings`, on the bus) with its
own prefix and adds what it needs:

    class ShelfSettings(ServiceSettings):
        model_config = SettingsConfigDict(env_prefix="SHELF_")

        service_name: str = "shelf"
        port: int = 8005
        database_url: str  # asyncpg URL: postgresql+asyncpg://user:pass@host/db
        catalogue_url: str = Field(validation_alias="SHOPFLOW_CATALOGUE_URL")

The local stack runner provides `<PREFIX>DATABASE_URL` per service and the shared,
unprefixed `SHOPFLOW_KAFKA_BOOTSTRAP_SERVERS` and `SHOPFLOW_<SERVICE>_URL`; a field with
a `validation_alias` ignores the prefix. Standard `OTEL_*` variables stay unprefixed too.

Safe by default: without `SHOPFLOW_ENVIRONMENT` (one variable for every service) a service
runs as `production`, refusing placeholder secrets; development deployments say so.
`SHOPFLOW_SERVICE_TOKEN_SECRET`, the key services verify their callers with, is the
other unprefixed variable every service reads.
"""

import ipaddress
from typing import Annotated, Literal, Self

from pydantic import (
    AfterValidator,
    AliasChoices,
    BeforeValidator,
    Field,
    SecretStr,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]

_PLACEHOLDER_VALUES = frozenset({"", "changeme"})
_PLACEHOLDER_PREFIXES = ("dev-", "insecure-")


def _comma_separated(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


def _networks(addresses: list[str]) -> list[str]:
    for address in addresses:
        ipaddress.ip_network(address, strict=False)  # ValueError names the bad one
    return addresses


# `10.0.0.0/8, 192.168.1.7`: addresses and networks, comma-separated (or a JSON list).
Networks = Annotated[
    list[str], NoDecode, BeforeValidator(_comma_separated), AfterValidator(_networks)
]

Environment = Literal["development", "test", "production"]
ENVIRONMENT_VARIABLE = "SHOPFLOW_ENVIRONMENT"
SERVICE_TOKEN_SECRET_VARIABLE = "SHOPFLOW_SERVICE_TOKEN_SECRET"
MIN_SECRET_BYTES = 32


class ServiceSettings(BaseSettings):
    """Fields every service has; subclasses set `env_prefix` and add their own."""

    # Fields with an unprefixed alias can still be given by name: `environment="test"`.
    model_config = SettingsConfigDict(populate_by_name=True)

    service_name: str
    environment: Environment = Field(default="production", validation_alias=ENVIRONMENT_VARIABLE)
    log_level: Annotated[LogLevel, BeforeValidator(str.upper)] = "INFO"
    host: str = "127.0.0.1"
    port: int
    max_body_bytes: int = 1_048_576
    # The proxies whose X-Forwarded-For and -Proto are believed (the load balancer in front
    # of the gateway); none by default, so no client can pick the address it is known by.
    trusted_proxies: Networks = Field(default_factory=list)
    shutdown_timeout_seconds: float = 10
    readiness_timeout_seconds: float = 2
    # The key of the service tokens (shopflow_kit.identity): one value for every service of
    # a deployment, HS256, 32 bytes or more; this placeholder serves development only.
    service_token_secret: SecretStr = Field(
        default=SecretStr("dev-only-service-token-secret-change-me"),
        validation_alias=SERVICE_TOKEN_SECRET_VARIABLE,
    )

    @model_validator(mode="after")
    def _refuse_a_short_service_token_key(self) -> Self:
        # RFC 7518 §3.2: an HS256 key has at least 256 bits.
        if len(self.service_token_secret.get_secret_value().encode()) < MIN_SECRET_BYTES:
            raise ValueError(
                f"{SERVICE_TOKEN_SECRET_VARIABLE} needs at least {MIN_SECRET_BYTES} bytes"
            )
        return self

    @model_validator(mode="after")
    def _refuse_placeholder_secrets(self) -> Self:
        if self.environment == "development":
            return self
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr) and _is_placeholder(value.get_secret_value()):
                raise ValueError(
                    f"{name} (env {self._env_var(name)}) holds a placeholder secret; set a "
                    f"real value when {ENVIRONMENT_VARIABLE} is {self.environment!r} (its "
                    f"default), or {ENVIRONMENT_VARIABLE}=development on a development machine"
                )
        return self

    def _env_var(self, name: str) -> str:
        alias = type(self).model_fields[name].validation_alias
        if isinstance(alias, str):
            return alias
        return f"{self.model_config.get('env_prefix', '')}{name}".upper()


def _is_placeholder(secret: str) -> bool:
    normalized = secret.strip().lower()
    return normalized in _PLACEHOLDER_VALUES or normalized.startswith(_PLACEHOLDER_PREFIXES)


def _unprefixed(name: str) -> AliasChoices:
    return AliasChoices(f"SHOPFLOW_{name.upper()}", name)


class MessagingSettings(ServiceSettings):
    """A service on the Kafka bus: the stack's shared bootstrap servers and how its clients
    wait, unprefixed (one value for every service of a deployment).

    The production defaults are aiokafka's for the consumer group (a 10 s session, a
    heartbeat every 3 s) and a 30 s cap on the relay's backoff in an outage; the local
    stack and compose set shorter ones (deploy/local/stack.toml, `[bus]`), so that a
    killed consumer's partitions move and a healed broker is written to within seconds.
    """

    kafka_bootstrap_servers: str = Field(validation_alias=_unprefixed("kafka_bootstrap_servers"))
    # How long the broker waits for a consumer's heartbeat before giving its partitions to
    # the rest of its group: a killed replica's records wait that long. Within the broker's
    # group.min/max.session.timeout.ms (6 s to 30 min unless the broker says otherwise).
    kafka_session_timeout_seconds: float = Field(
        default=10.0, gt=0, validation_alias=_unprefixed("kafka_session_timeout_seconds")
    )
    # At most a third of the session (Kafka's rule): two heartbeats may be lost, not three.
    kafka_heartbeat_interval_seconds: float = Field(
        default=3.0, gt=0, validation_alias=_unprefixed("kafka_heartbeat_interval_seconds")
    )
    # The longest the outbox relay waits between attempts while Kafka or PostgreSQL is
    # away, so also how long a healed broker may wait for it (each wait is drawn at random
    # below a ceiling doubling from 0.1 s, `relay_outage`; no cap below that first one).
    outbox_relay_max_backoff_seconds: float = Field(
        default=30.0,
        ge=0.1,
        validation_alias=_unprefixed("outbox_relay_max_backoff_seconds"),
    )

    @model_validator(mode="after")
    def _heartbeat_well_within_the_session(self) -> Self:
        heartbeat = self.kafka_heartbeat_interval_seconds
        session = self.kafka_session_timeout_seconds
        if heartbeat * 3 > session:
            raise ValueError(
                f"SHOPFLOW_KAFKA_HEARTBEAT_INTERVAL_SECONDS ({heartbeat}) must be at most a"
                f" third of SHOPFLOW_KAFKA_SESSION_TIMEOUT_SECONDS ({session})"
            )
        return self
