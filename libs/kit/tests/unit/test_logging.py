"""JSON log lines: fixed fields, log context, extra fields, uvicorn routing, request ids."""

import json
import logging

import pytest
from fastapi import APIRouter

from shopflow_kit import configure_logging, create_app, log_context

pytestmark = pytest.mark.unit


def json_lines(captured: str) -> list[dict]:
    """The lines of the loggers these tests use: the process may log other things meanwhile
    (asyncio reporting an earlier test's Kafka client collected unclosed, at any allocation)."""
    lines = [json.loads(line) for line in captured.splitlines()]
    return [line for line in lines if line["logger"].startswith(("orders", "uvicorn"))]


def test_record_is_one_json_line_with_context_and_extra_fields(capsys):
    configure_logging("orders", "INFO")

    with log_context(request_id="r-1"), log_context(order_id="o-9"):
        logging.getLogger("orders.saga").info("reserved %s items", 3, extra={"attempt": 2})
    logging.getLogger("orders.saga").info("outside")

    inside, outside = json_lines(capsys.readouterr().out)
    assert inside["ts"].endswith("+00:00")
    assert {k: v for k, v in inside.items() if k != "ts"} == {
        "level": "INFO",
        "service": "orders",
        "logger": "orders.saga",
        "message": "reserved 3 items",
        "request_id": "r-1",
        "order_id": "o-9",
        "attempt": 2,
    }
    assert "request_id" not in outside


def test_exception_traceback_is_a_field_of_the_same_line(capsys):
    configure_logging("orders", "INFO")

    try:
        raise ValueError("bad sku")
    except ValueError:
        logging.getLogger("orders").exception("placing failed")

    [line] = json_lines(capsys.readouterr().out)
    assert line["level"] == "ERROR"
    assert "Traceback" in line["exc_info"]
    assert "ValueError: bad sku" in line["exc_info"]


def test_configuring_twice_does_not_duplicate_lines(capsys):
    configure_logging("orders", "INFO")
    configure_logging("orders", "WARNING")

    logging.getLogger("orders").info("filtered out")
    logging.getLogger("orders").warning("once")

    assert [line["message"] for line in json_lines(capsys.readouterr().out)] == ["once"]


def test_uvicorn_logs_go_through_the_same_handler(capsys):
    logging.getLogger("uvicorn.access").addHandler(logging.StreamHandler())
    configure_logging("orders", "INFO")

    logging.getLogger("uvicorn.error").info(
        "Started server process [%d]", 42, extra={"color_message": "\x1b[36m%d\x1b[0m"}
    )
    logging.getLogger("uvicorn.access").info('%s - "%s %s"', "10.0.0.1", "GET", "/healthz")

    captured = capsys.readouterr()
    started, access = json_lines(captured.out)
    assert started == {
        **started,
        "logger": "uvicorn.error",
        "message": "Started server process [42]",
    }
    assert "color_message" not in started
    assert access["logger"] == "uvicorn.access"
    assert access["message"] == '10.0.0.1 - "GET /healthz"'
    assert captured.err == ""


async def test_request_logs_carry_the_request_id(settings, client_for, capsys):
    router = APIRouter()

    @router.post("/orders")
    async def place_order() -> None:
        logging.getLogger("orders.api").info("order placed")

    app = create_app(settings, title="logging", routers=[router])
    async with client_for(app) as client:
        response = await client.post("/orders")

    [line] = [
        line for line in json_lines(capsys.readouterr().out) if line["logger"] == "orders.api"
    ]
    assert line["service"] == "kit-test"
    assert line["request_id"] == response.headers["x-request-id"]
