"""Following docs/adding-a-service.md makes a service that has the skeleton and runs.

The page's worked example (the loyalty service) is written out file by file, exactly as
the page shows it, into a folder of its own; then it is held to the skeleton, to ruff and
to mypy --strict like the other services, its migrations to its models, and it runs: on
a real PostgreSQL and a real Kafka, a confirmed order earns its points, once.
"""

import asyncio
import importlib
import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer
from mypy import api as mypy

from shopflow_contracts.order import OrderConfirmed
from shopflow_kit.messaging import Envelope
from shopflow_testing.callers import signed_in
from shopflow_testing.migrations import migration_problems
from shopflow_testing.servers import app_client
from shopflow_testing.skeleton import misshapen
from shopflow_testing.waits import counted

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "adding-a-service.md"
# A file of the example: its path in backquotes and a colon, then the whole file, fenced.
FILE = re.compile(r"^`(services/loyalty/[^`]+)`:\n```[a-z]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
TEMPLATE = "src/shopflow_notification/migrations/script.py.mako"


def written_as_the_doc_says(root: Path) -> Path:
    """The loyalty service under `root`, each file as the page shows it."""
    files = FILE.findall(DOC.read_text())
    assert len(files) >= 12, "the worked example lost its files"
    for path, text in files:
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    # "Copy migrations/script.py.mako from any other service."
    folder = root / "services" / "loyalty"
    shutil.copy(
        ROOT / "services" / "notification" / TEMPLATE,
        folder / TEMPLATE.replace("notification", "loyalty"),
    )
    return folder


@pytest.fixture(scope="module")
def loyalty(tmp_path_factory):
    """The service written out, importable as `shopflow_loyalty` for the module's tests."""
    folder = written_as_the_doc_says(tmp_path_factory.mktemp("following-the-doc"))
    sys.path.insert(0, str(folder / "src"))
    importlib.invalidate_caches()
    yield folder
    sys.path.remove(str(folder / "src"))
    for name in [name for name in sys.modules if name.startswith("shopflow_loyalty")]:
        del sys.modules[name]


def test_it_has_the_skeleton_of_every_service(loyalty):
    assert misshapen(loyalty) == []


def test_it_is_in_the_house_style_and_type_checks_strictly(loyalty):
    config = str(ROOT / "pyproject.toml")
    ruff = [sys.executable, "-m", "ruff"]
    lint = subprocess.run(
        [*ruff, "check", "--config", config, str(loyalty)], capture_output=True, text=True
    )
    layout = subprocess.run(
        [*ruff, "format", "--check", "--config", config, str(loyalty)],
        capture_output=True,
        text=True,
    )
    report, _, status = mypy.run(
        ["--config-file", config, str(loyalty / "src" / "shopflow_loyalty")]
    )

    assert (lint.returncode, lint.stdout) == (0, lint.stdout)
    assert (layout.returncode, layout.stdout) == (0, layout.stdout)
    assert (status, report) == (0, report)


def test_its_migrations_build_its_models_and_step_down_and_up(loyalty, fresh_database):
    # Any server will do: the page adds a PostgreSQL of its own to the stack, not this test.
    assert migration_problems("loyalty", fresh_database("notification")) == []


async def test_a_confirmed_order_earns_its_points_once(
    loyalty, fresh_database, infra, on_test_bus, bus_topics
):
    from shopflow_loyalty.app import build
    from shopflow_loyalty.settings import LoyaltySettings

    url = fresh_database("notification")
    assert await asyncio.to_thread(migration_problems, "loyalty", url) == []  # now at head
    app = build(LoyaltySettings(database_url=url, **on_test_bus))
    customer = f"customer-{uuid.uuid4().hex[:8]}"
    order_id = uuid.uuid4()
    confirmed = OrderConfirmed(order_id=order_id, customer_id=customer, total=4599, currency="EUR")
    record = Envelope.wrap(confirmed, correlation_id=str(order_id)).to_bytes()
    producer = AIOKafkaProducer(bootstrap_servers=infra.kafka_bootstrap_servers)

    async with app_client(app) as client, producer:
        before = (await client.get("/points", headers=signed_in("loyalty", customer))).json()
        for _ in range(2):  # delivered twice, as Kafka may
            await producer.send_and_wait(
                bus_topics.order_events, record, key=str(order_id).encode()
            )
        duplicate = {"topic": bus_topics.order_events, "type": "OrderConfirmed"}
        await counted(app, "messages_consumed_total", **duplicate, outcome="duplicate")
        after = (await client.get("/points", headers=signed_in("loyalty", customer))).json()
        anonymous = await client.get("/points")

    assert before == {"customer_id": customer, "points": 0, "awards": []}
    assert after["points"] == 45
    assert [award["order_id"] for award in after["awards"]] == [str(order_id)]
    assert anonymous.status_code == 401
