"""Where the stack keeps its state (databases, logs, pid files): a folder PostgreSQL can reach.

By default that is `.shopflow/` in the clone. As root, PostgreSQL runs as the `postgres`
user, which cannot enter a clone under a private folder (`/root`, a 0700 home): then the
state lives in a new folder under /var/tmp, made with an unpredictable name, and the
clone's `.shopflow` is a link to it. The link keeps the choice stable for this clone
(`make down`, `make status` and the test fixtures follow it), and a fresh clone at the
same path starts afresh. `SHOPFLOW_STATE_DIR` overrides all of this.
"""

from __future__ import annotations

import os
import shutil
import stat
import sys
import tempfile
from pathlib import Path

from shopflow_stack.errors import StackError

SHARED_PARENT = Path("/var/tmp")  # survives reboots, unlike /tmp on many systems


def resolve_state_dir(
    local: Path,
    *,
    override: str | None = None,
    as_root: bool | None = None,
    shared_parent: Path = SHARED_PARENT,
) -> Path:
    """The state folder for the clone whose default state folder is `local`."""
    if override:
        return Path(override).resolve()
    if local.is_symlink():
        target = local.resolve()
        if target.is_dir():
            _require_private(target)
            return target
        local.unlink()  # its folder is gone (a clean-up of /var/tmp): start afresh
    as_root = os.geteuid() == 0 if as_root is None else as_root
    if not as_root or traversable_by_others(local.parent):
        return local.resolve()
    return _relocate(local, shared_parent)


def traversable_by_others(folder: Path) -> bool:
    """Whether a user who owns none of `folder` and its parents can still enter it."""
    for part in (folder.resolve(), *folder.resolve().parents):
        if not part.stat().st_mode & stat.S_IXOTH:
            return False
    return True


def _relocate(local: Path, shared_parent: Path) -> Path:
    """A new state folder under `shared_parent`, linked from `local` (whose contents it takes)."""
    state = Path(tempfile.mkdtemp(prefix=f"shopflow-{local.parent.name}-", dir=shared_parent))
    state.chmod(0o711)  # others may pass through to their own folder (postgres), not list it
    if local.is_dir() and not local.is_symlink():  # state of an earlier run that failed here
        for entry in local.iterdir():
            shutil.move(entry, state / entry.name)
        local.rmdir()
    try:
        local.symlink_to(state, target_is_directory=True)
    except FileExistsError:  # another command of this clone got there first: follow it
        state.rmdir()
        return resolve_state_dir(local, shared_parent=shared_parent)
    print(
        f"state folder: {state} (the postgres user cannot enter {local.parent}); "
        f"{local.name} links to it",
        file=sys.stderr,
    )
    return state


def _require_private(folder: Path) -> None:
    """Refuse a state folder someone else could have planted or could change under us."""
    info = folder.lstat()
    if info.st_uid != os.geteuid() or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise StackError(
            f"{folder} is not a private folder of yours (owner uid {info.st_uid}, mode "
            f"{stat.filemode(info.st_mode)}); remove it or set SHOPFLOW_STATE_DIR"
        )
