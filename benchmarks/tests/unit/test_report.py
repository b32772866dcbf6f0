"""The report: every section rendered from figures, and docs/benchmarks.md updated in place."""

import pytest

from shopflow_benchmarks.report import HISTORY, LATEST, markdown, update_docs

pytestmark = pytest.mark.unit

CUTS = {"count": 3, "p50": 0.1, "p95": 0.2, "p99": 0.3, "max": 0.4}
WRK = {"requests_per_second": 100.0, "p50_ms": 1.0, "p99_ms": 2.0, "requests": 500, "errors": 0}
RUN = {
    "date": "2026-11-30 10:00 UTC",
    "commit": "abc",
    "duration_seconds": 300.0,
    "machine_line": "2 cores",
    "saga": {
        "summary": {
            "rate": 10,
            "duration": 60,
            "offered": 600,
            "accepted": 600,
            "never_accepted": 0,
            "confirmed_per_second": 9.5,
            "outcomes": {"CONFIRMED": 600},
            "refusals": {"503": 2},
            "final_within_run": 0.99,
            "placed_to_confirmed": CUTS,
            "accepted_after": CUTS,
        },
        "quiet_after_seconds": 1.5,
        "audit": {"consistent": False, "violations": {"lost-order": 1}, "timed_out": 0},
        "machine_busy_share": 0.8,
        "others_cpu_seconds": 3.0,
        "cpu_ms_per_order": {"order": 55.0, "load generator (bench)": 9.0},
        "stack_cpu_ms_per_order": 55.0,
        "machine_cpu_ms_per_order": 70.0,
        "peak_pss_mb": {"order": 100.0},
    },
    "search": {
        "p99_target_ms": 1000,
        "step_seconds": 20,
        "highest_rate": 10,
        "steps": [
            {
                "rate": 5,
                "offered": 100,
                "accepted": 100,
                "confirmed": 100,
                "p99_ms": 300.0,
                "passed": True,
            },
            {
                "rate": 10,
                "offered": 200,
                "accepted": 200,
                "confirmed": 200,
                "p99_ms": 900.0,
                "passed": True,
            },
        ],
    },
    "reads": {
        "seconds": 5,
        "bare_app": {"connections": 16, **WRK},
        "order_healthz": {"connections": 16, **WRK},
        "get_order": [
            {
                "connections": 4,
                "direct": {**WRK, "cpu_ms_per_request": {"order": 2.0, "postgres-order": 0.25}},
                "gateway": WRK,  # a run from before CPU was measured
                "gateway_share": 1.0,
            }
        ],
    },
    "relay": {
        "partitions": 3,
        "backlog": 1000,
        "drain_per_second": {"1 relay": 5000.0, "2 relays": 6000.0},
        "commit_to_published": {
            "listen_notify": {
                "rate": 200,
                "seconds": 10,
                "achieved_rate": 199.0,
                "p50_ms": 5.0,
                "p99_ms": 9.0,
            }
        },
        "poll_interval_seconds": 1.0,
    },
    "ceilings": {
        "postgres": {
            "server": "postgres-order",
            "clients": 8,
            "commits_per_second": 900.0,
            "synchronous_commit": "on",
            "fsync": "on",
        },
        "kafka": {
            "round_trips": 10,
            "round_trip_p50_ms": 1.0,
            "round_trip_p99_ms": 2.0,
            "batched_produce_per_second": 9000.0,
        },
    },
    "memory_at_rest_mb": {"order": 90.0},
    "tracing": {
        "sku": "MUG-001",
        "seconds": 10,
        "connections": 16,
        "rounds": 2,
        "order_rate": 5.0,
        "order_seconds": 20.0,
        "modes": {
            mode: {
                "requests_per_second": rate,
                "p99_ms": 9.0,
                "cpu_ms_per_request": 1.5,
                "system_ms_per_request": 0.25,
                "orders": 100,
                "cpu_ms_per_order": per_order,
                "backend_cpu_ms_per_order": 1.0,
            }
            for mode, rate, per_order in (
                ("off", 200.0, 40.0),
                ("default", 190.0, 42.0),
                ("full", 150.0, 50.0),
            )
        },
        "vs_off": {"off": 1.0, "default": 0.95, "full": 0.75},
        "capacity_vs_off": {
            "reads": {"off": 1.0, "default": 0.96, "full": 0.8},
            "orders": {"off": 1.0, "default": 0.952, "full": 0.8},
        },
        "capacity_spread": {
            "reads": {"off": [1.0, 1.0], "default": [0.91, 0.99], "full": [0.7, 0.85]},
            "orders": {"off": [1.0, 1.0], "default": [0.952, 0.952], "full": [0.8, 0.8]},
        },
    },
    "notes": ["a note"],
}


def test_every_section_is_rendered():
    text = markdown(RUN)
    for heading in (
        "The saga, sustained: 10 orders/s for 60 s",
        "CPU per order",
        "Highest rate with placed → CONFIRMED p99 ≤ 1000 ms: 10 orders/s",
        "One read",
        "Outbox relay",
        "Ceilings",
        "Memory",
        "Tracing cost",
        "- a note",
    ):
        assert heading in text
    default = "| default (10 %) | 190 | 0.95 | 9.0 | 1.50 (system 0.25) | 0.96 (0.91–0.99) |"
    assert f"{default} 42.0 | 0.95 |" in text
    assert "| 4 | 100 | 1.0 | 2.0 | 0 | order 2.00 + postgres-order 0.25 |" in text
    assert "of direct | 4 | 100 | 1.0 | 2.0 | 0 | – |" in text
    assert "order service clock) | 100 / 200 / 300 / 400 |" in text
    assert "| outcomes of the accepted orders | CONFIRMED 600 |" in text
    assert "retries included) | 503: 2 |" in text
    assert "| the auditor afterwards, with the run's record | lost-order 1 |" in text


def test_the_docs_keep_their_prose_replace_the_latest_run_and_grow_the_history(tmp_path):
    docs = tmp_path / "benchmarks.md"
    markers = f"{LATEST[0]}\nold\n{LATEST[1]}\n\n{HISTORY[0]}\n{HISTORY[1]}"
    docs.write_text(f"# Benchmarks\n\nProse.\n\n{markers}\n\nMore prose.\n")

    update_docs(docs, RUN)
    update_docs(docs, RUN | {"date": "2026-12-01 10:00 UTC"})

    text = docs.read_text()
    assert text.startswith("# Benchmarks\n\nProse.")
    assert text.rstrip().endswith("More prose.")
    assert "old" not in text
    assert text.count("### The saga, sustained") == 1
    history = [line for line in text.splitlines() if line.startswith("| 2026-")]
    assert [line.split(" | ")[0] for line in history] == [
        "| 2026-11-30 10:00 UTC",
        "| 2026-12-01 10:00 UTC",
    ]
