"""The overload phase's figures from a record whose every answer the test wrote."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from shopflow_benchmarks.harness import SMOKE
from shopflow_benchmarks.overload import Window, overload_figures, windows
from shopflow_benchmarks.report import history_row, markdown, update_docs
from shopflow_drills.load import ClientOrder, LoadPlan, LoadRecord, Outcome
from shopflow_drills.load.record import Attempt

pytestmark = pytest.mark.unit

STARTED = datetime(2026, 11, 30, 22, 0, tzinfo=UTC)
WINDOWS = [
    Window("before", 0, 1, 4),
    Window("overload", 1, 1, 8),
    Window("after", 2, 1, 4),
    Window("later", 3, 1, 4),
]
REFUSED = {"status": 503, "problem": "overloaded", "retry_after": 2.0}


def order(
    due: float,
    answers: list[dict],
    *,
    took: float = 0.1,
    status: str = "CONFIRMED",
    reason: str | None = None,
) -> ClientOrder:
    """An order due at `due`, answered `answers` in turn ("accept" for a 202), final after
    `took` s on the order service's clock, placed when its last attempt was sent."""
    attempts = [
        Attempt(
            sent_at=due + 2 * n,
            latency=0.01,
            **({"status": 202, "order_id": f"o-{due}"} if answer == "accept" else answer),
        )
        for n, answer in enumerate(answers)
    ]
    client = ClientOrder(key=f"k-{due}", customer="alice", kind="approved", scheduled_at=due)
    client.attempts = attempts
    if client.order_id:
        placed = STARTED + timedelta(seconds=attempts[-1].sent_at)
        client.outcome = Outcome(
            status=status,
            reason=reason,
            total=1000,
            created_at=placed,
            updated_at=placed + timedelta(seconds=took),
            observed_at=10,
        )
    return client


def record() -> LoadRecord:
    orders = [order(n / 4, ["accept"]) for n in range(4)]  # before
    orders += [order(1 + n / 8, ["accept"], took=0.5) for n in range(4)]
    orders += [order(1.5 + n / 8, [REFUSED, "accept"]) for n in range(2)]  # accepted at 3.5 s
    orders += [order(1.75 + n / 8, [REFUSED, REFUSED]) for n in range(2)]  # went away
    orders += [order(2.0, ["accept"], took=2.0), order(2.25, ["accept"], took=0.1)]  # after
    orders += [order(2.5, ["accept"], took=3.0, status="CANCELLED", reason="timed_out")]
    orders += [order(2.75, [{"status": None, "error": "timeout"}])]
    orders += [order(3 + n / 4, ["accept"]) for n in range(4)]  # later
    return LoadRecord(
        gateway="http://gateway",
        started_at=STARTED,
        rate=4,
        duration=4,
        stages=[(w.rate, w.seconds) for w in WINDOWS],
        mix={"approved": 1},
        skus={"in_stock": "LOAD-1"},
        orders=orders,
    )


def test_each_window_counts_offers_refusals_per_answer_and_per_order_and_outcomes():
    figures = overload_figures(record(), WINDOWS, 4, p99_target=1.0)
    windows = figures["windows"]
    assert [windows[name]["offered"] for name in ("before", "overload", "after", "later")] == [
        4,
        8,
        4,
        4,
    ]
    over = windows["overload"]
    assert (over["attempts"], over["accepted"], over["never_accepted"]) == (12, 6, 2)
    assert (over["refused_orders"], over["refused_answers"]) == (4, 6)
    assert over["refused_then_accepted"] == 2
    assert over["answers"] == {"503 overloaded (Retry-After)": 6}
    assert over["outcomes"] == {"CONFIRMED": 6}
    assert over["placed_to_final"] == {"count": 6, "p50_ms": 500.0, "p99_ms": 500.0}
    after = windows["after"]
    assert after["answers"] == {"no answer": 1}
    assert after["refused_orders"] == 0  # no answer is no refusal at the door
    assert after["outcomes"] == {"CONFIRMED": 2, "CANCELLED (timed_out)": 1}


def test_the_criteria_throughput_timed_out_and_back_to_normal():
    figures = overload_figures(record(), WINDOWS, 4, p99_target=1.0)
    # Confirmed while the overload was offered ([1, 2) s on the order service's clock): the
    # four accepted at once (final at 1.5-1.875 s), not those accepted on their retry.
    assert figures["confirmed_per_second_in_overload"] == 4.0
    assert figures["confirmed_vs_sustainable"] == 1.0
    assert figures["accepted_then_timed_out"] == 1
    assert figures["answers_not_at_the_door"] == 1  # the one left without an answer
    # The last order refused, unanswered or slow was due 2.75 s into the run: 0.75 s after.
    assert figures["last_not_confirmed_in_time_seconds"] == 0.75
    assert figures["back_to_normal"] is True


def test_only_the_rate_limit_and_the_order_service_s_admission_refuse_at_the_door():
    told = record()
    told.orders[8].attempts[0] = Attempt(
        sent_at=1.5, latency=2.0, status=503, problem="upstream-unavailable", retry_after=10
    )
    told.orders[9].attempts[0] = Attempt(
        sent_at=1.625, latency=0.01, status=429, problem="rate-limited", retry_after=1
    )
    figures = overload_figures(told, WINDOWS, 4, p99_target=1.0)
    over = figures["windows"]["overload"]
    assert (over["refused_orders"], over["refused_answers"]) == (3, 5)
    assert over["answers"]["503 upstream-unavailable (Retry-After)"] == 1
    assert figures["answers_not_at_the_door"] == 2


def test_a_later_window_with_a_refusal_is_not_back_to_normal():
    slow = record()
    slow.orders[-1] = order(3.75, [REFUSED, REFUSED])
    figures = overload_figures(slow, WINDOWS, 4, p99_target=1.0)
    assert figures["back_to_normal"] is False
    assert figures["last_not_confirmed_in_time_seconds"] == 1.75


def test_the_report_has_the_overload_tables_and_a_history_column(tmp_path):
    figures = overload_figures(record(), WINDOWS, 4, p99_target=1.0)
    run = {
        "date": "2026-11-30 22:00 UTC",
        "commit": "abc",
        "duration_seconds": 10,
        "machine_line": "2 cores",
        "overload": {
            "sustainable_rate": 4,
            "sustainable_rate_from": "search",
            "factor": 2,
            "attempts_per_order": 2,
            "p99_target_ms": 1000,
            **figures,
            "audit": {"consistent": True, "violations": {}, "timed_out": 1},
        },
    }
    text = markdown(run)
    assert "### Overload: 2 × 4 orders/s (the search's highest) for 1 s" in text
    assert "| refused at the door (Retry-After): orders / answers | 0 / 0 | 4 / 6 |" in text
    assert "| no order accepted, then timed out | 1 (the auditor: 1 timed out" in text
    assert history_row(run).split(" | ")[4] == "100%, 1"

    docs = tmp_path / "benchmarks.md"
    older = "| 2026-11-30 09:59 UTC | `7bf` | 10/s | 1.9/s | 547 ms | 26 / 21 | 1,749/s |"
    docs.write_text(f"# B\n\n<!-- bench:history -->\n{older}\n<!-- /bench:history -->\n")
    update_docs(docs, run)
    rows = [line for line in docs.read_text().splitlines() if line.startswith("| 2026")]
    assert (
        rows[0]
        == "| 2026-11-30 09:59 UTC | `7bf` | 10/s | 1.9/s | – | 547 ms | 26 / 21 | 1,749/s |"
    )
    assert all(row.count(" | ") == 7 for row in rows)


def test_the_windows_are_the_plan_s_stages_and_hold_each_stage_s_orders():
    sizes = replace(
        SMOKE, overload_baseline_seconds=0.3, overload_seconds=0.7, overload_recovery_seconds=2.1
    )
    found = windows(10, sizes)
    assert [(w.name, w.rate) for w in found] == [
        ("before", 10),
        ("overload", 20),
        ("after", 10),
        ("later", 10),
    ]
    plan = LoadPlan(
        "http://gateway", rate=10, duration=0.3, then=tuple((w.rate, w.seconds) for w in found[1:])
    )
    due = plan.schedule()
    held = [sum(1 for d in due if w.start <= d < w.end) for w in found]
    assert held == [round(w.rate * w.seconds) for w in found] == [3, 14, 10, 11]
    assert windows(10, replace(sizes, overload_baseline_seconds=0))[0].name == "overload"
