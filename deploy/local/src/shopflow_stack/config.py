"""The stack's configuration: `deploy/local/stack.toml` plus environment overrides."""

from __future__ import annotations

import os
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shopflow_stack.state import resolve_state_dir

REPO_ROOT = Path(__file__).resolve().parents[4]
STACK_FILE = REPO_ROOT / "deploy" / "local" / "stack.toml"
KAFKA_POM = REPO_ROOT / "deploy" / "local" / "kafka" / "pom.xml"
KAFKA_LOG4J = REPO_ROOT / "deploy" / "local" / "kafka" / "log4j2.yaml"
OBSERVABILITY_DIR = REPO_ROOT / "observability"


def env_name(name: str) -> str:
    """How a name appears in environment variables: payment-provider → PAYMENT_PROVIDER."""
    return name.upper().replace("-", "_")


def port_override(name: str, default: int) -> int:
    """SHOPFLOW_<NAME>_PORT wins over the configured port; SHOPFLOW_PORT_OFFSET shifts
    every configured port, so a second stack (another clone, a CI run) can run beside the first."""
    offset = int(os.environ.get("SHOPFLOW_PORT_OFFSET", "0"))
    return int(os.environ.get(f"SHOPFLOW_{env_name(name)}_PORT", default + offset))


def cache_dir() -> Path:
    """Where downloads (the Kafka jars) are kept across clones and `make clean`."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "shopflow"


@dataclass(frozen=True)
class PostgresConfig:
    service: str
    port: int
    database: str
    superuser_password: str

    @property
    def name(self) -> str:
        return f"postgres-{self.service}"

    @property
    def role(self) -> str:
        # Role and password equal the database name: a local development stack only.
        return self.database

    def url(self, database: str | None = None, driver: str = "postgresql+asyncpg") -> str:
        db = database or self.database
        return f"{driver}://{self.role}:{self.role}@127.0.0.1:{self.port}/{db}"


@dataclass(frozen=True)
class KafkaConfig:
    version: str
    port: int
    controller_port: int
    heap: tuple[str, ...]
    partitions: int

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.port}"


@dataclass(frozen=True)
class ObservabilityConfig:
    """Jaeger (OTLP in, query API out) and Prometheus, as processes of the stack."""

    enabled: bool  # false: `make up` leaves them out, apps send no spans (`make up-obs` adds them)
    jaeger_port: int  # the query API (and UI, where its assets were built in)
    jaeger_otlp_port: int  # OTLP over HTTP: where the apps send spans
    jaeger_grpc_port: int  # the query API over gRPC (it insists on a port)
    jaeger_metrics_port: int  # Jaeger's own metrics, scraped by Prometheus
    jaeger_max_traces: int
    prometheus_port: int
    scrape_interval: str
    sample_ratio: str  # OTEL_TRACES_SAMPLER_ARG the apps get unless the environment says

    @property
    def otlp_endpoint(self) -> str:
        return f"http://127.0.0.1:{self.jaeger_otlp_port}"

    def tracing_environment(self) -> dict[str, str]:
        """The standard OTEL_* variables for the apps; any already set in the environment win
        (a benchmark turns tracing off or samples less this way)."""
        wanted = {
            "OTEL_EXPORTER_OTLP_ENDPOINT": self.otlp_endpoint,
            "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
            "OTEL_TRACES_SAMPLER_ARG": self.sample_ratio,
            "OTEL_BSP_SCHEDULE_DELAY": "1000",  # ms: a demo's trace is there a second later
        }
        if not self.enabled:
            del wanted["OTEL_EXPORTER_OTLP_ENDPOINT"]
        return {name: os.environ.get(name, value) for name, value in wanted.items()}


@dataclass(frozen=True)
class AppConfig:
    name: str
    port: int
    env_prefix: str
    command: tuple[str, ...]
    ready_path: str = "/readyz"
    env: dict[str, str] = field(default_factory=dict)
    setup: tuple[tuple[str, ...], ...] = ()  # run in order before each start: migrate, seed

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def argv(self, command: tuple[str, ...] | None = None) -> list[str]:
        parts = self.command if command is None else command
        return [part.format(python=sys.executable, port=self.port) for part in parts]


@dataclass(frozen=True)
class StackConfig:
    state_dir: Path
    default_state_dir: Path  # in the clone: the state, or a link to it (see `state`)
    postgres: tuple[PostgresConfig, ...]
    redis_port: int
    kafka: KafkaConfig
    observability: ObservabilityConfig
    apps: tuple[AppConfig, ...]
    workspace: Path = REPO_ROOT  # the uv workspace the apps run from

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.redis_port}/0"

    def environment(self) -> dict[str, str]:
        """What every app (and the tests) need to find the stack."""
        env = {
            # Services default to production (no demo users, no placeholder secrets).
            "SHOPFLOW_ENVIRONMENT": "development",
            "SHOPFLOW_KAFKA_BOOTSTRAP_SERVERS": self.kafka.bootstrap_servers,
            "SHOPFLOW_REDIS_URL": self.redis_url,
        }
        for pg in self.postgres:
            env[f"{env_name(pg.service)}_DATABASE_URL"] = pg.url()
        for app in self.apps:
            env[f"SHOPFLOW_{env_name(app.name)}_URL"] = app.url
        return env


def load(path: Path = STACK_FILE) -> StackConfig:
    raw = tomllib.loads(path.read_text())
    default_state_dir = REPO_ROOT / raw["stack"]["state_dir"]
    state_dir = resolve_state_dir(default_state_dir, override=os.environ.get("SHOPFLOW_STATE_DIR"))
    pg_raw = raw["postgres"]
    postgres = tuple(
        PostgresConfig(
            service=service,
            port=port_override(f"postgres-{service}", server["port"]),
            database=server["database"],
            superuser_password=pg_raw["superuser_password"],
        )
        for service, server in pg_raw["servers"].items()
    )
    kafka_raw = raw["kafka"]
    kafka = KafkaConfig(
        version=os.environ.get("SHOPFLOW_KAFKA_VERSION", kafka_raw["version"]),
        port=port_override("kafka", kafka_raw["port"]),
        controller_port=port_override("kafka-controller", kafka_raw["controller_port"]),
        heap=tuple(kafka_raw["heap"]),
        partitions=int(kafka_raw["partitions"]),
    )
    obs = raw["observability"]
    observability = ObservabilityConfig(
        enabled=os.environ.get("SHOPFLOW_OBSERVABILITY", str(obs["enabled"])).lower()
        not in ("0", "false", "no", "off"),
        jaeger_port=port_override("jaeger", obs["jaeger_port"]),
        jaeger_otlp_port=port_override("jaeger-otlp", obs["jaeger_otlp_port"]),
        jaeger_grpc_port=port_override("jaeger-grpc", obs["jaeger_grpc_port"]),
        jaeger_metrics_port=port_override("jaeger-metrics", obs["jaeger_metrics_port"]),
        jaeger_max_traces=int(obs["jaeger_max_traces"]),
        prometheus_port=port_override("prometheus", obs["prometheus_port"]),
        scrape_interval=str(obs["scrape_interval"]),
        sample_ratio=str(obs["sample_ratio"]),
    )
    return StackConfig(
        state_dir=state_dir,
        default_state_dir=default_state_dir,
        postgres=postgres,
        redis_port=port_override("redis", raw["redis"]["port"]),
        kafka=kafka,
        observability=observability,
        apps=tuple(_app(entry) for entry in raw.get("apps", [])),
    )


def _app(entry: dict[str, Any]) -> AppConfig:
    return AppConfig(
        name=entry["name"],
        port=port_override(entry["name"], entry["port"]),
        env_prefix=entry["env_prefix"],
        command=tuple(entry["command"]),
        ready_path=entry.get("ready_path", "/readyz"),
        env=dict(entry.get("env", {})),
        setup=tuple(tuple(step) for step in entry.get("setup", [])),
    )
