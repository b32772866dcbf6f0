"""Request bodies over max_body_bytes are refused with 413, declared or streamed."""

import pytest
from fastapi import APIRouter, Request

from shopflow_kit import PROBLEM_BASE, create_app

pytestmark = pytest.mark.unit

LIMIT = 64
router = APIRouter()
handled: list[int] = []


@router.post("/uploads")
async def upload(request: Request) -> dict[str, int]:
    size = len(await request.body())
    handled.append(size)
    return {"size": size}


@pytest.fixture
def app(settings):
    handled.clear()
    limited = settings.model_copy(update={"max_body_bytes": LIMIT})
    return create_app(limited, title="body limit", routers=[router])


async def test_declared_length_over_limit_is_refused_before_the_route_runs(app, client_for):
    async with client_for(app) as client:
        response = await client.post("/uploads", content=b"x" * (LIMIT + 1))

    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == PROBLEM_BASE + "payload-too-large"
    assert handled == []


async def test_streamed_body_over_limit_is_refused_without_reading_it_all(app, client_for):
    chunks_sent = 0

    async def chunked_body():
        nonlocal chunks_sent
        for _ in range(100):
            chunks_sent += 1
            yield b"x" * 16

    async with client_for(app) as client:
        response = await client.post("/uploads", content=chunked_body())

    assert "content-length" not in response.request.headers
    assert response.status_code == 413
    assert response.json()["type"] == PROBLEM_BASE + "payload-too-large"
    assert handled == []
    assert chunks_sent <= LIMIT // 16 + 1


async def test_body_within_limit_reaches_the_route(app, client_for):
    async with client_for(app) as client:
        response = await client.post("/uploads", content=b"x" * LIMIT)

    assert response.status_code == 200
    assert response.json() == {"size": LIMIT}
