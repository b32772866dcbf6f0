"""`python -m shopflow_drills.load`: open-loop orders through the gateway at a fixed rate.

Prints what was offered, accepted, refused and how the orders ended, and writes the
record of what every client was told (for `make audit record=FILE`). The gateway is
SHOPFLOW_GATEWAY_URL (as `shopflow-stack env` prints it) unless --gateway says otherwise.
Its per-customer rate limit (GATEWAY_RATE_LIMIT, 20/s by default) refuses what is above
it: raise it for load (docs/chaos.md).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import cast

import uvloop

from shopflow_drills.load.generator import DEFAULT_MIX, LoadPlan, run_load
from shopflow_drills.load.record import KINDS, Kind
from shopflow_drills.load.shop import LoginRefusedError, RetryPolicy
from shopflow_drills.load.summary import summarise


def parse_mix(text: str) -> dict[Kind, float]:
    """`approved=70,declined=10,out_of_stock=10,cancelled=10` (weights, any scale)."""
    mix: dict[Kind, float] = {}
    for part in text.split(","):
        name, _, weight = part.partition("=")
        if name.strip() not in KINDS:
            raise argparse.ArgumentTypeError(f"unknown kind {name!r}; kinds: {', '.join(KINDS)}")
        mix[cast(Kind, name.strip())] = float(weight)
    if not any(weight > 0 for weight in mix.values()):
        raise argparse.ArgumentTypeError("the mix needs one kind with a positive weight")
    return mix


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m shopflow_drills.load", description=__doc__)
    parser.add_argument("--rate", type=float, required=True, help="orders a second")
    parser.add_argument("--duration", type=float, required=True, help="seconds of arrivals")
    default_mix = ",".join(f"{k}={v:g}" for k, v in DEFAULT_MIX.items())
    parser.add_argument("--mix", type=parse_mix, default=dict(DEFAULT_MIX), help=default_mix)
    parser.add_argument("--gateway", default=os.environ.get("SHOPFLOW_GATEWAY_URL"))
    parser.add_argument("--users", default="alice,bob", help="demo customers, taking turns")
    parser.add_argument("--settle", type=float, default=60.0, help="seconds to wait for outcomes")
    parser.add_argument("--cancel-after", type=float, default=0.05, help="seconds after the 202")
    parser.add_argument("--in-stock-sku", help="default: a product the run creates")
    parser.add_argument("--out-of-stock-sku", help="default: a product the run creates")
    parser.add_argument("--attempts", type=int, default=8, help="per order, retries included")
    parser.add_argument("--retry-budget", type=float, default=60.0, help="seconds per order")
    parser.add_argument("--seed", type=int, help="the same seed draws the same mix")
    parser.add_argument("--out", type=Path, help="the record (default .shopflow/load/<time>.json)")
    args = parser.parse_args(argv)
    if not args.gateway:
        parser.error('no gateway: pass --gateway or run `eval "$(make -s env)"` first')
    plan = LoadPlan(
        gateway_url=args.gateway,
        rate=args.rate,
        duration=args.duration,
        mix=args.mix,
        users=tuple(args.users.split(",")),
        in_stock_sku=args.in_stock_sku,
        out_of_stock_sku=args.out_of_stock_sku,
        cancel_after=args.cancel_after,
        settle_seconds=args.settle,
        retry=RetryPolicy(attempts=args.attempts, budget_seconds=args.retry_budget),
        seed=args.seed,
    )
    try:
        record = uvloop.run(run_load(plan))
    except (LoginRefusedError, RuntimeError, OSError) as error:
        print(f"load run failed to start: {error}", file=sys.stderr)
        return 2
    out = args.out or Path(".shopflow/load") / f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    summary = summarise(record)
    record.save(out)
    print(summary.text())
    print(f"record: {out}  (make audit record={out})")
    out.with_suffix(".summary.json").write_text(json.dumps(summary.as_json(), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
