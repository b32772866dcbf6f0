"""An application process of the stack (a service, the gateway), declared in stack.toml.

Each start records what the app was started from (see `provenance`), so that `up`
can tell a process running older code or another configuration, and restart it.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import httpx

from shopflow_stack.config import AppConfig, StackConfig, env_name
from shopflow_stack.process import LocalProcess, StackError
from shopflow_stack.provenance import Provenance, Workspace

FAILPOINTS_VARIABLE = "SHOPFLOW_FAILPOINTS"  # read by the kit's failpoints: part of what ran
# OpenTelemetry's standard variables (OTEL_SDK_DISABLED, OTEL_SERVICE_NAME, ...): apps read them.
STANDARD_PREFIX = "OTEL_"


class AppProcess(LocalProcess):
    kind = "app"

    def __init__(self, config: AppConfig, stack: StackConfig) -> None:
        super().__init__(config.name, config.port, stack)
        self.config = config
        self.extra_env: dict[str, str] = {}  # for its next start only (a test's failpoint)
        self._workspace = Workspace(stack.workspace)

    def argv(self) -> list[str]:
        return self.config.argv()

    def prepare(self) -> None:
        env = {**os.environ, **self.environment()}
        for step in self.config.setup:
            result = subprocess.run(self.config.argv(step), env=env, capture_output=True, text=True)
            if result.returncode != 0:
                raise StackError(
                    f"{self.name}: `{' '.join(step)}` failed:\n{result.stderr[-3000:]}"
                )

    def environment(self) -> dict[str, str]:
        prefix = self.config.env_prefix
        return {
            **self._stack_environment(),
            **self.stack.observability.tracing_environment(),
            **{  # the gateway's console: where traces and dashboards are
                name: value
                for name, value in self.stack.observability.console_environment().items()
                if name.startswith(prefix)
            },
            f"{prefix}HOST": "127.0.0.1",
            f"{prefix}PORT": str(self.port),
            **self.config.env,
            **self.extra_env,
        }

    def _stack_environment(self) -> dict[str, str]:
        """The stack's environment, with the URLs of the apps this one calls and no other
        (so that replicas of a service restart its callers, not every app)."""
        called = {f"SHOPFLOW_{env_name(app)}_URL" for app in self.config.calls}
        others = {f"SHOPFLOW_{env_name(app.name)}_URL" for app in self.stack.apps}
        return {
            name: value
            for name, value in self.stack.app_environment().items()
            if name in called or name not in others
        }

    @property
    def provenance_path(self) -> Path:
        return self.pid_path.with_suffix(".started-from.json")

    def provenance(self) -> Provenance:
        """What a start now would run: the workspace's code, this command and environment
        (the stack's, and the variables of the caller's that the app reads)."""
        inherited = {
            name: value
            for name, value in os.environ.items()
            if name.startswith((self.config.env_prefix, STANDARD_PREFIX))
            or name == FAILPOINTS_VARIABLE
        }
        return Provenance.of(self._workspace, self.argv(), {**inherited, **self.environment()})

    def staleness(self) -> str | None:
        """Why the running process is not what a start now would run; None if it is."""
        if self.pid() is None:
            return None
        recorded = Provenance.load(self.provenance_path)
        if recorded is None:
            return "nothing records what it was started from"
        return recorded.difference(self.provenance())

    def spawn(self) -> int:
        started_from = self.provenance()
        pid = super().spawn()
        started_from.save(self.provenance_path)
        return pid

    def stop(self) -> None:
        super().stop()
        self.provenance_path.unlink(missing_ok=True)

    async def probe(self) -> None:
        async with httpx.AsyncClient(timeout=3) as client:
            response = await client.get(f"{self.config.url}{self.config.ready_path}")
            response.raise_for_status()
