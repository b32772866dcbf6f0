"""Where a ShopFlow deployment is: its databases, its Kafka, its gateway.

Read from the same variables the services read, as `shopflow-stack env` prints them, so
one `eval "$(make -s env)"` (local processes), a compose file's environment or a
port-forwarded cluster all point the drills at a shop the same way:

    ORDER_DATABASE_URL, INVENTORY_DATABASE_URL, PAYMENT_DATABASE_URL,
    NOTIFICATION_DATABASE_URL, PAYMENT_PROVIDER_DATABASE_URL,
    SHOPFLOW_KAFKA_BOOTSTRAP_SERVERS, SHOPFLOW_GATEWAY_URL, SHOPFLOW_TOPIC_PREFIX (optional)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from shopflow_contracts.topics import PREFIX, Topics

DATABASES = ("order", "inventory", "payment", "notification", "payment-provider")
"""The databases the auditor reads: each service's, and the provider simulator's ledger."""


class DeploymentNotFoundError(LookupError):
    """The environment does not say where the shop is; the message says what is missing."""


def database_variable(name: str) -> str:
    """The variable holding a database's URL: payment-provider → PAYMENT_PROVIDER_DATABASE_URL."""
    return f"{name.upper().replace('-', '_')}_DATABASE_URL"


@dataclass(frozen=True)
class Deployment:
    databases: Mapping[str, str]  # name (see DATABASES) → PostgreSQL URL, any driver suffix
    kafka_bootstrap_servers: str
    gateway_url: str | None = None
    topics: Topics = field(default_factory=Topics)

    @classmethod
    def from_environment(cls, environment: Mapping[str, str]) -> Deployment:
        wanted = [database_variable(name) for name in DATABASES]
        wanted.append("SHOPFLOW_KAFKA_BOOTSTRAP_SERVERS")
        if missing := [name for name in wanted if not environment.get(name)]:
            raise DeploymentNotFoundError(
                f"{', '.join(missing)} not set: for the local stack run "
                '`eval "$(make -s env)"` first (or use `make audit`)'
            )
        return cls(
            databases={name: environment[database_variable(name)] for name in DATABASES},
            kafka_bootstrap_servers=environment["SHOPFLOW_KAFKA_BOOTSTRAP_SERVERS"],
            gateway_url=environment.get("SHOPFLOW_GATEWAY_URL"),
            topics=Topics(environment.get("SHOPFLOW_TOPIC_PREFIX") or PREFIX),
        )

    def postgres_dsn(self, name: str) -> str:
        """The database's URL as libpq and asyncpg spell it (no SQLAlchemy driver suffix)."""
        scheme, rest = self.databases[name].split("://", 1)
        return f"{scheme.split('+', 1)[0]}://{rest}"
