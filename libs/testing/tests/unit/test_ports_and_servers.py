"""A test's own servers: ports no outgoing connection can take, and a failed start that
fails one test, not the event loop every later test runs on."""

import asyncio
import socket

import pytest
import uvicorn
from fastapi import FastAPI

from shopflow_testing import ports
from shopflow_testing.ports import unused_port
from shopflow_testing.servers import serving

pytestmark = pytest.mark.unit


def test_an_unused_port_is_below_the_ephemeral_range_and_free():
    ephemeral_start = ports._ephemeral_start()

    for _ in range(20):
        port = unused_port()
        assert port < ephemeral_start
        with socket.socket() as server:
            server.bind(("127.0.0.1", port))  # nothing holds it


def test_a_port_in_use_is_never_handed_out(monkeypatch):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        held = taken.getsockname()[1]
        draws = iter([held, held, held + 1 if held + 1 < 65536 else held - 1])
        monkeypatch.setattr(ports.random, "randrange", lambda _low, _high: next(draws))

        assert unused_port() != held


async def test_a_server_that_cannot_bind_raises_an_error_and_the_loop_goes_on():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        server = uvicorn.Server(uvicorn.Config(FastAPI(), port=port, log_config=None))

        with pytest.raises(RuntimeError, match="uvicorn could not start"):
            await serving(server)

    assert await asyncio.sleep(0, result="still running") == "still running"
