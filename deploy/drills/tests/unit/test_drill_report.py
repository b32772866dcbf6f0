"""A drill's verdict from what its clients saw and what the auditor found: the poison it
sent is expected exactly once, and timeouts are the shop's fault only after a short outage."""

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from shopflow_drills.audit import AuditReport, Violation
from shopflow_drills.audit.quiet import Motion
from shopflow_drills.chaos import Timing, catalogue
from shopflow_drills.chaos.faults import Crash, ProviderFault
from shopflow_drills.chaos.report import DrillReport, Timeline
from shopflow_drills.load.record import Attempt, ClientOrder, LoadRecord, Outcome

pytestmark = pytest.mark.unit

START = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def order(n: int, sent_at: float, status: str, reason: str | None, final_at: float) -> ClientOrder:
    final = START + timedelta(seconds=final_at)
    return ClientOrder(
        key=f"key-{n}",
        customer="alice",
        kind="approved",
        scheduled_at=sent_at,
        attempts=[Attempt(sent_at=sent_at, latency=0.1, status=202, order_id=f"order-{n}")],
        outcome=Outcome(
            status=status,
            reason=reason,
            total=1000,
            created_at=START,
            updated_at=final,
            observed_at=final_at,
        ),
    )


def record(*orders: ClientOrder) -> LoadRecord:
    return LoadRecord(
        gateway="http://gateway",
        started_at=START,
        rate=1,
        duration=10,
        mix={},
        skus={},
        orders=list(orders),
    )


def audited(*violations: Violation) -> AuditReport:
    return AuditReport(
        at=START,
        motion=Motion(sagas_in_flight=0, unpublished={}, lag={}),
        waited=0.0,
        since=START,
        outcomes=Counter(),
        orders_total=0,
        products=0,
        dead_letters_before=0,
        violations=list(violations),
    )


def verdict(fault, the_record, audit, *, healed_at: float, expected=()) -> DrillReport:
    return DrillReport.of(
        drill=catalogue()["kill-kafka"],
        fault=fault,
        driver="local",
        timing=Timing(),
        timeline=Timeline(fault_at=2.0, injected=2.0, healed=healed_at),
        record=the_record,
        audit=audit,
        notes=[],
        expected_dead_letters=set(expected),
        problems=[],
    )


def test_orders_cancelled_for_timeout_after_a_short_outage_of_ours_fail_the_drill():
    orders = record(
        order(1, 1.0, "CONFIRMED", None, 20.0), order(2, 3.0, "CANCELLED", "timed_out", 9.0)
    )

    report = verdict(Crash("kafka"), orders, audited(), healed_at=12.0)

    assert not report.passed
    assert [v.kind for v in report.violations] == ["timed-out"]
    assert report.recovered_after == pytest.approx(8.0)  # the last order placed before the heal


def test_after_a_long_outage_timeouts_are_counted_and_the_verdict_says_it_did_not_judge():
    orders = record(order(1, 3.0, "CANCELLED", "timed_out", 50.0))

    report = verdict(Crash("kafka"), orders, audited(), healed_at=40.0)

    assert report.passed
    assert report.timed_out == 1
    assert any("invariant 6 not judged" in note for note in report.notes)


def test_a_third_partys_outage_may_end_in_timeouts():
    orders = record(order(1, 3.0, "CANCELLED", "timed_out", 9.0))

    report = verdict(ProviderFault("outage", {"outage": True}), orders, audited(), healed_at=12.0)

    assert report.passed


def test_each_poison_must_be_dead_lettered_exactly_once_and_other_dead_letters_still_count():
    dead = [
        Violation("5", "dead-letter", "poison 1", ("chaos-poison-a-0",)),
        Violation("5", "dead-letter", "poison 2", ("chaos-poison-a-1",)),
        Violation("5", "dead-letter", "poison 2 again", ("chaos-poison-a-1",)),
        Violation("5", "dead-letter", "a real message", ("order-7",)),
    ]
    expected = {"chaos-poison-a-0", "chaos-poison-a-1", "chaos-poison-a-2"}

    report = verdict(Crash("kafka"), record(), audited(*dead), healed_at=3.0, expected=expected)

    kinds = Counter(v.kind for v in report.violations)
    assert kinds == {"poison-not-dead-lettered-once": 2, "dead-letter": 1}
    assert report.expected_dead_letters == 3


def test_an_order_placed_before_the_heal_and_never_final_means_never_recovered():
    stuck = order(1, 1.0, "PENDING", None, 5.0)

    report = verdict(Crash("order"), record(stuck), audited(), healed_at=3.0)

    assert report.recovered_after is None


def test_every_drill_has_a_unique_name_and_says_what_it_shows():
    drills = catalogue()

    assert {"kill-order", "kill-kafka", "kill-postgres-order", "kill-one-order"} <= set(drills)
    assert {"poison", "duplicate-burst", "edge-cut-kafka", "provider-outage"} <= set(drills)
    assert all(drill.shows for drill in drills.values())


def test_one_replica_killed_is_no_outage_however_long_its_restart():
    orders = record(order(1, 3.0, "CANCELLED", "timed_out", 50.0))

    report = verdict(Crash("order", one=True), orders, audited(), healed_at=70.0)

    assert [v.kind for v in report.violations] == ["timed-out"]
