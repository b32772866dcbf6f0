"""The stack's configuration: `deploy/local/stack.toml` plus environment overrides."""

from __future__ import annotations

import json
import os
import sys
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from shopflow_stack.errors import StackError
from shopflow_stack.state import resolve_state_dir

REPO_ROOT = Path(__file__).resolve().parents[4]
STACK_FILE = REPO_ROOT / "deploy" / "local" / "stack.toml"
KAFKA_POM = REPO_ROOT / "deploy" / "local" / "kafka" / "pom.xml"
KAFKA_LOG4J = REPO_ROOT / "deploy" / "local" / "kafka" / "log4j2.yaml"
OBSERVABILITY_DIR = REPO_ROOT / "observability"
# SHOPFLOW_SERVICE_TOKEN_SECRET of a development stack: "dev-" makes every service refuse
# it outside SHOPFLOW_ENVIRONMENT=development (docs/configuration.md).
DEVELOPMENT_SERVICE_TOKEN_SECRET = "dev-local-stack-service-token-secret"


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
class BusConfig:
    """How the apps' Kafka clients wait: the kit's `MessagingSettings`, shorter than its
    production defaults on a development stack (`[bus]` in stack.toml)."""

    session_timeout_seconds: float = 10.0
    heartbeat_interval_seconds: float = 3.0
    relay_max_backoff_seconds: float = 30.0

    def environment(self) -> dict[str, str]:
        return {
            "SHOPFLOW_KAFKA_SESSION_TIMEOUT_SECONDS": f"{self.session_timeout_seconds:g}",
            "SHOPFLOW_KAFKA_HEARTBEAT_INTERVAL_SECONDS": f"{self.heartbeat_interval_seconds:g}",
            "SHOPFLOW_OUTBOX_RELAY_MAX_BACKOFF_SECONDS": f"{self.relay_max_backoff_seconds:g}",
        }


def load_bus(path: Path = STACK_FILE) -> BusConfig:
    """The stack's `[bus]` alone, without the rest of `load` (no state folder looked for)."""
    return _bus(tomllib.loads(path.read_text()))


def _bus(raw: dict[str, Any]) -> BusConfig:
    return BusConfig(**{name: float(value) for name, value in raw.get("bus", {}).items()})


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

    def console_environment(self) -> dict[str, str]:
        """Where the gateway's live console reads traces and which dashboards it links."""
        if not self.enabled:
            return {}
        prometheus = f"http://127.0.0.1:{self.prometheus_port}"
        # Debian's Prometheus serves its classic pages only (no React assets).
        links = {
            "Prometheus queries": f"{prometheus}/classic/graph",
            "Alerts (SLOs)": f"{prometheus}/classic/alerts",
            "Scrape targets": f"{prometheus}/classic/targets",
        }
        return {
            "GATEWAY_TRACES_URL": f"http://127.0.0.1:{self.jaeger_port}",
            "GATEWAY_DASHBOARD_LINKS": json.dumps(links),
        }


@dataclass(frozen=True)
class ToxiproxyConfig:
    """Toxiproxy between the apps and what they reach over TCP: Kafka, the databases,
    Redis, the provider simulator; the chaos drills cut those edges or slow them down."""

    routes_apps: bool  # SHOPFLOW_TOXIPROXY=1: started, and the apps connect through it
    api_port: int
    proxy_port_shift: int  # a process's proxy listens at the process's port + this
    kafka_listener_port: int  # the broker's listener for clients that come through the proxy

    def proxy_port(self, port: int) -> int:
        return port + self.proxy_port_shift


NO_TOXIPROXY = ToxiproxyConfig(
    routes_apps=False, api_port=8474, proxy_port_shift=300, kafka_listener_port=9094
)


@dataclass(frozen=True)
class AppConfig:
    name: str
    port: int
    env_prefix: str
    command: tuple[str, ...]
    ready_path: str = "/readyz"
    env: dict[str, str] = field(default_factory=dict)
    setup: tuple[tuple[str, ...], ...] = ()  # run in order before each start: migrate, seed
    calls: tuple[str, ...] = ()  # the apps it calls over HTTP: it gets their URLs
    scalable: bool = False  # may run several replicas (make up replicas=N)
    proxied: bool = False  # its callers reach it through toxiproxy when that routes the apps
    service: str = ""  # the app it is a replica of ("" : itself)
    replica: int = 1

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def app(self) -> str:
        """The app this is an instance of: `order` for `order` and `order-2` alike."""
        return self.service or self.name

    def replicated(self, replica: int, port_step: int) -> AppConfig:
        """Replica `replica` (from 2) of this app: its own name and port, no setup (the
        first instance migrates)."""
        return replace(
            self,
            name=f"{self.name}-{replica}",
            port=self.port + (replica - 1) * port_step,
            setup=(),
            service=self.name,
            replica=replica,
        )

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
    apps: tuple[AppConfig, ...]  # as configured: one instance each
    toxiproxy: ToxiproxyConfig = NO_TOXIPROXY
    replicas: Mapping[str, int] = field(default_factory=dict)  # scalable app → instances
    replica_port_step: int = 100
    bus: BusConfig = field(default_factory=BusConfig)
    layout: Layout = field(default_factory=lambda: Layout())
    workspace: Path = REPO_ROOT  # the uv workspace the apps run from

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.redis_port}/0"

    def app(self, name: str) -> AppConfig:
        [found] = [app for app in self.apps if app.name == name]
        return found

    def instances(self) -> tuple[AppConfig, ...]:
        """Every app process to run: each app, and its replicas right after it."""
        return tuple(
            instance
            for app in self.apps
            for instance in [
                app,
                *self.replicas_of(app, range(2, self.replicas.get(app.name, 1) + 1)),
            ]
        )

    def replicas_of(self, app: AppConfig, numbers: Iterable[int]) -> list[AppConfig]:
        return [app.replicated(n, self.replica_port_step) for n in numbers]

    def environment(self) -> dict[str, str]:
        """What every app (and the tests) need to find the stack; a service with replicas
        has the URL of each, comma-separated (its callers balance over them)."""
        env = {
            # Services default to production (no demo users, no placeholder secrets).
            "SHOPFLOW_ENVIRONMENT": "development",
            # The key services verify their callers with; a placeholder, refused elsewhere.
            "SHOPFLOW_SERVICE_TOKEN_SECRET": DEVELOPMENT_SERVICE_TOKEN_SECRET,
            "SHOPFLOW_KAFKA_BOOTSTRAP_SERVERS": self.kafka.bootstrap_servers,
            "SHOPFLOW_REDIS_URL": self.redis_url,
            **self.bus.environment(),
        }
        for pg in self.postgres:
            env[f"{env_name(pg.service)}_DATABASE_URL"] = pg.url()
        for app in self.apps:
            urls = [i.url for i in self.instances() if i.app == app.name]
            env[f"SHOPFLOW_{env_name(app.name)}_URL"] = ",".join(urls)
        return env

    def app_environment(self) -> dict[str, str]:
        """The environment the apps run with: `environment()`, through toxiproxy's
        proxies when it routes them (tools and the auditor always go direct)."""
        env = self.environment()
        if not self.toxiproxy.routes_apps:
            return env
        proxied = {target: f"127.0.0.1:{listen}" for target, listen, _ in self.proxied_edges()}
        env["SHOPFLOW_KAFKA_BOOTSTRAP_SERVERS"] = proxied["kafka"]
        env["SHOPFLOW_REDIS_URL"] = f"redis://{proxied['redis']}/0"
        for pg in self.postgres:
            env[f"{env_name(pg.service)}_DATABASE_URL"] = pg.url().replace(
                f"127.0.0.1:{pg.port}", proxied[pg.name]
            )
        for app in self.apps:
            if app.proxied:
                env[f"SHOPFLOW_{env_name(app.name)}_URL"] = f"http://{proxied[app.name]}"
        return env

    def proxied_edges(self) -> list[tuple[str, int, int]]:
        """Toxiproxy's proxies: (the process it leads to, the port it listens on, the port
        it forwards to). Kafka's forwards to the broker's listener for proxied clients."""
        ports = {"kafka": self.kafka.port, "redis": self.redis_port}
        ports |= {pg.name: pg.port for pg in self.postgres}
        ports |= {app.name: app.port for app in self.apps if app.proxied}
        upstream = {**ports, "kafka": self.toxiproxy.kafka_listener_port}
        return [
            (name, self.toxiproxy.proxy_port(port), upstream[name]) for name, port in ports.items()
        ]


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
    apps = tuple(_app(entry) for entry in raw.get("apps", []))
    layout = Layout.chosen(state_dir)
    toxi = raw.get("toxiproxy", {})
    toxiproxy = ToxiproxyConfig(
        routes_apps=_switched_on(layout.toxiproxy),
        api_port=port_override("toxiproxy", toxi.get("api_port", 8474)),
        proxy_port_shift=int(toxi.get("proxy_port_shift", 300)),
        kafka_listener_port=port_override(
            "kafka-proxied", toxi.get("kafka_listener_port", kafka_raw["port"] + 2)
        ),
    )
    return StackConfig(
        state_dir=state_dir,
        default_state_dir=default_state_dir,
        postgres=postgres,
        redis_port=port_override("redis", raw["redis"]["port"]),
        kafka=kafka,
        observability=observability,
        apps=apps,
        toxiproxy=toxiproxy,
        replicas=parse_replicas(layout.replicas, apps),
        layout=layout,
        bus=_bus(raw),
        replica_port_step=int(raw.get("replicas", {}).get("port_step", 100)),
    )


@dataclass(frozen=True)
class Layout:
    """How many replicas run and whether toxiproxy routes the apps: SHOPFLOW_REPLICAS and
    SHOPFLOW_TOXIPROXY (`make up replicas=2 toxiproxy=1`). `up` keeps the choice in the
    state folder, so later commands (`make status`, `make up`, the tests) see the stack
    as it was started until a new choice is given (`make up replicas=1 toxiproxy=0`)."""

    replicas: str = ""
    toxiproxy: str = ""

    FILE = "layout.json"

    @classmethod
    def chosen(cls, state_dir: Path) -> Layout:
        path = state_dir / cls.FILE
        saved = json.loads(path.read_text()) if path.exists() else {}
        return cls(
            replicas=os.environ.get("SHOPFLOW_REPLICAS", saved.get("replicas", "")),
            toxiproxy=os.environ.get("SHOPFLOW_TOXIPROXY", saved.get("toxiproxy", "")),
        )

    def save(self, state_dir: Path) -> None:
        state_dir.mkdir(parents=True, exist_ok=True)
        text = json.dumps({"replicas": self.replicas, "toxiproxy": self.toxiproxy})
        (state_dir / self.FILE).write_text(text)


def _switched_on(value: str) -> bool:
    return value.strip().lower() not in ("", "0", "false", "no", "off")


MAX_REPLICAS = 9  # replica ports step by 100 from the app's: 9 stay clear of the next app's


def parse_replicas(text: str, apps: Iterable[AppConfig]) -> dict[str, int]:
    """SHOPFLOW_REPLICAS: "2" (every scalable app) or "order=2,payment=3"; "" or "1": none."""
    scalable = [app.name for app in apps if app.scalable]
    text = text.strip()
    if not text:
        return {}
    if "=" not in text:
        wanted = dict.fromkeys(scalable, _replica_count(text))
    else:
        wanted = {}
        for part in text.split(","):
            name, _, count = part.partition("=")
            if name.strip() not in scalable:
                raise StackError(
                    f"SHOPFLOW_REPLICAS: {name.strip()!r} cannot have replicas; "
                    f"those that can: {', '.join(scalable)}"
                )
            wanted[name.strip()] = _replica_count(count)
    return {name: count for name, count in wanted.items() if count > 1}


def _replica_count(text: str) -> int:
    try:
        count = int(text)
    except ValueError:
        count = 0
    if not 1 <= count <= MAX_REPLICAS:
        raise StackError(f"SHOPFLOW_REPLICAS: {text!r} is not a count from 1 to {MAX_REPLICAS}")
    return count


def _app(entry: dict[str, Any]) -> AppConfig:
    return AppConfig(
        name=entry["name"],
        port=port_override(entry["name"], entry["port"]),
        env_prefix=entry["env_prefix"],
        command=tuple(entry["command"]),
        ready_path=entry.get("ready_path", "/readyz"),
        env=dict(entry.get("env", {})),
        setup=tuple(tuple(step) for step in entry.get("setup", [])),
        calls=tuple(entry.get("calls", [])),
        scalable=bool(entry.get("scalable", False)),
        proxied=bool(entry.get("proxied", False)),
    )
