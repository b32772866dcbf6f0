"""`make chaos` / `python -m shopflow_drills.chaos`: run drills, print each verdict and a table.

Every drill by default, or `--drill kill-kafka,poison`; `--list` names them all. The
local stack by default (`make up`; drills start what they need), or `--driver compose`
(the compose stack with `overlays=expose`) or `--driver kubernetes` (a kind or minikube
cluster, port-forwarded: docs/chaos.md). Reports, and each drill's load record, are
written under the stack's state folder, chaos/<time>/. Exit status: 0 every drill passed, 1 some
failed, 2 none could run.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from datetime import UTC, datetime
from pathlib import Path

import uvloop

from shopflow_drills.chaos.catalogue import Drill, catalogue
from shopflow_drills.chaos.driver import Driver, UnsupportedError
from shopflow_drills.chaos.report import DrillReport
from shopflow_drills.chaos.runner import Timing, run_drill
from shopflow_stack.config import load


def make_driver(name: str) -> Driver:
    if name == "local":
        from shopflow_drills.chaos.local import LocalDriver

        return LocalDriver()
    if name == "compose":
        from shopflow_drills.chaos.compose import ComposeDriver

        return ComposeDriver()
    from shopflow_drills.chaos.kubernetes import KubernetesDriver

    return KubernetesDriver.from_environment()


def main(argv: list[str] | None = None) -> int:
    drills = catalogue()
    parser = argparse.ArgumentParser(prog="python -m shopflow_drills.chaos", description=__doc__)
    parser.add_argument("--drill", help="comma-separated names (default: every drill)")
    parser.add_argument("--list", action="store_true", help="name every drill and what it shows")
    parser.add_argument("--driver", choices=("local", "compose", "kubernetes"), default="local")
    defaults = Timing()
    parser.add_argument("--rate", type=float, default=defaults.rate, help="orders a second")
    parser.add_argument("--duration", type=float, default=defaults.duration, help="of arrivals")
    parser.add_argument("--fault-at", type=float, default=defaults.fault_at)
    parser.add_argument("--hold", type=float, help="seconds the fault lasts (default: the drill's)")
    parser.add_argument("--out", type=Path, help="default <the stack's state>/chaos/<time>")
    args = parser.parse_args(argv)
    if args.list:
        for drill in drills.values():
            print(f"{drill.name:<32} {drill.shows}")
        return 0
    names = args.drill.split(",") if args.drill else list(drills)
    if unknown := [name for name in names if name not in drills]:
        parser.error(f"no drill {', '.join(unknown)}; `--list` names them")
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)  # a broker down is the point
    timing = Timing(args.rate, args.duration, args.fault_at, args.hold)
    # In the stack's state folder (wherever SHOPFLOW_STATE_DIR puts it): `make clean` goes
    # with the databases they describe.
    out = args.out or load().state_dir / "chaos" / f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}"
    out.mkdir(parents=True, exist_ok=True)
    return uvloop.run(_run(make_driver(args.driver), [drills[n] for n in names], timing, out))


async def _run(driver: Driver, drills: list[Drill], timing: Timing, out: Path) -> int:
    reports: list[DrillReport] = []
    skipped: dict[str, str] = {}
    for drill in drills:
        print(f"--- {drill.name}: {drill.shows}", flush=True)
        try:
            report = await run_drill(driver, drill, timing)
        except UnsupportedError as why:
            skipped[drill.name] = str(why)
            print(f"  not run on {driver.name}: {why}", flush=True)
            continue
        reports.append(report)
        print(report.text(), flush=True)
        (out / f"{drill.name}.json").write_text(json.dumps(report.as_json(), indent=1, default=str))
        if report.record is not None:
            report.record.save(out / f"{drill.name}.load.json")
    print(summary_table(reports, skipped))
    print(f"reports: {out}")
    if not reports:
        return 2
    return 0 if all(report.passed for report in reports) else 1


def summary_table(reports: list[DrillReport], skipped: dict[str, str]) -> str:
    header = ("drill", "placed", "confirmed", "cancelled", "refused", "timed out", "outage",
              "recovered", "violations", "")  # fmt: skip
    rows = [
        (
            r.drill,
            str(r.placed),
            str(r.confirmed),
            str(sum(n for k, n in r.outcomes.items() if k.startswith("CANCELLED"))),
            str(r.refused),
            str(r.timed_out),
            f"{r.timeline.outage:.1f} s" if r.timeline.outage is not None else "-",
            f"{r.recovered_after:.1f} s" if r.recovered_after is not None else "never",
            str(len(r.violations)),
            "PASS" if r.passed else "FAIL",
        )
        for r in reports
    ]
    rows += [(name, *("-",) * 8, "not run") for name in skipped]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    )


if __name__ == "__main__":
    sys.exit(main())
