"""Go-built tools (helm, kube-apiserver, toxiproxy, ...): built once, cached by version.

The catalogue is `deploy/tools/tools.toml`. A tool is built on first use with the
machine's Go, into a partial file renamed into place, under a lock: two clones or two
test runs asking at once build it once, and an interrupted build leaves nothing behind.
`ensure_tools` builds several two at a time: a build spends much of its time fetching
modules and in the linker, one core, so a second build fills the other.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from shopflow_stack.config import REPO_ROOT, cache_dir
from shopflow_stack.process import StackError

TOOLS_DIR = REPO_ROOT / "deploy" / "tools"
CATALOGUE = TOOLS_DIR / "tools.toml"

How = Literal["install", "module", "wrapper"]
_PARALLEL_BUILDS = 2


@dataclass(frozen=True)
class GoTool:
    name: str
    module: str
    version: str
    package: str = ""
    how: How = "install"
    wrapper: str = ""
    ldflags: str = ""  # e.g. the `-X` that stamps the version a tool reports

    @property
    def build_flags(self) -> list[str]:
        return ["-ldflags", self.ldflags] if self.ldflags else []

    @property
    def import_path(self) -> str:
        return f"{self.module}/{self.package}" if self.package else self.module

    @property
    def path(self) -> Path:
        return cache_dir() / "tools" / f"{self.name}-{self.version}" / self.name

    def build_commands(self, go: str, output: Path) -> list[tuple[list[str], Path | None]]:
        """The commands that build this tool into `output`, each with the folder it runs in
        (None: anywhere); "module" asks the module proxy where the module landed first."""
        package = f"./{self.package}" if self.package else "."
        if self.how == "install":
            return [
                ([go, "install", *self.build_flags, f"{self.import_path}@{self.version}"], None)
            ]
        build = [go, "build", *self.build_flags, "-o", str(output)]
        if self.how == "wrapper":
            return [([*build, self.import_path], TOOLS_DIR / self.wrapper)]
        return [([*build, package], self.module_dir(go))]

    def module_dir(self, go: str) -> Path:
        result = _go(go, ["mod", "download", "-json", f"{self.module}@{self.version}"], None, {})
        return Path(json.loads(result)["Dir"])

    def source_dir(self) -> Path:
        """The tool's module as the module proxy serves it (downloaded if needed): its
        data files (schemas, stage definitions) match the binary."""
        return self.module_dir(find_go(f"the source of {self.name}"))


def catalogue() -> dict[str, GoTool]:
    tables = tomllib.loads(CATALOGUE.read_text())["tools"]
    return {name: GoTool(name=name, **table) for name, table in tables.items()}


def ensure_tool(name: str) -> Path:
    """The path of tool `name`, built into the cache first if it is not there yet."""
    tools = catalogue()
    if name not in tools:
        raise StackError(f"no Go tool {name!r} in {CATALOGUE} (known: {', '.join(tools)})")
    tool = tools[name]
    if tool.path.exists():
        return tool.path
    with _locked(tool.path.parent):
        if not tool.path.exists():  # another process may have built it while we waited
            _build(tool)
    return tool.path


def ensure_tools(names: Iterable[str] | None = None) -> dict[str, Path]:
    """Each tool's path (every tool of the catalogue by default), the missing ones built
    side by side; the first failure is raised once the others have finished."""
    chosen = list(catalogue() if names is None else names)
    # Every build submitted and waited for (map would cancel those not started at the
    # first failure), then the first failure raised.
    with ThreadPoolExecutor(_PARALLEL_BUILDS, thread_name_prefix="go-build") as builds:
        built = {name: builds.submit(ensure_tool, name) for name in chosen}
    return {name: build.result() for name, build in built.items()}


def _build(tool: GoTool) -> None:
    go = find_go(f"building {tool.name} {tool.version}")
    print(
        f"building {tool.name} {tool.version} from {tool.module} (once; cached) ...",
        file=sys.stderr,
        flush=True,
    )
    partial = tool.path.with_name(f"{tool.name}.partial")
    with tempfile.TemporaryDirectory(prefix=f"gobin-{tool.name}-") as gobin:
        env = {"GOBIN": gobin}
        for command, cwd in tool.build_commands(go, partial):
            _go(go, command[1:], cwd, env)
        if tool.how == "install":
            (built,) = Path(gobin).iterdir()
            shutil.move(built, partial)
    partial.rename(tool.path)


def _go(go: str, args: list[str], cwd: Path | None, extra_env: dict[str, str]) -> str:
    # The machine's own Go: never fetch another toolchain behind the user's back.
    env = {"GOTOOLCHAIN": "local", "CGO_ENABLED": "0", **os.environ, **extra_env}
    result = subprocess.run([go, *args], cwd=cwd, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise StackError(f"`go {' '.join(args)}` failed:\n{result.stderr[-4000:]}")
    return result.stdout


GO_FALLBACKS = (Path("/usr/local/go/bin/go"),)  # where the official tarball puts it


def find_go(needed_for: str = "building Go tools") -> str:
    """The machine's `go`: on PATH, or where the official tarball puts it (a login shell
    of a user whose PATH never got /usr/local/go/bin still finds it)."""
    go = shutil.which("go") or next((str(p) for p in GO_FALLBACKS if p.exists()), None)
    if go is None:
        raise StackError(f"{needed_for} needs Go (https://go.dev/dl): put `go` on PATH")
    return go


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield
