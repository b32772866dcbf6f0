"""HTTP metrics labelled by route template, on a registry per app."""

import pytest
from fastapi import APIRouter, HTTPException
from prometheus_client import Counter

from shopflow_kit import create_app

pytestmark = pytest.mark.unit

orders = APIRouter(prefix="/orders")


@orders.get("/{order_id}")
async def get_order(order_id: str) -> dict[str, str]:
    return {"id": order_id}


v1 = APIRouter(prefix="/v1")
v1.include_router(orders)


@pytest.fixture
def app(settings):
    return create_app(settings, title="metrics", routers=[v1])


def sample(app, name, **labels):
    return app.state.metrics.registry.get_sample_value(name, labels)


async def test_requests_are_counted_by_full_route_template(app, client_for):
    async with client_for(app) as client:
        await client.get("/v1/orders/41")
        await client.get("/v1/orders/42")
        exposition = (await client.get("/metrics")).text

    labels = {"method": "GET", "route": "/v1/orders/{order_id}"}
    assert sample(app, "http_requests_total", **labels, status="200") == 2
    assert sample(app, "http_request_duration_seconds_count", **labels) == 2
    assert 'route="/v1/orders/{order_id}",status="200"} 2.0' in exposition
    assert "/v1/orders/41" not in exposition


async def test_unmatched_paths_share_one_label(app, client_for):
    async with client_for(app) as client:
        await client.get("/wp-admin/install.php")
        await client.get("/.env")

    labels = {"method": "GET", "route": "<unmatched>", "status": "404"}
    assert sample(app, "http_requests_total", **labels) == 2


async def test_wrong_method_is_labelled_with_the_route(app, client_for):
    async with client_for(app) as client:
        await client.delete("/v1/orders/41")

    labels = {"method": "DELETE", "route": "/v1/orders/{order_id}", "status": "405"}
    assert sample(app, "http_requests_total", **labels) == 1


async def test_each_app_has_its_own_registry(settings, client_for):
    first = create_app(settings, title="first", routers=[v1])
    second = create_app(settings, title="second", routers=[v1])
    Counter("outbox_published_total", "Published events.", registry=first.state.metrics.registry)

    async with client_for(first) as client:
        await client.get("/v1/orders/1")
        exposition = (await client.get("/metrics")).text

    assert "outbox_published_total 0.0" in exposition
    labels = {"method": "GET", "route": "/v1/orders/{order_id}", "status": "200"}
    assert sample(second, "http_requests_total", **labels) is None


async def test_a_refusal_with_retry_after_is_counted_as_one(settings, client_for):
    router = APIRouter()

    @router.get("/busy")
    async def busy() -> None:
        raise HTTPException(503, headers={"Retry-After": "1"})

    @router.get("/broken")
    async def broken() -> None:
        raise HTTPException(503)  # no Retry-After: a failure, not a refusal

    app = create_app(settings, title="refusals", routers=[router])
    assert sample(app, "http_requests_refused_total", status="503") == 0

    async with client_for(app) as client:
        await client.get("/busy")
        await client.get("/broken")

    assert sample(app, "http_requests_refused_total", status="503") == 1
    assert sample(app, "http_requests_refused_total", status="429") == 0


async def test_the_process_reports_its_own_resources(app, client_for):
    async with client_for(app) as client:
        exposition = (await client.get("/metrics")).text

    for name in ("process_resident_memory_bytes", "process_cpu_seconds_total", "python_info"):
        assert f"\n{name}" in exposition


async def test_a_route_added_after_the_first_request_is_labelled_by_its_template(app, client_for):
    async with client_for(app) as client:
        await client.get("/v1/orders/41")  # the app's routes, as they were, looked up once

        @app.get("/v1/refunds/{refund_id}")
        async def get_refund(refund_id: str) -> dict[str, str]:
            return {"id": refund_id}

        await client.get("/v1/refunds/7")

    labels = {"method": "GET", "route": "/v1/refunds/{refund_id}", "status": "200"}
    assert sample(app, "http_requests_total", **labels) == 1
