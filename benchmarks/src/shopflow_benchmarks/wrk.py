"""Plain HTTP reads measured with wrk (Debian's package, installed on first use).

wrk is closed-loop: each connection sends its next request when the last is answered,
which is what "how many reads a second can this answer" asks. (The saga's latency is
measured open-loop by the load generator instead.)
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass

from shopflow_stack.install import ensure_command

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}


@dataclass(frozen=True)
class WrkResult:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int  # socket errors plus non-2xx/3xx answers: a figure with errors is not one


def wrk(
    url: str, *, connections: int, seconds: float, headers: Mapping[str, str] | None = None
) -> WrkResult:
    argv = [ensure_command("wrk", "wrk"), "-t1", f"-c{connections}", f"-d{seconds:g}s"]
    argv += ["--latency", "--timeout", "10s"]
    for name, value in (headers or {}).items():
        argv += ["-H", f"{name}: {value}"]
    result = subprocess.run([*argv, url], capture_output=True, text=True, check=True)
    return parse(result.stdout)


def parse(output: str) -> WrkResult:
    """wrk's --latency report as figures."""
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    total = re.search(r"(\d+) requests in", output)
    if not rate or not total:
        raise ValueError(f"not a wrk report:\n{output}")
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", output))
    if non_2xx := re.search(r"Non-2xx or 3xx responses: (\d+)", output):
        errors += int(non_2xx.group(1))
    return WrkResult(
        requests_per_second=float(rate.group(1)),
        p50_ms=_percentile(output, "50%"),
        p99_ms=_percentile(output, "99%"),
        requests=int(total.group(1)),
        errors=errors,
    )


def _percentile(output: str, label: str) -> float:
    match = re.search(rf"^\s*{re.escape(label)}\s+([\d.]+)(us|ms|s|m)\b", output, re.MULTILINE)
    if not match:
        raise ValueError(f"no {label} latency in wrk's report:\n{output}")
    return float(match.group(1)) * _UNITS[match.group(2)]
