"""ShopFlow's Grafana dashboards, as code: `make dashboards` writes them to dashboards/*.json.

Three dashboards, every query PromQL on the metrics the services expose (job = the
unit's name: gateway, order, inventory, payment, notification, payment-provider):
- overview: the two SLOs, requests (rate, errors, duration) per service, refusals at the
  door, upstream calls and breakers, and each process's CPU and memory;
- saga: orders placed, confirmed, cancelled by reason, and how long customers wait;
- messaging: the outbox (backlog, oldest row, publish lag, rows set aside), consumers (outcomes,
  handling time, lag) and dead letters.

A test evaluates every `expr` here against a real Prometheus fed by the running stack,
and checks the committed JSON is what this file generates.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from string import ascii_uppercase
from typing import Any

from grafana_foundation_sdk.builders.dashboard import Dashboard, DatasourceVariable, Row
from grafana_foundation_sdk.builders.prometheus import Dataquery
from grafana_foundation_sdk.builders.stat import Panel as Stat
from grafana_foundation_sdk.builders.timeseries import Panel as Timeseries
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.dashboard import DataSourceRef

OUTPUT = Path(__file__).parent / "dashboards"
DATASOURCE = DataSourceRef(type_val="prometheus", uid="${datasource}")
RATE = "$__rate_interval"  # Grafana's: at least four scrapes, whatever the zoom
APP_ROUTES = 'route!~"/healthz|/readyz|/metrics"'  # probes and scrapes are not traffic


def query(expr: str, legend: str = "") -> Dataquery:
    target = Dataquery().expr(expr).datasource(DATASOURCE)
    return target.legend_format(legend) if legend else target


def graph(title: str, unit: str, *queries: Dataquery, description: str = "") -> Timeseries:
    panel = Timeseries().title(title).unit(unit).datasource(DATASOURCE).height(8).span(12)
    for target in queries:
        panel = panel.with_target(target)
    return panel.description(description) if description else panel


def stat(title: str, unit: str, target: Dataquery, description: str) -> Stat:
    panel = Stat().title(title).unit(unit).datasource(DATASOURCE).height(5).span(6)
    return panel.with_target(target).description(description)


def dashboard(uid: str, title: str, description: str) -> Dashboard:
    return (
        Dashboard(title)
        .uid(uid)
        .description(description)
        .tags(["shopflow"])
        .refresh("30s")
        .time("now-1h", "now")
        .with_variable(DatasourceVariable("datasource").label("Prometheus").type("prometheus"))
    )


def histogram_quantile(q: float, metric: str, by: str, selector: str = "") -> str:
    return (
        f"histogram_quantile({q}, sum by ({by}, le) (rate({metric}_bucket{{{selector}}}[{RATE}])))"
    )


def overview() -> Dashboard:
    requests = f"http_requests_total{{{APP_ROUTES}}}"
    good = f'http_requests_total{{{APP_ROUTES},status!~"5.."}}'
    return (
        dashboard(
            "shopflow-overview",
            "ShopFlow / Overview",
            "The SLOs, each service's requests (rate, errors, duration), refusals at the door, "
            "upstreams and breakers, processes.",
        )
        .with_row(Row("Service level objectives"))
        .with_panel(
            stat(
                "Gateway availability (1 h)",
                "percentunit",
                query("1 - slo:gateway_availability_errors:ratio_rate1h"),
                "Share of the public API's answers that were not 5xx. Objective: 99.5 %.",
            )
        )
        .with_panel(
            stat(
                "Orders final within 5 s (1 h)",
                "percentunit",
                query("1 - slo:order_latency_errors:ratio_rate1h"),
                "Share of orders CONFIRMED or CANCELLED within 5 s. Objective: 99 %.",
            )
        )
        .with_panel(
            graph(
                "Error budget burn rate",
                "x",
                query("slo:gateway_availability_errors:ratio_rate5m / 0.005", "gateway, 5 m"),
                query("slo:gateway_availability_errors:ratio_rate1h / 0.005", "gateway, 1 h"),
                query("slo:order_latency_errors:ratio_rate5m / 0.01", "orders, 5 m"),
                query("slo:order_latency_errors:ratio_rate1h / 0.01", "orders, 1 h"),
                description="1 spends the budget exactly over the SLO period; 14.4 over an "
                "hour pages (see observability/prometheus/rules/slo.yml).",
            )
        )
        .with_row(Row("Requests"))
        .with_panel(
            graph(
                "Requests per second",
                "reqps",
                query(f"sum by (job) (rate({requests}[{RATE}]))", "{{job}}"),
            )
        )
        .with_panel(
            graph(
                "Share of 5xx answers",
                "percentunit",
                query(
                    f"1 - sum by (job) (rate({good}[{RATE}]))"
                    f" / sum by (job) (rate({requests}[{RATE}]))",
                    "{{job}}",
                ),
            )
        )
        .with_panel(
            graph(
                "Duration p99 by service",
                "s",
                query(
                    histogram_quantile(0.99, "http_request_duration_seconds", "job", APP_ROUTES),
                    "{{job}}",
                ),
            )
        )
        .with_panel(
            graph(
                "Gateway duration p99 by route",
                "s",
                query(
                    histogram_quantile(
                        0.99,
                        "http_request_duration_seconds",
                        "method, route",
                        f'job="gateway",{APP_ROUTES}',
                    ),
                    "{{method}} {{route}}",
                ),
            )
        )
        .with_row(Row("At the door"))
        .with_panel(
            graph(
                "Refused with Retry-After",
                "reqps",
                query(
                    f"sum by (job, status) (rate(http_requests_refused_total[{RATE}]))",
                    "{{job}} {{status}}",
                ),
                description="429: too many requests from one client; 503: the shop cannot "
                "finish in time (a dependency is away) and says when to come back.",
            )
        )
        .with_panel(
            graph(
                "Gateway rate limiting",
                "reqps",
                query(f"sum(rate(gateway_rate_limited_total[{RATE}]))", "refused (429)"),
                query(
                    f"sum by (feature) (rate(gateway_redis_fail_open_total[{RATE}]))",
                    "served without Redis: {{feature}}",
                ),
            )
        )
        .with_row(Row("Upstreams"))
        .with_panel(
            graph(
                "Upstream calls by outcome",
                "reqps",
                query(
                    f"sum by (job, upstream, outcome) (rate(upstream_requests_total[{RATE}]))",
                    "{{job}} → {{upstream}}: {{outcome}}",
                ),
            )
        )
        .with_panel(
            graph(
                "Breakers open, retries",
                "short",
                query(
                    'max by (job, upstream) (upstream_breaker_state{state="open"})',
                    "open: {{job}} → {{upstream}}",
                ),
                query(
                    f"sum by (job, upstream) (rate(upstream_retries_total[{RATE}]))",
                    "retries/s: {{job}} → {{upstream}}",
                ),
            )
        )
        .with_row(Row("Processes"))
        .with_panel(
            graph(
                "CPU",
                "percentunit",
                query(f"rate(process_cpu_seconds_total[{RATE}])", "{{job}}"),
            )
        )
        .with_panel(
            graph("Resident memory", "bytes", query("process_resident_memory_bytes", "{{job}}"))
        )
    )


def saga() -> Dashboard:
    ended = "saga_ended_total"
    return (
        dashboard(
            "shopflow-saga",
            "ShopFlow / Orders and their saga",
            "Orders placed, confirmed and cancelled (by reason), and how long customers wait "
            "for the outcome.",
        )
        .with_row(Row("Outcomes"))
        .with_panel(
            graph(
                "Orders per second",
                "ops",
                query(f"sum(rate(saga_started_total[{RATE}]))", "placed"),
                query(f'sum(rate({ended}{{outcome="committed"}}[{RATE}]))', "confirmed"),
                query(f'sum(rate({ended}{{outcome="cancelled"}}[{RATE}]))', "cancelled"),
            )
        )
        .with_panel(
            graph(
                "Cancelled, by reason",
                "ops",
                query(
                    f'sum by (reason) (rate({ended}{{outcome="cancelled"}}[{RATE}]))',
                    "{{reason}}",
                ),
                description="timed_out means the shop did not answer in time: each one "
                "fires OrdersCancelledForTimeout.",
            )
        )
        .with_row(Row("Waiting"))
        .with_panel(
            graph(
                "Time to the outcome",
                "s",
                query(
                    histogram_quantile(0.5, "saga_duration_seconds", "outcome"), "p50 {{outcome}}"
                ),
                query(
                    histogram_quantile(0.99, "saga_duration_seconds", "outcome"), "p99 {{outcome}}"
                ),
                description="From the order being placed to CONFIRMED (the saga commits) or "
                "CANCELLED (everything undone).",
            )
        )
        .with_panel(
            graph(
                "Orders final within 5 s",
                "percentunit",
                query("1 - slo:order_latency_errors:ratio_rate5m", "5 m"),
                query("1 - slo:order_latency_errors:ratio_rate1h", "1 h"),
                description="The order SLO's indicator; objective 99 %.",
            )
        )
        .with_panel(
            graph(
                "Sagas waiting for an operator",
                "short",
                query("max by (saga) (saga_waiting_for_operator)", "{{saga}}"),
                description="Their orders stay PENDING until someone acts (make sagas): "
                "above 0 fires SagasNeedAttention.",
            )
        )
        .with_row(Row("Replies"))
        .with_panel(
            graph(
                "Replies handled by the order service",
                "ops",
                query(
                    "sum by (type, outcome) "
                    f'(rate(messages_consumed_total{{job="order"}}[{RATE}]))',
                    "{{type}}: {{outcome}}",
                ),
            )
        )
        .with_panel(
            graph(
                "Reply handling p99",
                "s",
                query(
                    histogram_quantile(0.99, "message_handling_seconds", "type", 'job="order"'),
                    "{{type}}",
                ),
            )
        )
    )


def messaging() -> Dashboard:
    return (
        dashboard(
            "shopflow-messaging",
            "ShopFlow / Messaging",
            "The transactional outbox and its relay, the consumers, dead letters.",
        )
        .with_row(Row("Outbox and relay"))
        .with_panel(
            graph(
                "Outbox backlog",
                "short",
                query("max by (job) (outbox_pending)", "{{job}}"),
                description="Rows written but not yet acknowledged by Kafka.",
            )
        )
        .with_panel(
            graph(
                "Oldest unpublished row",
                "s",
                query("max by (job) (outbox_oldest_pending_age_seconds)", "{{job}}"),
                description="Over 60 s for 2 min fires OutboxStalled.",
            )
        )
        .with_panel(
            graph(
                "Publish lag p99 (written → acknowledged)",
                "s",
                query(histogram_quantile(0.99, "outbox_publish_lag_seconds", "job"), "{{job}}"),
            )
        )
        .with_panel(
            graph(
                "Published, failed batches",
                "ops",
                query(f"sum by (topic) (rate(outbox_published_total[{RATE}]))", "{{topic}}"),
                query(
                    f"sum by (job) (rate(outbox_publish_failures_total[{RATE}]))",
                    "failed batches: {{job}}",
                ),
            )
        )
        .with_panel(
            graph(
                "Rows set aside",
                "short",
                query("max by (job) (outbox_rows_set_aside)", "{{job}}"),
                description="Rows Kafka would not take, waiting for an operator: `make outbox`"
                " (ADR 0020). Above 0 fires OutboxRowsSetAside.",
            )
        )
        .with_row(Row("Consumers"))
        .with_panel(
            graph(
                "Messages consumed by outcome",
                "ops",
                query(
                    f"sum by (job, outcome) (rate(messages_consumed_total[{RATE}]))",
                    "{{job}}: {{outcome}}",
                ),
            )
        )
        .with_panel(
            graph(
                "Handling time p99",
                "s",
                query(
                    histogram_quantile(0.99, "message_handling_seconds", "job, topic"),
                    "{{job}} {{topic}}",
                ),
            )
        )
        .with_panel(
            graph(
                "Consumer lag",
                "short",
                query("max by (job, topic) (message_consumer_lag)", "{{job}} {{topic}}"),
                description="Messages after the last one committed, per partition (max).",
            )
        )
        .with_panel(
            graph(
                "Dead letters (last hour)",
                "short",
                query(
                    "sum by (job, topic) "
                    '(increase(messages_consumed_total{outcome="dead_lettered"}[1h]))',
                    "{{job}} {{topic}}",
                ),
                description="`make dlq topic=...` lists them and replays them.",
            )
        )
    )


DASHBOARDS = {"overview": overview, "saga": saga, "messaging": messaging}


def as_json(board: Dashboard) -> dict[str, Any]:
    """The dashboard as Grafana reads it, panels numbered and queries lettered A, B, ..."""
    model: dict[str, Any] = json.loads(json.dumps(board.build(), cls=JSONEncoder))
    for number, panel in enumerate(model["panels"], start=1):
        panel["id"] = number
        for letter, target in zip(ascii_uppercase, panel.get("targets", []), strict=False):
            target["refId"] = letter
    return model


def rendered() -> dict[str, str]:
    """Each dashboard's JSON, as committed: file name → text."""
    return {
        f"{name}.json": json.dumps(as_json(build()), indent=2, sort_keys=True) + "\n"
        for name, build in DASHBOARDS.items()
    }


def main() -> int:
    OUTPUT.mkdir(exist_ok=True)
    for name, text in rendered().items():
        (OUTPUT / name).write_text(text)
        print(f"wrote {OUTPUT / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
