"""One local process of the stack: started detached, tracked by pid file, stopped by pid.

A pid file records the pid *and* the process start time (from /proc), so a pid the
kernel has since handed to another program is never mistaken for ours nor signalled.
"""

from __future__ import annotations

import errno
import os
import signal
import socket
import subprocess
import time
from abc import ABC, abstractmethod
from contextlib import suppress
from enum import StrEnum
from pathlib import Path

from shopflow_stack.config import StackConfig, env_name
from shopflow_stack.errors import StackError as StackError  # where the stack's modules take it


class ProcessState(StrEnum):
    RUNNING = "running"
    DEAD = "dead"  # we started it, it is gone: shown, never silently restarted
    STOPPED = "stopped"


def start_time(pid: int) -> int | None:
    """The start time of a live process (clock ticks since boot); None if there is none."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = stat.rsplit(")", 1)[1].split()
    if fields[0] == "Z":  # a zombie has exited; it only waits to be reaped
        return None
    return int(fields[19])


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                return False
            raise
    return True


class LocalProcess(ABC):
    """A process the stack owns. Subclasses say how to run, prepare and probe it."""

    kind: str = "process"
    stop_signal: signal.Signals = signal.SIGTERM
    stop_timeout: float = 30.0
    ready_timeout: float = 60.0

    def __init__(self, name: str, port: int, stack: StackConfig) -> None:
        self.name = name
        self.port = port
        self.stack = stack

    @abstractmethod
    def argv(self) -> list[str]: ...

    @abstractmethod
    async def probe(self) -> None:
        """Raise unless the process answers as a healthy one of its kind does."""

    def prepare(self) -> None:
        """Blocking one-time work before the first start: installs, initdb, formatting."""

    async def after_ready(self) -> None:
        """Work once the process answers: roles, databases, topics. Must be idempotent."""

    def environment(self) -> dict[str, str] | None:
        return None

    def run_as(self) -> str | None:
        """The user to run as, when not the current one."""
        return None

    @property
    def log_path(self) -> Path:
        return self.stack.state_dir / "logs" / f"{self.name}.log"

    @property
    def pid_path(self) -> Path:
        return self.stack.state_dir / "run" / f"{self.name}.pid"

    def recorded(self) -> tuple[int, int] | None:
        try:
            pid, started = self.pid_path.read_text().split()
        except FileNotFoundError:
            return None
        return int(pid), int(started)

    def pid(self) -> int | None:
        """Our process's pid if it is alive."""
        recorded = self.recorded()
        if recorded and start_time(recorded[0]) == recorded[1]:
            return recorded[0]
        return None

    def state(self) -> ProcessState:
        if self.pid() is not None:
            return ProcessState.RUNNING
        return ProcessState.DEAD if self.recorded() else ProcessState.STOPPED

    def spawn(self) -> int:
        if not port_is_free(self.port):
            raise StackError(
                f"{self.name}: port {self.port} is taken by a process this stack did not start; "
                f"stop it or set SHOPFLOW_{env_name(self.name)}_PORT"
            )
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.pid_path.parent.mkdir(parents=True, exist_ok=True)
        user = self.run_as()
        env = {**os.environ, **(self.environment() or {})}
        # The child inherits the log's file descriptor, so a process running as another
        # user can write to a log file it does not own.
        with self.log_path.open("ab") as log:
            child = subprocess.Popen(
                self.argv(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,  # survives the runner; no terminal signals
                user=user,
                group=user,
                extra_groups=[] if user else None,
            )
        started = start_time(child.pid)
        if started is None:
            raise StackError(f"{self.name} exited at once; see {self.log_path}")
        self.pid_path.write_text(f"{child.pid} {started}\n")
        return child.pid

    def stop(self) -> None:
        pid = self.pid()
        if pid is not None:
            os.kill(pid, self.stop_signal)
            if not self._wait_gone(pid, self.stop_timeout):
                os.kill(pid, signal.SIGKILL)
                self._wait_gone(pid, 10)
        self.pid_path.unlink(missing_ok=True)

    def kill(self, sig: signal.Signals = signal.SIGKILL) -> None:
        """Signal the process without cleaning up: what a crash looks like (chaos, tests)."""
        pid = self.pid()
        if pid is None:
            raise StackError(f"{self.name} is not running")
        os.kill(pid, sig)
        if sig in (signal.SIGKILL, signal.SIGTERM):
            self._wait_gone(pid, self.stop_timeout)

    def _wait_gone(self, pid: int, timeout: float) -> bool:
        started = start_time(pid)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._reap(pid)
            if start_time(pid) != started or started is None:
                return True
            time.sleep(0.05)
        return False

    @staticmethod
    def _reap(pid: int) -> None:
        """Collect the exit status when the process is our own child (tests start the stack)."""
        with suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no log yet)"
