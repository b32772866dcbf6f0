"""A bench stopped by SIGTERM stops the servers it started, as a bench that ends does."""

import asyncio
import os
import signal
import sys

import pytest

from shopflow_benchmarks.harness import free_port

pytestmark = pytest.mark.integration

# A bench as `python -m shopflow_benchmarks` runs one: a server of its own, then a long wait.
BENCH = """
import asyncio, sys
from pathlib import Path
import uvloop
from shopflow_benchmarks.harness import server_process, until_terminated

async def bench(port: str, log: str) -> None:
    argv = [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", port]
    async with server_process(argv, f"http://127.0.0.1:{port}/", Path(log)) as server:
        print(server.pid, flush=True)
        await asyncio.Event().wait()

uvloop.run(until_terminated(bench(sys.argv[1], sys.argv[2])))
"""


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


async def test_a_bench_sent_sigterm_stops_its_servers_and_exits_143(tmp_path):
    bench = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        BENCH,
        str(free_port()),
        str(tmp_path / "server.log"),
        stdout=asyncio.subprocess.PIPE,
    )
    server = None
    try:
        async with asyncio.timeout(120):
            server = int(await bench.stdout.readline())
        assert alive(server)

        bench.send_signal(signal.SIGTERM)
        async with asyncio.timeout(30):
            code = await bench.wait()

        assert not alive(server), "the bench's server outlived it"
        assert code == 128 + signal.SIGTERM
    finally:
        for pid in (bench.pid, server):
            if pid is not None and alive(pid):
                os.kill(pid, signal.SIGKILL)
