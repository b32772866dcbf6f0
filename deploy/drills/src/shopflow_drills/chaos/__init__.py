"""Chaos drills: break the shop under load, let it heal, prove nothing was lost or doubled.

    report = await run_drill(LocalDriver(), catalogue()["kill-kafka"], Timing())
    assert report.passed, report.text()

`python -m shopflow_drills.chaos` (`make chaos drill=NAME`) runs them from the command
line; docs/chaos.md lists every drill, what it shows and the figures of the last run.
"""

from shopflow_drills.chaos.catalogue import Drill, catalogue
from shopflow_drills.chaos.driver import Driver, Needs, UnsupportedError
from shopflow_drills.chaos.report import DrillReport
from shopflow_drills.chaos.runner import Timing, run_drill

__all__ = [
    "Drill",
    "DrillReport",
    "Driver",
    "Needs",
    "Timing",
    "UnsupportedError",
    "catalogue",
    "run_drill",
]
