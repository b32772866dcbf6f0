"""Waiting for quiet, on a sequence of measurements: quiet is still, not one lucky reading."""

from typing import Any

import pytest

from shopflow_drills.audit.quiet import Motion, wait_for_quiet

pytestmark = pytest.mark.unit

NO_DEPLOYMENT: Any = None  # the stand-in measurement reads nothing
AFTER_ONE_REPLY = {"inventory outbox": 1728, "group.order topics": 1721}


def quiet(**marks: int) -> Motion:
    return Motion(0, {"inventory": 0}, {"group.order": 0}, marks=marks)


def measured(motions: list[Motion]) -> tuple[Any, list[Motion]]:
    """A stand-in for `measure_motion` that gives `motions` in turn, and what it gave."""
    readings = iter(motions)
    given: list[Motion] = []

    async def measure(_deployment: object) -> Motion:
        given.append(next(readings))
        return given[-1]

    return measure, given


async def test_a_quiet_reading_with_a_message_in_the_gap_between_its_reads_is_not_quiet():
    """kill-kafka, 13:54:28: every part read zero, at different instants, while a reply
    was written and published between them; the next reading's marks have moved."""
    lucky = quiet(**{"inventory outbox": 1727, "group.order topics": 1720})
    measure, given = measured([lucky, quiet(**AFTER_ONE_REPLY), quiet(**AFTER_ONE_REPLY)])

    motion, _ = await wait_for_quiet(NO_DEPLOYMENT, within=10, interval=0, measure=measure)

    assert motion.marks == AFTER_ONE_REPLY
    assert len(given) == 3, "quiet only once two readings agree that nothing was written"


async def test_a_moving_shop_is_reported_as_it_was_last_seen_when_the_wait_runs_out():
    moving = Motion(2, {"inventory": 3}, {"group.order": 5}, marks={"inventory outbox": 9})
    measure, _ = measured([moving] * 1000)

    motion, waited = await wait_for_quiet(
        NO_DEPLOYMENT, within=0.05, interval=0.01, measure=measure
    )

    assert motion == moving
    assert not motion.quiet
    assert waited >= 0.05
