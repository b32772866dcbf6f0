"""Every PromQL expression of the dashboards and the rules returns data from the stack's
real Prometheus after a few orders: no misspelt metric or label, no panel always empty."""

import asyncio
import json
import re
import uuid

import httpx
import pytest
import yaml
from aiokafka import AIOKafkaProducer

from shopflow_contracts.topics import Topics
from shopflow_stack.config import OBSERVABILITY_DIR
from shopflow_stack.shop_client import place_order, settled

pytestmark = pytest.mark.e2e

# Grafana's own variable: a window of at least four scrapes; 1 m is twelve of the stack's.
GRAFANA_VARIABLES = {"$__rate_interval": "1m"}
# An alert's comparison filters series out while all is well; `bool` keeps them, as 0,
# so a quiet alert still proves that everything it reads exists.
COMPARISON = re.compile(r"(?<![=!<>~])([<>]=?|==|!=)\s*(?=[\d(.])")


def dashboard_expressions() -> list[tuple[str, str]]:
    found = []
    for path in sorted((OBSERVABILITY_DIR / "grafana" / "dashboards").glob("*.json")):
        for panel in json.loads(path.read_text())["panels"]:
            for target in panel.get("targets", []):
                expr = target["expr"]
                for variable, value in GRAFANA_VARIABLES.items():
                    expr = expr.replace(variable, value)
                found.append((f"{path.stem}: {panel['title']} [{target['refId']}]", expr))
    return found


def rule_expressions() -> list[tuple[str, str]]:
    found = []
    for path in sorted((OBSERVABILITY_DIR / "prometheus" / "rules").glob("*.yml")):
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                name = rule.get("record") or rule["alert"]
                expr = rule["expr"]
                if "alert" in rule:
                    expr = COMPARISON.sub(r"\1 bool ", expr)
                found.append((f"{path.stem}: {name}", expr))
    return found


def test_alert_thresholds_become_bool_comparisons():
    assert COMPARISON.sub(r"\1 bool ", "a > (6 * 0.005) and b{x!~'5..'} <= 1") == (
        "a > bool (6 * 0.005) and b{x!~'5..'} <= bool 1"
    )


async def dead_letter_one(bootstrap_servers: str, topic: str) -> None:
    """A record no consumer can read: its consumer dead-letters it and moves on."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap_servers)
    await producer.start()
    try:
        await producer.send_and_wait(topic, b"not an envelope", key=uuid.uuid4().hex.encode())
    finally:
        await producer.stop()


async def returning_no_data(prometheus: str, expressions: list[tuple[str, str]]) -> list[str]:
    empty = []
    async with httpx.AsyncClient(base_url=prometheus, timeout=10) as client:
        for name, expr in expressions:
            answer = (await client.get("/api/v1/query", params={"query": expr})).json()
            if answer["status"] != "success":
                empty.append(f"{name}: {answer.get('error')}\n    {expr}")
            elif not answer["data"]["result"]:
                empty.append(f"{name}: no data\n    {expr}")
    return empty


async def test_every_dashboard_and_rule_expression_returns_data(shop, gateway, alice, new_product):
    if not shop.config.observability.enabled:
        pytest.skip("the stack runs without Prometheus (SHOPFLOW_OBSERVABILITY=0)")
    expressions = dashboard_expressions() + rule_expressions()
    assert len(expressions) > 40, "the dashboards and rules were not found"
    sku = await new_product(stock=1)
    for items, card in (
        ([{"sku": sku, "quantity": 1}], "tok_visa"),  # confirmed
        ([{"sku": sku, "quantity": 1}], "tok_visa"),  # out of stock by now
        ([{"sku": await new_product(stock=1), "quantity": 1}], "tok_chargeDeclined"),
    ):
        placed = await place_order(gateway, alice, items, card)
        await settled(gateway, alice, placed["id"])
    await dead_letter_one(shop.config.kafka.bootstrap_servers, Topics().commands("inventory"))

    # Scrapes, then rule evaluations, then rates over two scrapes: wait for all of it.
    deadline = asyncio.get_running_loop().time() + 120
    while empty := await returning_no_data(shop.prometheus_url, expressions):
        if asyncio.get_running_loop().time() > deadline:
            break
        await asyncio.sleep(2)
    assert not empty, "\n".join(empty)
