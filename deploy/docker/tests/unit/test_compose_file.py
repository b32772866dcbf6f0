"""docker-compose.yml agrees with the local stack: the same units, variables, topics and
ports, and every edge through toxiproxy leads where the local stack's does."""

import json
import os
import re
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import yaml

from shopflow_docker.compose import COMPOSE_FILE, OVERLAYS
from shopflow_docker.images import DOCKER_DIR, OFFICIAL_PYTHON_IMAGE
from shopflow_docker.offline import STAND_INS, offline_images, stand_in_name
from shopflow_stack.config import REPO_ROOT, StackConfig, load
from shopflow_stack.deploy_check import readers, stack_units
from shopflow_stack.process import StackError

pytestmark = pytest.mark.unit

COMPOSE = yaml.safe_load(COMPOSE_FILE.read_text())
SERVICES = COMPOSE["services"]
ENVIRONMENT = COMPOSE["x-shopflow-environment"]
PROXIES = {p["name"]: p for p in json.loads((DOCKER_DIR / "toxiproxy.json").read_text())}
JOBS = {name for name, service in SERVICES.items() if service.get("restart") == "no"}


@pytest.fixture(scope="module")
def stack() -> Iterator[StackConfig]:
    # The compose file holds the local stack's default ports: read them without overrides.
    with pytest.MonkeyPatch.context() as patch:
        for name in [n for n in os.environ if re.fullmatch(r"SHOPFLOW_\w*PORT\w*", n)]:
            patch.delenv(name)
        yield load()


def through_proxy(host: str, port: int) -> str:
    """The compose service a container reaches at host:port (toxiproxy forwards)."""
    if host != "toxiproxy":
        return host
    (proxy,) = [p for p in PROXIES.values() if p["listen"].endswith(f":{port}")]
    return proxy["upstream"].split(":")[0]


def test_every_variable_the_local_stack_sets_is_set_once_for_every_unit(stack: StackConfig):
    assert set(stack.environment()) <= set(ENVIRONMENT)
    for app in stack.apps:
        for name, value in app.env.items():
            assert ENVIRONMENT[name] == value, name
    # A development deployment, like the local stack and the Helm dev values.
    assert ENVIRONMENT["SHOPFLOW_ENVIRONMENT"] == "development"
    for name in [*JOBS, *(app.name for app in stack.apps)]:
        assert SERVICES[name]["environment"] is ENVIRONMENT, name


def test_each_database_url_reaches_that_services_own_postgres(stack: StackConfig):
    for pg in stack.postgres:
        url = urlsplit(ENVIRONMENT[f"{pg.service.upper().replace('-', '_')}_DATABASE_URL"])
        server = SERVICES[through_proxy(url.hostname or "", url.port or 0)]
        assert server is SERVICES[pg.name]
        assert server["environment"] == {
            "POSTGRES_USER": url.username,
            "POSTGRES_PASSWORD": url.password,
            "POSTGRES_DB": url.path.lstrip("/"),
        }
        assert url.path.lstrip("/") == pg.database


def test_urls_of_units_kafka_and_redis_reach_those_services(stack: StackConfig):
    for app in stack.apps:
        url = urlsplit(ENVIRONMENT[f"SHOPFLOW_{app.name.upper().replace('-', '_')}_URL"])
        assert through_proxy(url.hostname or "", url.port or 0) == app.name
        assert SERVICES[app.name]["build"]["args"]["PORT"] == str(app.port)
    host, port = ENVIRONMENT["SHOPFLOW_KAFKA_BOOTSTRAP_SERVERS"].split(":")
    assert through_proxy(host, int(port)) == "kafka"
    # Clients bootstrapping through the proxy are told to stay on it.
    assert (
        f"PROXIED://toxiproxy:{port}"
        in SERVICES["kafka"]["environment"]["KAFKA_ADVERTISED_LISTENERS"]
    )
    redis = urlsplit(ENVIRONMENT["SHOPFLOW_REDIS_URL"])
    assert through_proxy(redis.hostname or "", redis.port or 0) == "redis"


def test_every_proxy_leads_to_a_service_of_the_stack():
    listens = [p["listen"] for p in PROXIES.values()]
    assert len(set(listens)) == len(listens)
    for proxy in PROXIES.values():
        assert proxy["upstream"].split(":")[0] in SERVICES


def test_each_unit_is_built_from_the_one_dockerfile_with_its_stack_settings(stack: StackConfig):
    for app in stack.apps:
        service = SERVICES[app.name]
        assert service["image"] == f"shopflow/{app.name}:${{SHOPFLOW_IMAGE_TAG:-dev}}"
        assert service["build"]["dockerfile"] == "deploy/docker/Dockerfile"
        assert service["build"]["args"] == {
            "SERVICE": app.name,
            "ENV_PREFIX": app.env_prefix,
            "PORT": str(app.port),
            "BASE_IMAGE": f"${{SHOPFLOW_PYTHON_IMAGE:-{OFFICIAL_PYTHON_IMAGE}}}",
        }


def test_each_unit_starts_after_its_setup_ran_to_completion(stack: StackConfig):
    for app in stack.apps:
        steps = [step[-1] for step in app.setup]  # ("{python}", "-m", pkg, "migrate") → migrate
        if not steps:
            continue
        job = SERVICES[f"{app.name}-migrate"]
        command = job.get("command") or job["entrypoint"]
        assert re.findall(r"\b(migrate|seed)\b", " ".join(command)) == steps
        condition = SERVICES[app.name]["depends_on"][f"{app.name}-migrate"]["condition"]
        assert condition == "service_completed_successfully"


def test_the_topics_job_creates_them_as_the_local_stack_does(stack: StackConfig):
    command = SERVICES["kafka-topics"]["entrypoint"]
    assert command[:3] == ["python", "-m", "shopflow_contracts.create_topics"]
    assert int(command[command.index("--partitions") + 1]) == stack.kafka.partitions
    for app in stack.apps:
        if app.name in ("order", "inventory", "payment", "notification"):
            assert "kafka-topics" in SERVICES[app.name]["depends_on"], app.name


def test_only_the_gateway_is_published_and_only_on_this_machine():
    published = {name: s["ports"] for name, s in SERVICES.items() if "ports" in s}
    assert list(published) == ["gateway"]
    overlays = [yaml.safe_load(path.read_text()) for path in OVERLAYS.values() if path.exists()]
    for compose in [COMPOSE, *overlays]:
        for service in compose.get("services", {}).values():
            for port in service.get("ports", []):
                assert port.startswith("127.0.0.1:"), port


def test_every_long_running_service_restarts_is_limited_and_checked():
    for name, service in SERVICES.items():
        assert service["deploy"]["resources"]["limits"]["memory"], name
        if name in JOBS:
            continue
        assert service["restart"] == "unless-stopped", name
        # The units' healthcheck is in their image (HEALTHCHECK); the others' here.
        assert "healthcheck" in service or "build" in service, name


def test_every_image_variable_has_an_offline_stand_in(stack: StackConfig):
    files = [COMPOSE_FILE, *OVERLAYS.values()]
    variables = {
        v for path in files for v in re.findall(r"\$\{(SHOPFLOW_\w+_IMAGE):-", path.read_text())
    }
    stand_ins = offline_images()
    # Grafana has none: AGPL, never built or run here (a profile users opt into).
    assert variables - {"SHOPFLOW_GRAFANA_IMAGE"} == set(stand_ins)
    for image in stand_ins.values():
        name = stand_in_name(image)
        assert name == "python" or (STAND_INS / name / "Dockerfile").is_file(), name
    # The Kafka stand-in runs the jars the local stack runs.
    assert stand_ins["SHOPFLOW_KAFKA_IMAGE"].endswith(f":{stack.kafka.version}")


def test_stand_in_names_follow_the_images():
    assert stand_in_name("shopflow-offline/postgres:15") == "postgres"
    with pytest.raises(StackError, match="shopflow-offline/<name>:<tag>"):
        stand_in_name("postgres:15")


def test_the_expose_overlay_publishes_services_of_the_stack():
    exposed = yaml.safe_load(OVERLAYS["expose"].read_text())["services"]
    assert set(exposed) <= set(SERVICES)


OBSERVABILITY = yaml.safe_load(OVERLAYS["observability"].read_text())


def test_the_observability_overlay_traces_every_unit_through_the_collector(stack: StackConfig):
    services = OBSERVABILITY["services"]
    collector = services["otel-collector"]
    for app in stack.apps:
        tracing = services[app.name]["environment"]
        assert tracing["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://otel-collector:4318"
        assert tracing["OTEL_TRACES_SAMPLER_ARG"] == "1.0"  # a development deployment
    assert collector["environment"]["JAEGER_OTLP_ENDPOINT"] == "jaeger:4317"
    # Tracing is never in the way: no unit waits for any of it.
    assert not any("depends_on" in services[app.name] for app in stack.apps)


def test_prometheus_scrapes_every_unit_where_compose_runs_it(stack: StackConfig):
    scrape = yaml.safe_load((REPO_ROOT / "observability/prometheus/prometheus.yml").read_text())
    targets = {
        job["job_name"]: job["static_configs"][0]["targets"] for job in scrape["scrape_configs"]
    }
    for app in stack.apps:
        assert targets[app.name] == [f"{app.name}:{app.port}"], app.name
    for job in ("otel-collector", "jaeger"):
        assert job in OBSERVABILITY["services"], job
    volumes = OBSERVABILITY["services"]["prometheus"]["volumes"]
    assert "./observability/prometheus/rules:/etc/prometheus/rules:ro" in volumes


def test_grafana_runs_only_when_asked_for():
    assert OBSERVABILITY["services"]["grafana"]["profiles"] == ["grafana"]


def interpolated(value: str, variables: dict[str, str]) -> str:
    """`${NAME:-default}` as compose reads it, with these variables set."""
    return re.sub(r"\$\{(\w+):-([^}]*)\}", lambda m: variables.get(m.group(1), m.group(2)), value)


@pytest.mark.parametrize("images", ["official", "offline"])
def test_the_observability_overlay_gives_the_console_its_traces_and_links(stack, images):
    gateway = OBSERVABILITY["services"]["gateway"]["environment"]
    variables = offline_env() if images == "offline" else {}
    links = json.loads(interpolated(gateway["GATEWAY_DASHBOARD_LINKS"], variables))
    pages = "/classic" if images == "offline" else ""  # Debian's Prometheus: classic pages

    traces = urlsplit(gateway["GATEWAY_TRACES_URL"])
    assert (traces.hostname, traces.port) == ("jaeger", 16686)  # Jaeger's query API
    assert "16686" in OBSERVABILITY["services"]["jaeger"]["healthcheck"]["test"][-1]
    assert set(links.values()) == {
        f"http://127.0.0.1:{stack.observability.prometheus_port}{pages}/{page}"
        for page in ("graph", "alerts", "targets")
    }
    unit = stack_units()["gateway"]
    assert set(gateway) - readers(unit) <= {n for n in gateway if n.startswith("OTEL_")}


def offline_env() -> dict[str, str]:
    lines = (DOCKER_DIR / "offline.env").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))
