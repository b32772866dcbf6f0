"""What the compose and Kubernetes drivers ask of their tools, and what they refuse.

The local driver is proven on the real stack (tests/chaos); these two run against a
recording stand-in for `docker compose` and for `kubectl`.
"""

import asyncio
import stat
import subprocess
import sys

import pytest

from shopflow_drills.chaos.compose import ComposeDriver
from shopflow_drills.chaos.driver import Needs, UnsupportedError
from shopflow_drills.chaos.kubernetes import KubernetesDriver

pytestmark = pytest.mark.unit


class RecordingCompose:
    """Stands in for `ComposeStack`: records each `docker compose` command."""

    def __init__(self) -> None:
        self.commands: list[tuple[str, ...]] = []
        self.gateway_url = "http://127.0.0.1:8080"

    def run(self, *args: str, capture: bool = False) -> subprocess.CompletedProcess[str]:
        self.commands.append(args)
        return subprocess.CompletedProcess(args, 0, "", "")

    def up(self, timeout: float, quiet: bool) -> float:
        self.commands.append(("up",))
        return 0.0

    def environment(self) -> dict[str, str]:
        return {"SHOPFLOW_TOXIPROXY_PORT": "8474", "SHOPFLOW_PAYMENT_PROVIDER_PORT": "8010"}


def test_compose_kills_pauses_and_restarts_by_service_name():
    compose = RecordingCompose()
    driver = ComposeDriver(compose)  # type: ignore[arg-type]

    async def fault() -> None:
        await driver.prepare(Needs(edges=True))
        await driver.kill("kafka")
        await driver.start(["kafka"])
        await driver.freeze("payment")
        await driver.thaw("payment")

    asyncio.run(fault())

    # The stack given is up already: `prepare` runs no `up` (its jobs would run again).
    assert compose.commands[0] == ("kill", "--signal", "KILL", "kafka")
    assert compose.commands[1][:2] == ("up", "--detach")
    assert compose.commands[1][-1] == "kafka"
    assert "--no-deps" in compose.commands[1]
    assert compose.commands[2:] == [("pause", "payment"), ("unpause", "payment")]
    assert driver.toxiproxy_url() == "http://127.0.0.1:8474"


def test_compose_says_it_cannot_run_replicas():
    driver = ComposeDriver(RecordingCompose())  # type: ignore[arg-type]

    with pytest.raises(UnsupportedError, match="one container per service"):
        asyncio.run(driver.prepare(Needs(replicas={"order": 2})))


@pytest.fixture
def kubectl(tmp_path):
    """A kubectl that records its arguments and lists two order pods."""
    log = tmp_path / "kubectl.log"
    script = tmp_path / "kubectl"
    script.write_text(
        f"#!{sys.executable}\n"
        "import sys\n"
        f"open({str(log)!r}, 'a').write(' '.join(sys.argv[1:]) + '\\n')\n"
        "if 'get' in sys.argv: print('shopflow-order-b shopflow-order-a', end='')\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script, log


def test_kubernetes_deletes_pods_and_scales_the_release_workloads(kubectl):
    script, log = kubectl
    driver = KubernetesDriver("shop", "demo", kubectl=str(script))

    async def fault() -> list[str]:
        await driver.prepare(Needs(replicas={"order": 2}))
        pods = driver.instances("order")
        await driver.kill(pods[-1])
        await driver.stop("kafka")
        await driver.start(["kafka"])
        return pods

    pods = asyncio.run(fault())

    assert pods == ["shopflow-order-a", "shopflow-order-b"]
    calls = log.read_text().splitlines()
    assert calls[0] == "--namespace shop scale deployment/demo-order --replicas=2"
    assert "delete pod shopflow-order-b --grace-period=0 --force" in calls[3]
    assert calls[4] == "--namespace shop scale statefulset/demo-kafka --replicas=0"
    assert calls[5] == "--namespace shop scale statefulset/demo-kafka --replicas=1"


def test_kubernetes_says_what_it_cannot_do(kubectl):
    driver = KubernetesDriver("shop", "demo", kubectl=str(kubectl[0]))

    with pytest.raises(UnsupportedError, match="toxiproxy"):
        asyncio.run(driver.prepare(Needs(edges=True)))
    with pytest.raises(UnsupportedError, match="paused"):
        asyncio.run(driver.freeze("order"))
