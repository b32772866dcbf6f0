"""Where the state goes: in the clone, or under /var/tmp when PostgreSQL could not reach it."""

import shutil
import stat
import tempfile
from pathlib import Path

import pytest

from shopflow_stack.errors import StackError
from shopflow_stack.state import resolve_state_dir

pytestmark = pytest.mark.unit


@pytest.fixture
def world():
    """A folder anyone may enter (pytest's own tmp_path is private)."""
    folder = Path(tempfile.mkdtemp(prefix="shopflow-state-test-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder)


@pytest.fixture
def shared(world):
    """Stands in for /var/tmp: sticky and world-writable."""
    folder = world / "var-tmp"
    folder.mkdir()
    folder.chmod(0o1777)
    return folder


@pytest.fixture
def private_clone(world):
    """A clone under a home folder only its owner may enter, as /root is."""
    home = world / "home"
    (home / "shopflow").mkdir(parents=True)
    home.chmod(0o700)
    return home / "shopflow"


@pytest.fixture
def open_clone(world):
    (world / "shopflow").mkdir()
    return world / "shopflow"


def test_a_clone_anyone_can_enter_keeps_its_state_inside(open_clone, shared):
    local = open_clone / ".shopflow"

    assert resolve_state_dir(local, as_root=True, shared_parent=shared) == local
    assert not local.exists()


def test_a_normal_user_keeps_the_state_inside_even_a_private_clone(private_clone, shared):
    local = private_clone / ".shopflow"

    assert resolve_state_dir(local, as_root=False, shared_parent=shared) == local


def test_root_in_a_private_clone_gets_a_folder_postgres_can_reach_linked_from_it(
    private_clone, shared, capsys
):
    local = private_clone / ".shopflow"

    state = resolve_state_dir(local, as_root=True, shared_parent=shared)

    assert state.parent == shared
    assert state.name.startswith("shopflow-shopflow-")
    assert stat.S_IMODE(state.stat().st_mode) == 0o711  # others pass through, cannot list
    assert local.is_symlink()
    assert local.resolve() == state
    assert str(state) in capsys.readouterr().err


def test_the_choice_is_stable_and_printed_once(private_clone, shared, capsys):
    local = private_clone / ".shopflow"
    first = resolve_state_dir(local, as_root=True, shared_parent=shared)
    capsys.readouterr()

    again = resolve_state_dir(local, as_root=True, shared_parent=shared)

    assert again == first
    assert capsys.readouterr().err == ""


def test_a_fresh_clone_at_the_same_path_starts_afresh(private_clone, shared):
    local = private_clone / ".shopflow"
    first = resolve_state_dir(local, as_root=True, shared_parent=shared)
    local.unlink()  # what `rm -rf shopflow && git clone ...` leaves: no link

    assert resolve_state_dir(local, as_root=True, shared_parent=shared) != first


def test_what_an_earlier_failed_run_left_in_the_clone_moves_along(private_clone, shared):
    local = private_clone / ".shopflow"
    (local / "logs").mkdir(parents=True)
    (local / "logs" / "kafka.log").write_text("formatted\n")

    state = resolve_state_dir(local, as_root=True, shared_parent=shared)

    assert (state / "logs" / "kafka.log").read_text() == "formatted\n"
    assert local.is_symlink()


def test_a_link_to_a_folder_that_is_gone_is_replaced(private_clone, shared):
    local = private_clone / ".shopflow"
    first = resolve_state_dir(local, as_root=True, shared_parent=shared)
    first.rmdir()  # /var/tmp cleaned up, or a reboot

    state = resolve_state_dir(local, as_root=True, shared_parent=shared)

    assert state.is_dir()
    assert local.resolve() == state


def test_a_linked_folder_others_may_write_to_is_refused(private_clone, shared):
    local = private_clone / ".shopflow"
    planted = shared / "planted"
    planted.mkdir()
    planted.chmod(0o777)
    local.symlink_to(planted)

    with pytest.raises(StackError, match="not a private folder"):
        resolve_state_dir(local, as_root=True, shared_parent=shared)


def test_the_override_wins(private_clone, tmp_path):
    elsewhere = tmp_path / "elsewhere"

    assert resolve_state_dir(private_clone / ".shopflow", override=str(elsewhere)) == elsewhere
