"""Fixtures for the kit's unit tests: settings isolated from the environment, in-process clients."""

from collections.abc import Callable

import httpx
import pytest
from fastapi import FastAPI
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from pydantic_settings import SettingsConfigDict

from shopflow_kit import ServiceSettings
from shopflow_testing.span_recorder import recorded_spans


class KitTestSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SHOPFLOW_KIT_TEST_")


@pytest.fixture
def settings() -> ServiceSettings:
    return KitTestSettings(service_name="kit-test", port=8000, readiness_timeout_seconds=0.2)


@pytest.fixture
def client_for() -> Callable[[FastAPI], httpx.AsyncClient]:
    """An HTTP client calling the app in-process; no lifespan, no network."""

    def open_client(app: FastAPI) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://kit.test")

    return open_client


@pytest.fixture
def spans() -> InMemorySpanExporter:
    """Spans finished during the test (see span_recorder)."""
    return recorded_spans()
