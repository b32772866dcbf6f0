"""The README's commands, run as a reader runs them on the running stack: the first order
by hand (its curl block, as written), `make demo`, and the read-only targets. Every
`make` target the README names is run here or is in NOT_RUN with the reason, so a new
command in the README must say which."""

import json
import os
import re
import subprocess
import time

import pytest

from shopflow_stack.config import REPO_ROOT
from shopflow_stack.stack import Stack

pytestmark = pytest.mark.e2e

README = (REPO_ROOT / "README.md").read_text()
NAMED_TARGET = re.compile(r"\bmake(?: -s)? ([a-z][\w-]*)")
SHELL_BLOCK = re.compile(r"```sh\n(.*?)```", re.DOTALL)
TRACE_SECONDS = 30  # the order's last span reaches Jaeger a second or two after it settles

NOT_RUN = {
    "test": "the run this test is part of",
    "test-unit": "the unit tests, which this run runs",
    "helm-check": "helm/tests, which this run runs",
    "browser": "make test runs it before pytest (shopflow-stack browser --if-possible)",
    "tools": "make test runs it before pytest (shopflow-stack tool)",
    "down": "it would stop the stack the other tests use; the stack fixture stops it after",
    "clean": "it would delete the state of the stack the other tests use",
    "logs": "it follows a log until interrupted",
    "load": "30 s of load; tests/e2e/test_load_and_audit.py runs the load and the audit",
    "audit": "it wants a quiet shop; tests/e2e/test_load_and_audit.py runs it after a load",
    "chaos": "minutes of drills; tests/chaos runs them",
    "bench": "minutes of measuring; tests/e2e/test_bench_smoke.py runs each measure briefly",
    "mutation": "minutes per module, not part of make test (docs/testing.md)",
    "mutation-sql": "the relay's and inbox's SQL scored on PostgreSQL: tens of minutes",
    "docker-engine": "deploy/docker's tests run the compose targets where an engine answers",
    "images": "deploy/docker/tests/e2e builds them, where a Docker engine answers",
    "compose-up": "deploy/docker/tests/e2e runs the compose stack, where an engine answers",
    "compose-demo": "deploy/docker/tests/e2e places the demo orders through compose",
    "compose-down": "deploy/docker/tests/e2e takes its compose stack down and checks it",
    "compose-trace": "deploy/docker/tests/e2e reads an order's trace from compose's Jaeger",
    "kind-up": "needs kind and Docker; helm/tests install the chart on a real API server",
    "kind-down": "needs kind (see kind-up)",
    "minikube-up": "needs minikube; helm/tests install the chart on a real API server",
    "minikube-down": "needs minikube (see minikube-up)",
    "k8s-demo": "needs a kind or minikube cluster (see kind-up)",
}


def run(command: str, gateway_port: int) -> subprocess.CompletedProcess[str]:
    """`command` in bash at the repository's root, the README's gateway port made ours."""
    command = command.replace("localhost:8080", f"localhost:{gateway_port}")
    # Not the outer `make test`'s flags and variables: the reader's own make.
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    return subprocess.run(
        ["bash", "-euo", "pipefail", "-c", command],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout


@pytest.fixture
def port(shop: Stack) -> int:
    return shop.get("gateway").port


def test_every_make_target_the_readme_names_is_run_here_or_says_why_not():
    run_here = {"help", "up", "status", "env", "demo", "trace", "token", "dlq", "outbox", "sagas"}

    assert set(NAMED_TARGET.findall(README)) - run_here == set(NOT_RUN)


def test_the_first_order_by_hand_runs_as_written_and_make_trace_shows_it(shop: Stack, port):
    [block] = [b for b in SHELL_BLOCK.findall(README) if "/auth/token" in b]

    out = ok(run(f"{block}\necho\necho $ORDER", port)).splitlines()

    products, order, details = answers(out[-2])
    order_id = out[-1]
    # A first page of the catalogue (MUG-001 itself may sit on a later one: the other tests
    # add products to this stack that sort before it); the order below is for MUG-001.
    assert products
    assert all({"sku", "name", "price"} <= set(product) for product in products), products
    assert order["id"] == order_id
    assert order["saga"], order  # the saga has begun: the reservation at least
    assert details["order"]["id"] == order_id
    assert {"payments", "notifications"} <= set(details)
    if shop.config.observability.enabled:  # SHOPFLOW_OBSERVABILITY=0: no Jaeger to ask
        traced(order_id, port)  # fails unless the gateway's spans reach Jaeger in time


def answers(printed: str) -> list:
    """The JSON documents curl printed one after the other."""
    decoder, found, at = json.JSONDecoder(), [], 0
    while at < len(printed):
        document, at = decoder.raw_decode(printed, at)
        found.append(document)
    return found


def traced(order_id: str, port: int) -> str:
    """`make trace order=ID` once the order's trace in Jaeger holds the gateway's spans:
    each process exports its own, the gateway's possibly a second after the order's."""
    deadline = time.monotonic() + TRACE_SECONDS
    while (result := run(f"make -s trace order={order_id}", port)).returncode != 0 or (
        "gateway" not in result.stdout
    ):
        assert result.returncode == 0 or "no trace in Jaeger" in result.stdout, (
            result.stdout + result.stderr
        )
        assert time.monotonic() < deadline, result.stdout
    return result.stdout


def test_make_demo_brings_the_stack_up_and_places_three_orders_that_end(port):
    out = ok(run("make demo", port))  # `make up` first: on a running stack, starts nothing

    assert re.search(r"^started .* in [\d.]+s$", out, re.M), out
    outcomes = re.findall(r"^order \S+ \(.*\): (CONFIRMED|CANCELLED)", out, re.MULTILINE)
    assert len(outcomes) == 3, out


def test_make_help_lists_every_documented_target(port):
    out = re.sub(r"\x1b\[[0-9;]*m", "", ok(run("make", port)))  # without its colours

    documented = re.findall(r"^([a-z][\w-]*):.*## ", (REPO_ROOT / "Makefile").read_text(), re.M)
    assert re.findall(r"^  ([a-z][\w-]*) ", out, re.M) == documented


def test_make_status_says_everything_is_healthy(port):
    status = ok(run("make status", port))

    table = status[status.index("NAME ") :].splitlines()[1:]
    rows = [line.split() for line in table if not line.startswith("state:")]
    assert rows, status
    assert all(row[4] == "healthy" for row in rows), status


def test_the_stacks_environment_evals_into_a_shell(port):
    out = ok(run('eval "$(make -s env)" && echo "$SHOPFLOW_KAFKA_BOOTSTRAP_SERVERS"', port))

    assert re.fullmatch(r"127\.0\.0\.1:\d+\n", out)


def test_make_token_signs_a_token_a_service_accepts(shop: Stack, port):
    token = ok(run("make -s token service=inventory", port)).strip()
    inventory = shop.get("inventory").port

    answer = run(
        f"curl -sf localhost:{inventory}/products -H 'Authorization: Bearer {token}'", port
    )

    assert json.loads(ok(answer))  # the products, to a caller with the gateway's signature


def test_make_dlq_lists_a_topics_dead_letters(port):
    out = ok(run("make -s dlq topic=shopflow.payment.commands", port))

    assert out.startswith(("OFFSET", "no dead letters")), out


@pytest.mark.parametrize("target", ["outbox", "sagas"])
def test_what_waits_for_an_operator_is_listed(target, port):
    ok(run(f"make -s {target}", port))
