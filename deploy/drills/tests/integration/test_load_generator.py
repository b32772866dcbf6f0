"""The load generator against a stand-in gateway on loopback, whose answers the test scripts:
arrivals stay on schedule however slow the shop is, refusals are retried with the same key
after Retry-After (bounded), answers that are final are not retried, outcomes are settled."""

import asyncio
import itertools
import time
import uuid
from datetime import UTC, datetime

import pytest
from aiohttp import web

from shopflow_drills.load import LoadPlan, RetryPolicy, run_load, summarise

pytestmark = pytest.mark.integration

PROBLEMS = {429: "rate-limited", 503: "upstream-unavailable", 422: "idempotency-key-reused"}


class StandInGateway:
    """Answers like the gateway; `script` says how each key's attempts are answered in turn
    (an int status, or "accept"), and `delay` how long each order takes to answer."""

    def __init__(self, script: list[int | str] | None = None, delay: float = 0.0) -> None:
        self.script = script or ["accept"]
        self.delay = delay
        self.attempts: dict[str, list[float]] = {}  # key → when each attempt arrived
        self.orders: dict[str, dict] = {}  # key → the order it placed
        self.cancels: list[str] = []
        self.logins: list[str] = []  # the user of every POST /auth/token

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/auth/token", self.token)
        app.router.add_post("/api/v1/admin/products", self.product)
        app.router.add_post("/api/v1/orders", self.place)
        app.router.add_post("/api/v1/orders/{id}/cancel", self.cancel)
        app.router.add_get("/api/v1/orders", self.list)
        return app

    async def token(self, request: web.Request) -> web.Response:
        user = (await request.json())["username"]
        self.logins.append(user)
        return web.json_response({"access_token": user, "token_type": "bearer"})

    async def product(self, request: web.Request) -> web.Response:
        return web.json_response(await request.json(), status=201)

    async def place(self, request: web.Request) -> web.Response:
        key = request.headers["Idempotency-Key"]
        seen = self.attempts.setdefault(key, [])
        seen.append(time.monotonic())
        await asyncio.sleep(self.delay)
        answer = self.script[min(len(seen), len(self.script)) - 1]
        if answer != "accept":
            headers = {"Retry-After": "0.2"} if answer in (429, 503) else {}
            problem = {"type": f"https://shopflow.example/problems/{PROBLEMS[answer]}"}
            return web.json_response(problem, status=int(answer), headers=headers)
        now = datetime.now(UTC).isoformat()
        order = self.orders.setdefault(
            key,
            {
                "id": str(uuid.uuid4()),
                "customer": request.headers["Authorization"].removeprefix("Bearer "),
                "status": "CONFIRMED",
                "cancellation_reason": None,
                "total": 1000,
                "created_at": now,
                "updated_at": now,
            },
        )
        return web.json_response({**order, "status": "PENDING"}, status=202)

    async def cancel(self, request: web.Request) -> web.Response:
        self.cancels.append(request.match_info["id"])
        return web.json_response({}, status=202)

    async def list(self, request: web.Request) -> web.Response:
        customer = request.headers["Authorization"].removeprefix("Bearer ")
        mine = [o for o in self.orders.values() if o["customer"] == customer]
        return web.json_response({"orders": mine[::-1], "next": None})


@pytest.fixture
async def serve():
    runners = []

    async def start(gateway: StandInGateway) -> str:
        runner = web.AppRunner(gateway.app(), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        runners.append(runner)
        return f"http://127.0.0.1:{runner.addresses[0][1]}"

    yield start
    for runner in runners:
        await runner.cleanup()


def plan(url: str, **overrides) -> LoadPlan:
    settings = {
        "rate": 20,
        "duration": 1,
        "mix": {"approved": 1},
        "in_stock_sku": "MUG-001",
        "out_of_stock_sku": "SOLD-OUT",
        "settle_seconds": 5,
        "retry": RetryPolicy(attempts=4, budget_seconds=10),
    }
    return LoadPlan(gateway_url=url, **settings | overrides)


async def test_arrivals_keep_their_schedule_however_slow_the_shop(serve):
    gateway = StandInGateway(delay=0.5)
    began = time.monotonic()

    record = await run_load(plan(await serve(gateway), settle_seconds=0))

    assert len(record.orders) == 20
    # Each order went out when it was due, not after the one before was answered.
    late = [o.attempts[0].sent_at - o.scheduled_at for o in record.orders]
    assert max(late) < 0.2, late
    assert [o.scheduled_at for o in record.orders] == [n / 20 for n in range(20)]
    assert time.monotonic() - began < 5  # closed-loop would take 20 × 0.5 s
    # The wait is measured from when each order was due.
    assert all(o.accepted_after >= 0.5 for o in record.orders)


async def test_refusals_are_retried_with_the_same_key_after_retry_after(serve):
    gateway = StandInGateway(script=[503, 429, "accept"])

    record = await run_load(plan(await serve(gateway), rate=5))

    for order in record.orders:
        assert [a.status for a in order.attempts] == [503, 429, 202]
        assert [a.retry_after for a in order.attempts] == [0.2, 0.2, None]
        assert [a.problem for a in order.attempts] == ["upstream-unavailable", "rate-limited", None]
        arrivals = gateway.attempts[order.key]
        assert len(arrivals) == 3  # the same key every time
        assert all(later - earlier >= 0.2 for earlier, later in itertools.pairwise(arrivals))
        assert order.order_id == gateway.orders[order.key]["id"]
    summary = summarise(record)
    assert (summary.accepted, summary.retried) == (5, 5)
    assert summary.refusals == {"503 upstream-unavailable": 5, "429 rate-limited": 5}


async def test_a_shop_that_keeps_refusing_is_given_up_on_after_the_bound(serve):
    """Four attempts, then, the run over, the client not knowing comes back once: four more."""
    gateway = StandInGateway(script=[503])

    record = await run_load(plan(await serve(gateway), rate=2))

    for order in record.orders:
        assert len(gateway.attempts[order.key]) == 8
        assert [a.late for a in order.attempts] == [False] * 4 + [True] * 4
        assert order.order_id is None
    assert summarise(record).never_accepted == 2


async def test_a_client_left_not_knowing_comes_back_with_its_key(serve):
    gateway = StandInGateway(script=[503, 503, 503, 503, "accept"])

    record = await run_load(plan(await serve(gateway), rate=2))

    for order in record.orders:
        assert [a.status for a in order.attempts] == [503] * 4 + [202]
        assert order.accepted_late
        assert order.order_id == gateway.orders[order.key]["id"]
        assert order.outcome is not None


async def test_clients_coming_back_together_log_in_once_each(serve):
    """The gateway counts every login attempt before it checks it: ten clients of one
    customer coming back at once must not be ten logins (the customer would be locked out)."""
    gateway = StandInGateway(script=[503, 503, 503, 503, "accept"])

    record = await run_load(plan(await serve(gateway), rate=10, users=("alice",)))

    assert all(order.accepted_late for order in record.orders)
    assert gateway.logins == ["alice", "alice"]  # the run's client, then the settling one


async def test_a_client_told_no_does_not_come_back(serve):
    gateway = StandInGateway(script=[503, 422])

    record = await run_load(plan(await serve(gateway), rate=2))

    assert all(len(gateway.attempts[o.key]) == 2 for o in record.orders)


async def test_an_answer_that_is_final_is_not_retried(serve):
    gateway = StandInGateway(script=[422])

    record = await run_load(plan(await serve(gateway), rate=2))

    assert [len(o.attempts) for o in record.orders] == [1, 1]
    assert {o.attempts[0].status for o in record.orders} == {422}


async def test_outcomes_are_settled_and_cancels_sent(serve):
    gateway = StandInGateway()

    record = await run_load(plan(await serve(gateway), rate=10, mix={"cancelled": 1}))

    assert len(gateway.cancels) == 10
    assert all(o.cancel and o.cancel.status == 202 for o in record.orders)
    assert all(o.outcome and o.outcome.status == "CONFIRMED" for o in record.orders)
    summary = summarise(record)
    assert summary.outcomes == {"CONFIRMED": 10}
    assert summary.placed_to_confirmed.count == 10


async def test_a_plan_s_stages_keep_one_schedule_and_the_record_says_them(serve):
    gateway = StandInGateway()

    record = await run_load(plan(await serve(gateway), rate=10, duration=0.5, then=((20, 0.5),)))

    assert [o.scheduled_at for o in record.orders] == [n / 10 for n in range(5)] + [
        0.5 + n / 20 for n in range(10)
    ]
    assert (record.duration, record.stages) == (1.0, [(10, 0.5), (20, 0.5)])
    assert all(o.order_id for o in record.orders)


async def test_clients_told_not_to_come_back_go_away(serve):
    gateway = StandInGateway(script=[503])

    record = await run_load(plan(await serve(gateway), rate=2, come_back=False))

    for order in record.orders:
        assert len(gateway.attempts[order.key]) == 4  # its attempts, and no come-back
        assert not any(a.late for a in order.attempts)
