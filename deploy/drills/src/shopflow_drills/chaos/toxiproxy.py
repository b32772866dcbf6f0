"""Faults on an edge, through toxiproxy's HTTP API: latency on it, or a cut.

The proxies are named after the processes the services reach through them (`kafka`,
`postgres-order`, `redis`, `payment-provider`), in compose and in the local stack alike.
A *cut* is a `timeout` toxic of 0 both ways: connections stay open and requests go out,
but nothing comes through until it heals, as in a network partition (a refused
connection is what the kill drills show). Every toxic a drill adds is named `chaos-*`,
so healing removes exactly those.
"""

from __future__ import annotations

from typing import Any

import aiohttp

TOXIC_PREFIX = "chaos-"


class ToxiproxyError(RuntimeError):
    """Toxiproxy refused a call, or has no such proxy."""


class Toxiproxy:
    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")

    async def proxies(self) -> dict[str, Any]:
        return await self._call("GET", "/proxies")  # type: ignore[no-any-return]

    async def add_latency(self, proxy: str, milliseconds: int, jitter: int = 0) -> None:
        """Every byte from the upstream arrives `milliseconds` late (both ways for requests
        and their answers, as a slow link would delay a round trip)."""
        for stream in ("upstream", "downstream"):
            attributes = {"latency": milliseconds // 2, "jitter": jitter // 2}
            await self._add(proxy, f"latency-{stream}", "latency", stream, attributes)

    async def cut(self, proxy: str) -> None:
        for stream in ("upstream", "downstream"):
            await self._add(proxy, f"cut-{stream}", "timeout", stream, {"timeout": 0})

    async def heal(self, proxy: str) -> None:
        """Remove every toxic a drill added to the proxy."""
        toxics = await self._call("GET", f"/proxies/{proxy}/toxics")
        for toxic in toxics:
            if toxic["name"].startswith(TOXIC_PREFIX):
                await self._call("DELETE", f"/proxies/{proxy}/toxics/{toxic['name']}")

    async def _add(
        self, proxy: str, name: str, kind: str, stream: str, attributes: dict[str, int]
    ) -> None:
        toxic = {
            "name": TOXIC_PREFIX + name,
            "type": kind,
            "stream": stream,
            "toxicity": 1.0,
            "attributes": attributes,
        }
        await self._call("POST", f"/proxies/{proxy}/toxics", toxic)

    async def _call(self, method: str, path: str, body: object = None) -> Any:
        timeout = aiohttp.ClientTimeout(total=10)
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.request(method, self.url + path, json=body) as response,
        ):
            text = await response.text()
            if response.status >= 400:
                raise ToxiproxyError(f"toxiproxy {method} {path}: {response.status} {text}")
            return await response.json() if text else None
