"""`make audit` / `python -m shopflow_drills.audit`: check the invariants, print the verdict.

Exit status: 0 consistent, 1 violations found, 2 the shop could not be audited.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from datetime import datetime
from pathlib import Path

import asyncpg

from shopflow_drills.audit import audit
from shopflow_drills.deployment import Deployment, DeploymentNotFoundError
from shopflow_drills.load.record import LoadRecord


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m shopflow_drills.audit", description=__doc__)
    parser.add_argument(
        "--quiet-timeout", type=float, default=60.0, help="seconds to wait for quiet (60)"
    )
    parser.add_argument(
        "--since",
        type=_moment,
        help="ISO time: count outcomes and dead letters from then (default: the records' start)",
    )
    parser.add_argument(
        "--record", type=Path, action="append", default=[], help="a load run's JSON record"
    )
    parser.add_argument(
        "--timed-out-fails", action="store_true", help="an order cancelled for timeout fails"
    )
    parser.add_argument("--json", type=Path, help="also write the report here, as JSON")
    args = parser.parse_args(argv)
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)  # a broker down is reported below
    try:
        deployment = Deployment.from_environment(os.environ)
        records = [(str(path), LoadRecord.load(path)) for path in args.record]
        report = asyncio.run(
            audit(
                deployment,
                quiet_timeout=args.quiet_timeout,
                since=args.since,
                records=records,
                timed_out_fails=args.timed_out_fails,
            )
        )
    except (DeploymentNotFoundError, OSError, asyncpg.PostgresError) as error:
        print(f"cannot audit: {error}", file=sys.stderr)
        return 2
    print(report.text())
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report.as_json(), indent=1, default=str))
    return 0 if report.consistent else 1


def _moment(text: str) -> datetime:
    """An ISO time; without a zone it is this machine's local time."""
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.astimezone()


if __name__ == "__main__":
    sys.exit(main())
