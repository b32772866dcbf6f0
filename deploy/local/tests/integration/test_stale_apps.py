"""`up` never leaves an app running code or configuration from before an edit: it restarts
it and says why. A real process, run by the stack's own code from a workspace of the test's."""

import textwrap

import pytest

from shopflow_stack.config import AppConfig, KafkaConfig, ObservabilityConfig, StackConfig
from shopflow_stack.stack import Stack
from shopflow_testing.ports import unused_port

pytestmark = pytest.mark.integration

SERVER = textwrap.dedent(
    """
    import http.server, os

    class Ready(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    port = int(os.environ["SHELF_PORT"])
    http.server.HTTPServer(("127.0.0.1", port), Ready).serve_forever()
    """
)


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


@pytest.fixture
def shelf_stack(tmp_path):
    """A stack of one app, `shelf`, served from a workspace of two packages: kit and shelf."""
    root = tmp_path / "workspace"
    write(root / "pyproject.toml", '[tool.uv.workspace]\nmembers = ["libs/*", "services/*"]\n')
    write(root / "uv.lock", "version = 1\n")
    write(root / "libs/kit/pyproject.toml", '[project]\nname = "shopflow-kit"\n')
    write(root / "libs/kit/src/shopflow_kit/__init__.py", "")
    shelf = root / "services/shelf"
    project = '[project]\nname = "shopflow-shelf"\ndependencies = ["shopflow-kit"]\n'
    write(shelf / "pyproject.toml", project)
    write(shelf / "src/shopflow_shelf/__init__.py", "")
    write(shelf / "src/shopflow_shelf/__main__.py", SERVER)
    app = AppConfig(
        name="shelf",
        port=unused_port(),
        env_prefix="SHELF_",
        command=("{python}", "-m", "shopflow_shelf"),
        env={"PYTHONPATH": str(shelf / "src")},
    )
    kafka = KafkaConfig("4.1.1", unused_port(), unused_port(), (), 1)
    state = tmp_path / "state"
    unobserved = ObservabilityConfig(
        False, *(unused_port() for _ in range(4)), 0, unused_port(), "", ""
    )
    config = StackConfig(state, state, (), unused_port(), kafka, unobserved, (app,), workspace=root)
    stack = Stack(config)
    yield stack
    stack.down()


async def health(stack: Stack) -> str:
    [row] = [row for row in await stack.status() if row.name == "shelf"]
    return row.health


async def test_an_app_running_older_code_is_restarted_and_the_reason_said(shelf_stack, capsys):
    shelf = shelf_stack.get("shelf")
    assert [p.name for p in await shelf_stack.up(["shelf"])] == ["shelf"]
    first = shelf.pid()
    assert await shelf_stack.up(["shelf"]) == []
    assert shelf.pid() == first  # the same code: left running

    edited = shelf_stack.config.workspace / "libs/kit/src/shopflow_kit/__init__.py"
    edited.write_text("NEW = True\n")
    assert await health(shelf_stack) == "stale: `make up` restarts it"
    restarted = await shelf_stack.up(["shelf"])

    assert restarted == []  # it was running before: the caller has nothing new to stop
    assert shelf.pid() not in (None, first)
    assert await health(shelf_stack) == "healthy"
    said = capsys.readouterr().err
    assert "shelf: restarting: its code changed since it started" in said
    assert "libs/kit/src/shopflow_kit/__init__.py" in said


async def test_an_app_started_with_extra_environment_is_restarted_as_configured(
    shelf_stack, capsys
):
    shelf = shelf_stack.get("shelf")
    await shelf_stack.restart("shelf", env={"SHOPFLOW_FAILPOINTS": "relay.after-publish=pause"})
    with_failpoint = shelf.pid()
    assert with_failpoint is not None

    await shelf_stack.up(["shelf"])

    assert shelf.pid() not in (None, with_failpoint)
    assert "its environment changed since it started (SHOPFLOW_FAILPOINTS)" in (
        capsys.readouterr().err
    )
    assert await shelf_stack.up(["shelf"]) == []


async def test_an_app_without_a_record_of_its_start_is_restarted(shelf_stack, capsys):
    shelf = shelf_stack.get("shelf")
    await shelf_stack.up(["shelf"])
    first = shelf.pid()
    shelf.provenance_path.unlink()  # as a runner from before these records left it

    await shelf_stack.up(["shelf"])

    assert shelf.pid() not in (None, first)
    assert "nothing records what it was started from" in capsys.readouterr().err


async def test_an_app_started_with_tracing_switched_off_is_restarted_once_it_is_on_again(
    shelf_stack, capsys, monkeypatch
):
    shelf = shelf_stack.get("shelf")
    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")  # as `make bench` measures tracing's cost
    await shelf_stack.up(["shelf"])
    untraced = shelf.pid()
    assert await shelf_stack.up(["shelf"]) == []
    assert shelf.pid() == untraced

    monkeypatch.delenv("OTEL_SDK_DISABLED")
    await shelf_stack.up(["shelf"])

    assert shelf.pid() not in (None, untraced)
    assert "its environment changed since it started (OTEL_SDK_DISABLED)" in (
        capsys.readouterr().err
    )
