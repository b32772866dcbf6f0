"""The representative drills on the real local stack, as `make chaos drill=NAME` runs them,
shortened: load through the gateway, the fault, the heal, the audit of every invariant.

Each drill passes only with 0 violations (the auditor's, plus the drill's own: a poison
not dead-lettered once, partitions that never moved, a timeout the shop owed nobody).
"""

import asyncio
import os
from collections.abc import Iterator

import pytest

from shopflow_drills.chaos import DrillReport, Timing, catalogue, run_drill
from shopflow_drills.chaos.local import LocalDriver
from shopflow_stack.config import load
from shopflow_stack.stack import Stack

pytestmark = [pytest.mark.chaos, pytest.mark.timeout(900)]

# Short, and light on two shared cores: 48 orders, the fault 3 s in.
TIMING = Timing(rate=4.0, duration=12.0, fault_at=3.0, settle=240.0, quiet_timeout=180.0)


@pytest.fixture(scope="module")
def driver() -> Iterator[LocalDriver]:
    """The local stack, whole; afterwards as it was configured (a drill's extra replica
    stopped) and, if the tests started it, stopped."""
    config = load()
    running = {process.name for process in Stack(config).processes if process.pid()}
    yield LocalDriver(config)
    stack = Stack(config)
    config.layout.save(config.state_dir)
    for replica in stack.surplus:  # the extra replica a drill started
        replica.stop()
    asyncio.run(stack.up([p.name for p in stack.processes if p.name in running]))  # as configured
    if not os.environ.get("SHOPFLOW_KEEP_STACK"):
        stack.down([p.name for p in stack.processes if p.name not in running])


def drill(driver: LocalDriver, name: str) -> DrillReport:
    """The drill run, held to every invariant but the sixth, which it reports."""
    report = asyncio.run(run_drill(driver, catalogue()[name], TIMING))
    print(report.text())  # the figures, in the test's output (`-rA` or a failure)
    assert report.placed > 0
    assert report.lost == 0
    assert [v for v in report.violations if v.kind != "timed-out"] == [], report.text()
    assert report.recovered_after is not None, report.text()
    return report


def punishes_no_customer(report: DrillReport) -> None:
    """Invariant 6. The saga's step deadlines (3 s locally) still run while a reply waits
    in a backlog of the shop's own (issue 16, the saga stream): until that lands, an
    order cancelled for timeout after a short fault marks the test as an expected
    failure, with the count, rather than hiding it or turning `make test` red."""
    if not report.passed:
        pytest.xfail(f"invariant 6: {report.timed_out} orders cancelled for timeout")


# Found by these drills on 2026-11-30 (docs/chaos.md), intermittent, not yet fixed: each
# still runs and prints its figures; XPASS says it held this time.
KNOWN = {
    "kill-order": "a restart longer than the client's 2-minute retry budget leaves a client "
    "told 503 whose order exists (unacknowledged-order)",
    "kill-kafka": "after the broker's kill -9 an outbox row stayed unpublished (inventory's "
    "StockReleased, 13:54 UTC)",
}


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("kill-order", marks=pytest.mark.xfail(reason=KNOWN["kill-order"])),
        "kill-postgres-order",
        pytest.param("kill-kafka", marks=pytest.mark.xfail(reason=KNOWN["kill-kafka"])),
    ],
)
def test_a_crash_loses_and_doubles_nothing_and_punishes_no_customer(driver, name):
    report = drill(driver, name)

    punishes_no_customer(report)


def test_a_poison_message_on_every_topic_is_dead_lettered_once(driver):
    report = drill(driver, "poison")

    assert report.expected_dead_letters > 0  # and each exactly once: `drill` holds it to that
    punishes_no_customer(report)


def test_a_duplicate_burst_has_no_second_effect(driver):
    report = drill(driver, "duplicate-burst")

    assert any("delivered again" in note for note in report.notes)
    punishes_no_customer(report)


def test_one_of_two_order_replicas_killed_hands_its_partitions_over(driver):
    report = drill(driver, "kill-one-order")

    assert any("every partition held again" in note for note in report.notes)
    punishes_no_customer(report)  # judged whatever the restart took: the other replica served
