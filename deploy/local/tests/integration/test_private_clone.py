"""A first run as root from a clone in a private home folder (as /root is) just works.

The clone is this working tree's files (committed or not) under a 0700 folder; its stack
runs beside the test infrastructure, 500 ports further, through the Makefile as a
newcomer types it: `make up`, `make status`, `make down`, then `make clean`.
"""

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from shopflow_stack.config import REPO_ROOT

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PORT_SHIFT = 500  # between any two stacks' offsets (multiples of 1000): no port in common


@pytest.fixture
def private_clone():
    if os.geteuid() != 0:
        pytest.skip("the case is root's: PostgreSQL then runs as the postgres user")
    home = Path(tempfile.mkdtemp(prefix="shopflow-root-home-"))
    home.chmod(0o700)
    clone = home / "shopflow"
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO_ROOT,
        capture_output=True,
        check=True,
    )
    for name in filter(None, listed.stdout.decode().split("\0")):
        source = REPO_ROOT / name
        if source.is_file():  # a file deleted but not yet committed is listed too
            (clone / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, clone / name)
    yield clone
    make(clone, "clean")
    shutil.rmtree(home)


def make(clone: Path, target: str) -> subprocess.CompletedProcess[str]:
    offset = int(os.environ.get("SHOPFLOW_PORT_OFFSET", "0")) + PORT_SHIFT
    environment = {
        name: value
        for name, value in os.environ.items()
        # Nothing of the test run's own stack, virtualenv or make leaks into the newcomer's.
        if not name.startswith(("SHOPFLOW_", "MAKE", "VIRTUAL_ENV", "UV_"))
    }
    return subprocess.run(
        ["make", "--no-print-directory", target],
        cwd=clone,
        env={**environment, "SHOPFLOW_PORT_OFFSET": str(offset)},
        capture_output=True,
        text=True,
        timeout=900,
    )


@pytest.mark.timeout(1200)  # a whole first `make up` (uv sync, migrations) on a busy machine
def test_make_up_status_and_down_work_as_root_in_a_private_home(private_clone):
    up = make(private_clone, "up")
    status = make(private_clone, "status")
    down = make(private_clone, "down")

    assert up.returncode == 0, up.stdout[-3000:] + up.stderr[-3000:]
    link = private_clone / ".shopflow"
    assert link.is_symlink()
    state = link.resolve()
    assert state.parent == Path("/var/tmp")
    assert f"state folder: {state}" in up.stderr  # said once, where it went
    assert (state / "postgres" / "order" / "PG_VERSION").exists()
    assert status.returncode == 0, status.stdout
    assert f"state: {state}" in status.stdout
    assert "unhealthy" not in status.stdout
    assert "dead" not in status.stdout
    assert down.returncode == 0, down.stdout + down.stderr
    assert "no listener left" in down.stdout
    assert "state folder" not in status.stderr + down.stderr

    clean = make(private_clone, "clean")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert not state.exists(), sorted(p.name for p in state.iterdir())  # nothing left in /var/tmp
