"""Reading stack.toml: defaults, overrides from the environment, the apps' environment."""

import os
import textwrap

import pytest

from shopflow_kit.settings import MessagingSettings
from shopflow_stack.config import load, load_bus
from shopflow_stack.errors import StackError
from shopflow_stack.kafka import KafkaBroker

pytestmark = pytest.mark.unit

STACK = textwrap.dedent(
    """
    [stack]
    state_dir = ".state"
    [postgres]
    superuser_password = "pw"
    [postgres.servers.order]
    port = 5441
    database = "orders"
    [redis]
    port = 6380
    [kafka]
    version = "4.1.1"
    port = 9092
    controller_port = 9093
    heap = ["-Xmx256m"]
    partitions = 3
    [observability]
    enabled = true
    jaeger_port = 16686
    jaeger_otlp_port = 4318
    jaeger_grpc_port = 16685
    jaeger_metrics_port = 8888
    jaeger_max_traces = 100
    prometheus_port = 9090
    scrape_interval = "5s"
    sample_ratio = "1.0"

    [[apps]]
    name = "order-service"
    port = 8001
    env_prefix = "ORDER_"
    command = ["{python}", "-m", "order", "--port", "{port}"]
    """
)


@pytest.fixture
def stack_file(tmp_path, monkeypatch):
    for variable in [v for v in os.environ if v.startswith(("SHOPFLOW_", "OTEL_"))]:
        monkeypatch.delenv(variable)  # the stack's own settings must not leak into these tests
    # Never the clone's own folder: test_state covers where it goes by default.
    monkeypatch.setenv("SHOPFLOW_STATE_DIR", str(tmp_path / "state"))
    path = tmp_path / "stack.toml"
    path.write_text(STACK)
    return path


def test_defaults_come_from_the_file(stack_file):
    config = load(stack_file)

    assert config.postgres[0].url() == "postgresql+asyncpg://orders:orders@127.0.0.1:5441/orders"
    assert config.kafka.bootstrap_servers == "127.0.0.1:9092"
    assert config.apps[0].argv()[-1] == "8001"


def test_every_port_can_be_overridden_by_name(stack_file, monkeypatch):
    monkeypatch.setenv("SHOPFLOW_POSTGRES_ORDER_PORT", "6441")
    monkeypatch.setenv("SHOPFLOW_KAFKA_PORT", "19092")
    monkeypatch.setenv("SHOPFLOW_ORDER_SERVICE_PORT", "9001")

    config = load(stack_file)

    assert config.postgres[0].port == 6441
    assert config.kafka.bootstrap_servers == "127.0.0.1:19092"
    assert config.apps[0].url == "http://127.0.0.1:9001"


def test_an_offset_moves_every_port_beside_another_stack(stack_file, monkeypatch):
    monkeypatch.setenv("SHOPFLOW_PORT_OFFSET", "1000")

    config = load(stack_file)

    assert (config.postgres[0].port, config.redis_port) == (6441, 7380)
    assert (config.kafka.port, config.kafka.controller_port) == (10092, 10093)
    assert config.apps[0].port == 9001
    obs = config.observability
    assert (obs.jaeger_port, obs.jaeger_otlp_port, obs.prometheus_port) == (17686, 5318, 10090)


def test_apps_are_told_where_everything_is(stack_file):
    env = load(stack_file).environment()

    assert env == {
        "SHOPFLOW_ENVIRONMENT": "development",
        "SHOPFLOW_SERVICE_TOKEN_SECRET": "dev-local-stack-service-token-secret",
        "SHOPFLOW_KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:9092",
        "SHOPFLOW_REDIS_URL": "redis://127.0.0.1:6380/0",
        # No [bus] in this file: the kit's production defaults, said out loud.
        "SHOPFLOW_KAFKA_SESSION_TIMEOUT_SECONDS": "10",
        "SHOPFLOW_KAFKA_HEARTBEAT_INTERVAL_SECONDS": "3",
        "SHOPFLOW_OUTBOX_RELAY_MAX_BACKOFF_SECONDS": "30",
        "ORDER_DATABASE_URL": "postgresql+asyncpg://orders:orders@127.0.0.1:5441/orders",
        "SHOPFLOW_ORDER_SERVICE_URL": "http://127.0.0.1:8001",
    }


def test_apps_send_their_spans_to_the_stacks_jaeger_and_keep_every_trace(stack_file):
    assert load(stack_file).observability.tracing_environment() == {
        "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318",
        "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
        "OTEL_TRACES_SAMPLER_ARG": "1.0",
        "OTEL_BSP_SCHEDULE_DELAY": "1000",
    }


def test_tracing_variables_already_set_win_over_the_stacks(stack_file, monkeypatch):
    monkeypatch.setenv("OTEL_TRACES_SAMPLER_ARG", "0.1")  # a benchmark sampling as production does

    assert load(stack_file).observability.tracing_environment()["OTEL_TRACES_SAMPLER_ARG"] == "0.1"


def test_without_observability_the_apps_export_no_spans(stack_file, monkeypatch):
    monkeypatch.setenv("SHOPFLOW_OBSERVABILITY", "0")

    config = load(stack_file)

    assert not config.observability.enabled
    assert "OTEL_EXPORTER_OTLP_ENDPOINT" not in config.observability.tracing_environment()


def test_state_dir_can_be_moved(stack_file, monkeypatch, tmp_path):
    monkeypatch.setenv("SHOPFLOW_STATE_DIR", str(tmp_path / "elsewhere"))

    assert load(stack_file).state_dir == tmp_path / "elsewhere"


SCALED = STACK.replace(
    'command = ["{python}", "-m", "order", "--port", "{port}"]',
    'command = ["{python}", "-m", "order", "--port", "{port}"]\nscalable = true',
) + textwrap.dedent(
    """
    [[apps]]
    name = "provider"
    port = 8010
    env_prefix = "PROVIDER_"
    command = ["{python}", "-m", "provider"]
    proxied = true

    [[apps]]
    name = "gateway"
    port = 8080
    env_prefix = "GATEWAY_"
    command = ["{python}", "-m", "gateway"]
    calls = ["order-service"]
    """
)


@pytest.fixture
def scaled_file(stack_file):
    stack_file.write_text(SCALED)
    return stack_file


def test_replicas_are_processes_of_their_own_and_their_callers_get_every_url(
    scaled_file, monkeypatch
):
    monkeypatch.setenv("SHOPFLOW_REPLICAS", "2")

    config = load(scaled_file)

    instances = [(app.name, app.port, app.app) for app in config.instances()]
    assert instances == [
        ("order-service", 8001, "order-service"),
        ("order-service-2", 8101, "order-service"),  # next to its first, 100 ports up
        ("provider", 8010, "provider"),
        ("gateway", 8080, "gateway"),
    ]
    replica = config.instances()[1]
    assert replica.setup == ()  # the first instance migrates, once
    urls = config.environment()["SHOPFLOW_ORDER_SERVICE_URL"]
    assert urls == "http://127.0.0.1:8001,http://127.0.0.1:8101"


@pytest.mark.parametrize(
    ("wanted", "error"),
    [
        ("provider=2", "'provider' cannot have replicas; those that can: order-service"),
        ("order-service=0", "'0' is not a count from 1 to 9"),
        ("many", "'many' is not a count"),
    ],
)
def test_replicas_of_what_cannot_have_them_are_refused_by_name(
    scaled_file, monkeypatch, wanted, error
):
    monkeypatch.setenv("SHOPFLOW_REPLICAS", wanted)

    with pytest.raises(StackError, match=error):
        load(scaled_file)


def test_one_replica_is_the_stack_as_configured(scaled_file, monkeypatch):
    monkeypatch.setenv("SHOPFLOW_REPLICAS", "order-service=1")

    config = load(scaled_file)

    assert config.instances() == config.apps


def test_toxiproxy_routes_the_apps_and_never_the_tools(scaled_file, monkeypatch):
    monkeypatch.setenv("SHOPFLOW_TOXIPROXY", "1")

    config = load(scaled_file)

    edges = {name: (listen, upstream) for name, listen, upstream in config.proxied_edges()}
    assert edges == {
        "kafka": (9392, 9094),  # to the broker's listener that advertises the proxy
        "redis": (6680, 6380),
        "postgres-order": (5741, 5441),
        "provider": (8310, 8010),
    }
    apps = config.app_environment()
    assert apps["SHOPFLOW_KAFKA_BOOTSTRAP_SERVERS"] == "127.0.0.1:9392"
    assert apps["SHOPFLOW_REDIS_URL"] == "redis://127.0.0.1:6680/0"
    assert apps["ORDER_DATABASE_URL"].endswith("@127.0.0.1:5741/orders")
    assert apps["SHOPFLOW_PROVIDER_URL"] == "http://127.0.0.1:8310"
    assert apps["SHOPFLOW_ORDER_SERVICE_URL"] == "http://127.0.0.1:8001"  # apps call apps directly
    assert config.environment()["SHOPFLOW_KAFKA_BOOTSTRAP_SERVERS"] == "127.0.0.1:9092"


def test_without_toxiproxy_the_apps_connect_directly(scaled_file):
    config = load(scaled_file)

    assert not config.toxiproxy.routes_apps
    assert config.app_environment() == config.environment()


def test_the_layout_up_ran_with_is_kept_until_another_is_chosen(scaled_file, monkeypatch):
    monkeypatch.setenv("SHOPFLOW_REPLICAS", "2")
    monkeypatch.setenv("SHOPFLOW_TOXIPROXY", "1")
    started = load(scaled_file)
    started.layout.save(started.state_dir)  # as `up` does
    monkeypatch.delenv("SHOPFLOW_REPLICAS")
    monkeypatch.delenv("SHOPFLOW_TOXIPROXY")

    later = load(scaled_file)  # `make status`, with no choice of its own

    assert later.replicas == {"order-service": 2}
    assert later.toxiproxy.routes_apps
    monkeypatch.setenv("SHOPFLOW_REPLICAS", "1")
    assert load(scaled_file).replicas == {}


def test_the_stacks_kafka_clients_wait_as_the_kit_and_its_broker_allow(tmp_path, monkeypatch):
    for variable in [v for v in os.environ if v.startswith("SHOPFLOW_")]:
        monkeypatch.delenv(variable)
    monkeypatch.setenv("SHOPFLOW_STATE_DIR", str(tmp_path / "state"))
    for name, value in load_bus().environment().items():  # as every app is started
        monkeypatch.setenv(name, value)

    # The kit refuses a heartbeat over a third of the session, a cap below its first wait.
    settings = MessagingSettings(
        service_name="order",
        port=8001,
        kafka_bootstrap_servers="127.0.0.1:9092",
        environment="development",
    )

    # The broker the stack writes keeps Kafka's bounds on a consumer's session.
    broker = KafkaBroker(load()).properties()
    low = int(broker.get("group.min.session.timeout.ms", 6_000)) / 1000
    high = int(broker.get("group.max.session.timeout.ms", 1_800_000)) / 1000
    assert low <= settings.kafka_session_timeout_seconds <= high
    # Shorter than production: what a demo and the tests wait for.
    assert (
        settings.kafka_session_timeout_seconds
        < MessagingSettings.model_fields["kafka_session_timeout_seconds"].default
    )
    assert settings.outbox_relay_max_backoff_seconds <= 5
