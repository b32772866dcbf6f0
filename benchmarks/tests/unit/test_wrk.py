"""wrk's --latency report read as figures, errors included."""

import pytest

from shopflow_benchmarks.wrk import parse

pytestmark = pytest.mark.unit

REPORT = """Running 2s test @ http://127.0.0.1:21001/healthz
  1 threads and 4 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     7.12ms    3.76ms  23.15ms   70.74%
    Req/Sec   573.15    101.40   707.00     65.00%
  Latency Distribution
     50%  680.00us
     75%    9.28ms
     90%   11.92ms
     99%    1.08s
  1150 requests in 2.02s, 211.30KB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec:    569.38
Transfer/sec:    104.62KB
"""


def test_a_report_is_read_with_its_units_and_errors():
    result = parse(REPORT)
    assert result.requests_per_second == 569.38
    assert (result.p50_ms, result.p99_ms) == (0.68, 1080.0)
    assert (result.requests, result.errors) == (1150, 7)


def test_anything_else_is_refused():
    with pytest.raises(ValueError, match="not a wrk report"):
        parse("wrk: connection refused")
