"""Loopback ports for what a test serves (or leaves closed), never from the ephemeral range.

`bind(("127.0.0.1", 0))` gets a port from the kernel's ephemeral range
(/proc/sys/net/ipv4/ip_local_port_range, 32768-60999 on Linux): the range every outgoing
connection takes its local port from, and Docker its published ports (`-p 127.0.0.1::5432`).
Such a port is free when probed and may be taken before the server binds it: CI saw an
in-process service of the gateway's tests fail to bind while testcontainers published the
integration servers' ports, and one failure became 157. A port below the range is taken
only by a server binding it on purpose; `unused_port` draws one at random there and
checks that nothing holds it.
"""

from __future__ import annotations

import random
import socket
from pathlib import Path

_RANGE_FILE = Path("/proc/sys/net/ipv4/ip_local_port_range")
_LOWEST = 20_000  # above the well-known servers' ports and the stack's at small offsets
_ATTEMPTS = 200


def unused_port() -> int:
    """A loopback TCP port nothing listens on, outside the ephemeral range."""
    below = _ephemeral_start()
    lowest = min(_LOWEST, below // 2)
    for _ in range(_ATTEMPTS):
        port = random.randrange(lowest, below)
        if _bindable(port):
            return port
    raise RuntimeError(f"no unused loopback port in {lowest}-{below - 1} after {_ATTEMPTS} tries")


def _ephemeral_start() -> int:
    try:
        return int(_RANGE_FILE.read_text().split()[0])
    except (OSError, ValueError, IndexError):  # not Linux: IANA's dynamic range
        return 49_152


def _bindable(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True
