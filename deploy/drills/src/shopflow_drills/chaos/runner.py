"""One drill: load → fault → hold → heal → wait → audit → report.

The load is the open-loop generator of `shopflow_drills.load`, through the gateway as any
customer comes, retrying with the same Idempotency-Key after a refusal. Its second 0 is
the drill's clock: the fault is injected `fault_at` seconds in, held `hold` seconds (a
fault that is done once injected, a poison or a rewind, is not held), then healed; the
arrivals go on through all of it. Then the drill waits for every accepted order to be
final, waits for quiet and audits the whole shop against what its clients were told.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from contextlib import suppress
from dataclasses import dataclass, replace

from shopflow_drills.audit import audit
from shopflow_drills.audit.quiet import wait_for_quiet
from shopflow_drills.chaos.catalogue import Drill
from shopflow_drills.chaos.driver import Driver
from shopflow_drills.chaos.faults import FaultContext, FaultNotShownError
from shopflow_drills.chaos.report import DrillReport, Timeline
from shopflow_drills.load import LoadPlan, LoadRecord, RetryPolicy, place_orders, read_outcomes

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Timing:
    """How a drill's load and fault are laid out in time (seconds)."""

    rate: float = 5.0  # orders a second
    duration: float = 30.0  # of arrivals
    fault_at: float = 5.0  # into the arrivals
    hold: float | None = None  # how long the fault lasts before it is healed; None: the drill's
    settle: float = 240.0  # at most, after the arrivals, for every accepted order to be final
    quiet_timeout: float = 180.0  # at most, for the auditor's quiet
    seed: int = 16


async def run_drill(driver: Driver, drill: Drill, timing: Timing) -> DrillReport:
    fault = drill.fault()
    hold = drill.hold if timing.hold is None else timing.hold
    await driver.prepare(fault.needs)
    deployment = driver.deployment()
    if deployment.gateway_url is None:
        raise RuntimeError(f"the {driver.name} deployment names no gateway")
    # Quiet first: the backlog of an earlier drill is not this one's to recover from.
    await wait_for_quiet(deployment, timing.quiet_timeout)
    plan = LoadPlan(
        deployment.gateway_url,
        rate=timing.rate,
        duration=timing.duration,
        settle_seconds=0,
        seed=timing.seed,
        # A customer who keeps trying for two minutes: long enough to outlast any fault held.
        retry=RetryPolicy(attempts=20, budget_seconds=120),
    )
    started: asyncio.Future[LoadRecord] = asyncio.get_running_loop().create_future()
    load = asyncio.create_task(place_orders(plan, on_start=started.set_result))
    await asyncio.wait([started, load], return_when=asyncio.FIRST_COMPLETED)
    if not started.done():
        await load  # it failed before its second 0: raises why
    origin = time.monotonic()
    context = FaultContext(driver, deployment, uuid.uuid4().hex[:8], started.result().started_at)
    timeline = Timeline(fault_at=timing.fault_at)
    problems: list[str] = []

    def now() -> float:
        return time.monotonic() - origin

    injected = healed = False
    try:
        await asyncio.sleep(max(0.0, timing.fault_at - now()))
        timeline.injected = now()
        injected = True
        await fault.inject(context)
        timeline.inject_done = now()
        if fault.holds:
            await asyncio.sleep(max(0.0, timeline.injected + hold - now()))
            timeline.heal_began = now()
            await fault.heal(context)
        healed = True
        timeline.healed = now()
    except FaultNotShownError as why:
        problems.append(str(why))
        healed = True  # a fault's heal always restores what it broke, then says what it missed
        timeline.healed = now()
    finally:
        if injected and not healed:  # the drill itself failed: leave the shop whole
            with suppress(Exception):
                await fault.heal(context)
        if not healed:
            load.cancel()
            with suppress(asyncio.CancelledError):
                await load
    record = await load
    await read_outcomes(plan, record, timing.settle)
    verdict = await audit(
        deployment,
        quiet_timeout=timing.quiet_timeout,
        since=record.started_at,
        records=[(drill.name, record)],
    )
    return DrillReport.of(
        drill=drill,
        fault=fault,
        driver=driver.name,
        timing=replace(timing, hold=hold if fault.holds else 0.0),
        timeline=timeline,
        record=record,
        audit=verdict,
        notes=context.notes,
        expected_dead_letters=context.expected_dead_letters,
        problems=problems,
    )
