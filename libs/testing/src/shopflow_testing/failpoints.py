"""Holding a process at a failpoint of the kit (`shopflow_kit.failpoints`), to kill it there.

    process = await asyncio.create_subprocess_exec(
        *argv, env={**os.environ, **pausing_at("relay.after-publish")}, stderr=PIPE
    )
    await paused_at(process, "relay.after-publish")  # frozen there: check the window
    process.kill()

`paused_in_log(path, name)` waits for the same line in a stack process's log.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from shopflow_kit.failpoints import FAILPOINTS_VARIABLE
from shopflow_kit.settings import ENVIRONMENT_VARIABLE


def pausing_at(*names: str, environment: str = "test") -> dict[str, str]:
    """The environment that makes a process stop at each failpoint of `names`; failpoints
    arm only in `test` or `development` (a stack's app keeps its `development`)."""
    return {
        FAILPOINTS_VARIABLE: ",".join(f"{name}=pause" for name in names),
        ENVIRONMENT_VARIABLE: environment,
    }


def _said(line: str, name: str) -> int | None:
    """The pid in a failpoint's line about `name`, or None if the line is another."""
    prefix = f"failpoint {name}: paused, pid "
    return int(line.removeprefix(prefix)) if line.startswith(prefix) else None


async def paused_at(process: asyncio.subprocess.Process, name: str, within: float = 60) -> None:
    """Return once `process` (its stderr piped) is stopped at failpoint `name`."""
    assert process.stderr is not None, "the process's stderr must be a pipe"
    try:
        async with asyncio.timeout(within):
            while True:
                line = (await process.stderr.readline()).decode()
                if not line:
                    raise AssertionError(f"exited ({await process.wait()}) before {name}")
                if _said(line.strip(), name) == process.pid:
                    break
    except TimeoutError:
        raise AssertionError(f"never reached failpoint {name} within {within:.0f}s") from None
    await until_stopped(process.pid)


async def paused_in_log(log: Path, name: str, *, after: int = 0, within: float = 60) -> int:
    """The pid that wrote, past byte `after` of `log`, that it stopped at failpoint `name`."""
    try:
        async with asyncio.timeout(within):
            while True:
                with log.open("rb") as lines:
                    lines.seek(after)
                    for line in lines:
                        pid = _said(line.decode(errors="replace").strip(), name)
                        if pid is not None:
                            await until_stopped(pid)
                            return pid
                await asyncio.sleep(0.1)  # a log has nothing to await but its growth
    except TimeoutError:
        raise AssertionError(f"{log.name}: failpoint {name} not reached in {within:.0f}s") from None


async def until_stopped(pid: int) -> None:
    """Wait for the kernel to show the process stopped (its SIGSTOP is asynchronous)."""
    async with asyncio.timeout(10):
        while True:
            if process_state(pid) == "T":
                return
            await asyncio.sleep(0.01)


def process_state(pid: int) -> str:
    """The process's state letter: R running, S sleeping, T stopped, Z zombie."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
