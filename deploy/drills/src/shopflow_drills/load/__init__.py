"""The load generator: open-loop orders through the gateway, and what every client was told.

    record = await run_load(LoadPlan(gateway_url, rate=20, duration=30))
    print(summarise(record).text())
    record.save(path)  # the auditor's --record

`python -m shopflow_drills.load --rate 20 --duration 30` (`make load`) does the same.
"""

from shopflow_drills.load.generator import (
    DEFAULT_MIX,
    LoadPlan,
    place_orders,
    read_outcomes,
    run_load,
)
from shopflow_drills.load.record import ClientOrder, LoadRecord, Outcome
from shopflow_drills.load.shop import RetryPolicy
from shopflow_drills.load.summary import LoadSummary, Percentiles, summarise

__all__ = [
    "DEFAULT_MIX",
    "ClientOrder",
    "LoadPlan",
    "LoadRecord",
    "LoadSummary",
    "Outcome",
    "Percentiles",
    "RetryPolicy",
    "place_orders",
    "read_outcomes",
    "run_load",
    "summarise",
]
