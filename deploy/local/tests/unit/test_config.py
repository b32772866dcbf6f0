"""Reading stack.toml: defaults, overrides from the environment, the apps' environment."""

import os
import textwrap

import pytest

from shopflow_stack.config import load

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
        "SHOPFLOW_KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:9092",
        "SHOPFLOW_REDIS_URL": "redis://127.0.0.1:6380/0",
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
