"""Toxiproxy in the local stack, as compose runs it: between the apps and Kafka, their
databases, Redis and the provider simulator, so a chaos drill can cut an edge or slow it.

It runs only when the apps are routed through it (SHOPFLOW_TOXIPROXY=1): every byte through
a proxy is one more copy and one more hop, which the default stack does without. Its
proxies are written to a file it loads at start, named after the processes they lead to.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from shopflow_stack.config import StackConfig
from shopflow_stack.process import LocalProcess
from shopflow_stack.tools import ensure_tool


class ToxiproxyServer(LocalProcess):
    kind = "proxy"

    def __init__(self, stack: StackConfig) -> None:
        super().__init__("toxiproxy", stack.toxiproxy.api_port, stack)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def config_path(self) -> Path:
        return self.stack.state_dir / "toxiproxy" / "proxies.json"

    def proxies(self) -> list[dict[str, object]]:
        return [
            {
                "name": name,
                "listen": f"127.0.0.1:{listen}",
                "upstream": f"127.0.0.1:{upstream}",
                "enabled": True,
            }
            for name, listen, upstream in self.stack.proxied_edges()
        ]

    def prepare(self) -> None:
        ensure_tool("toxiproxy")

    def argv(self) -> list[str]:
        self.config_path.parent.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(json.dumps(self.proxies(), indent=1))
        return [
            str(ensure_tool("toxiproxy")),
            "-host", "127.0.0.1",
            "-port", str(self.port),
            "-config", str(self.config_path),
        ]  # fmt: skip

    async def probe(self) -> None:
        async with httpx.AsyncClient(timeout=3) as client:
            response = await client.get(f"{self.api_url}/version")
            response.raise_for_status()

    async def after_ready(self) -> None:
        """Creates the proxies it lacks (a running one keeps its proxies and their toxics)."""
        async with httpx.AsyncClient(base_url=self.api_url, timeout=10) as client:
            existing = (await client.get("/proxies")).raise_for_status().json()
            missing = [
                proxy
                for proxy in self.proxies()
                if {k: existing.get(proxy["name"], {}).get(k) for k in proxy} != proxy
            ]
            if missing:
                (await client.post("/populate", json=missing)).raise_for_status()
