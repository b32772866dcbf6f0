"""A small open-loop run of every kind of order through the real gateway, then the auditor
on the whole shop and on what the run's clients were told: nothing lost, doubled or held."""

import pytest

from shopflow_drills.audit import audit
from shopflow_drills.deployment import Deployment
from shopflow_drills.load import LoadPlan, run_load, summarise

pytestmark = pytest.mark.e2e


async def test_a_load_run_leaves_a_shop_the_auditor_finds_consistent(shop, tmp_path):
    gateway = f"http://127.0.0.1:{shop.get('gateway').port}"
    mix = {"approved": 1, "declined": 1, "out_of_stock": 1, "cancelled": 1}
    plan = LoadPlan(gateway, rate=8, duration=3, mix=mix, seed=16, settle_seconds=120)

    record = await run_load(plan)
    record.save(tmp_path / "run.json")

    summary = summarise(record)
    assert summary.accepted == summary.offered == 24, summary.text()
    assert all(o.outcome and o.outcome.final for o in record.orders), summary.text()
    assert summary.outcomes["CANCELLED (out_of_stock)"] == sum(
        1 for o in record.orders if o.kind == "out_of_stock"
    )
    assert summary.outcomes["CANCELLED (payment_declined)"] == sum(
        1 for o in record.orders if o.kind == "declined"
    )
    assert summary.placed_to_final.count == 24

    deployment = Deployment.from_environment(shop.config.environment())
    report = await audit(deployment, records=[("run", record)], quiet_timeout=120)
    assert report.consistent, report.text()
    assert sum(report.outcomes.values()) == 24  # the run's own, from its start
    assert report.records[0].accepted == 24
