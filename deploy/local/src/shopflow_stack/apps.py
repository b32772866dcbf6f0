"""An application process of the stack (a service, the gateway), declared in stack.toml."""

from __future__ import annotations

import os
import subprocess

import httpx

from shopflow_stack.config import AppConfig, StackConfig
from shopflow_stack.process import LocalProcess, StackError


class AppProcess(LocalProcess):
    kind = "app"

    def __init__(self, config: AppConfig, stack: StackConfig) -> None:
        super().__init__(config.name, config.port, stack)
        self.config = config

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
            **self.stack.environment(),
            f"{prefix}HOST": "127.0.0.1",
            f"{prefix}PORT": str(self.port),
            **self.config.env,
        }

    async def probe(self) -> None:
        async with httpx.AsyncClient(timeout=3) as client:
            response = await client.get(f"{self.config.url}{self.config.ready_path}")
            response.raise_for_status()
