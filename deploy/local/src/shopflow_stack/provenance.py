"""What an app process was started from: its code and its configuration.

The code is the app's workspace package, the workspace packages it depends on (their
`src/` trees and `pyproject.toml`) and the lock; the configuration is its command and
the environment the stack gives it. `up` records this next to the pid file when it
starts an app, and restarts a running app whose record no longer matches the workspace,
so that `make up` and every test fixture talk to the code as it is now, never to a
process started before an edit.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

LOCK_FILE = "uv.lock"
_SKIPPED_DIRS = frozenset({"__pycache__"})
_SKIPPED_SUFFIXES = (".pyc", ".pyo")
_REQUIREMENT_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True)
class Member:
    """A package of the workspace: its folder, its name and the names it depends on."""

    path: Path
    name: str
    dependencies: frozenset[str]

    def provides(self, module: str) -> bool:
        return (self.path / "src" / module).is_dir()


class Workspace:
    """The uv workspace at `root`: its members, read from the root pyproject.toml."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @cached_property
    def members(self) -> dict[str, Member]:
        """By normalised package name."""
        config = tomllib.loads((self.root / "pyproject.toml").read_text())
        patterns = config.get("tool", {}).get("uv", {}).get("workspace", {}).get("members", [])
        members = {}
        for pattern in patterns:
            for folder in sorted(self.root.glob(pattern)):
                project = folder / "pyproject.toml"
                if not project.is_file():
                    continue
                meta = tomllib.loads(project.read_text()).get("project", {})
                names = (_REQUIREMENT_NAME.match(d) for d in meta.get("dependencies", []))
                dependencies = frozenset(_normalise(match[1]) for match in names if match)
                member = Member(folder, _normalise(meta["name"]), dependencies)
                members[member.name] = member
        return members

    def closure(self, command: Sequence[str]) -> list[Member]:
        """The members an app run by `command` loads: the one providing its `-m` module and
        every workspace package that one depends on; every member if the command names none."""
        module = _module_of(command)
        roots = [m for m in self.members.values() if module and m.provides(module)]
        if not roots:
            return sorted(self.members.values(), key=lambda m: m.name)
        seen: dict[str, Member] = {}
        todo = list(roots)
        while todo:
            member = todo.pop()
            if member.name in seen:
                continue
            seen[member.name] = member
            todo += [self.members[d] for d in member.dependencies if d in self.members]
        return sorted(seen.values(), key=lambda m: m.name)

    def code_of(self, command: Sequence[str]) -> dict[str, str]:
        """Every file of the app's code, as a path relative to the root and its digest."""
        files = [self.root / LOCK_FILE]
        for member in self.closure(command):
            files.append(member.path / "pyproject.toml")
            files += _sources(member.path / "src")
        return {
            str(path.relative_to(self.root)): _digest(path)
            for path in sorted(files)
            if path.is_file()
        }


def _module_of(command: Sequence[str]) -> str | None:
    for flag, value in itertools.pairwise(command):
        if flag == "-m":
            return value.split(".")[0]
    return None


def _sources(folder: Path) -> list[Path]:
    return [
        path
        for path in folder.rglob("*")
        if path.is_file()
        and not _SKIPPED_DIRS.intersection(path.relative_to(folder).parts)
        and not path.name.endswith(_SKIPPED_SUFFIXES)
    ]


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _digest_text(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


@dataclass(frozen=True)
class Provenance:
    """What one app process was started from."""

    command: tuple[str, ...]
    environment: Mapping[str, str]  # variable -> sha256 of its value: no secret is written
    code: Mapping[str, str]  # file (relative to the workspace) -> sha256

    @classmethod
    def of(
        cls, workspace: Workspace, command: Sequence[str], environment: Mapping[str, str]
    ) -> Provenance:
        hidden = {name: _digest_text(value) for name, value in environment.items()}
        return cls(tuple(command), hidden, workspace.code_of(command))

    def difference(self, now: Provenance) -> str | None:
        """What differs between this record and `now`, in a few words; None if nothing."""
        changed = sorted(
            path
            for path in self.code.keys() | now.code.keys()
            if self.code.get(path) != now.code.get(path)
        )
        if changed:
            more = f" and {len(changed) - 1} more" if len(changed) > 1 else ""
            return f"its code changed since it started ({changed[0]}{more})"
        if self.command != now.command:
            return "its command changed since it started"
        variables = sorted(
            name
            for name in self.environment.keys() | now.environment.keys()
            if self.environment.get(name) != now.environment.get(name)
        )
        if variables:
            return f"its environment changed since it started ({', '.join(variables)})"
        return None

    def save(self, path: Path) -> None:
        record = {"command": self.command, "environment": self.environment, "code": self.code}
        path.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")

    @classmethod
    def load(cls, path: Path) -> Provenance | None:
        """The record at `path`; None if there is none or it cannot be read."""
        try:
            record = json.loads(path.read_text())
            return cls(tuple(record["command"]), record["environment"], record["code"])
        except (FileNotFoundError, ValueError, KeyError, TypeError):
            return None
