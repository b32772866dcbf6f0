"""Structured logging: one JSON object per line on stdout, enriched from a log context.

`log_context(request_id=...)` binds fields for the current task (and the tasks it
spawns); every record logged inside it carries them, next to any `extra=` fields.
A record logged inside a span carries its `trace_id` and `span_id` (hex, as Jaeger shows
them), so a log line leads to its trace and a trace to its log lines.
"""

import json
import logging
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, TextIO

from opentelemetry import trace

_UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")
# color_message: uvicorn's ANSI-coloured copy of the message, noise in JSON.
_RECORD_ATTRIBUTES = frozenset(vars(logging.makeLogRecord({}))) | {
    "message",
    "asctime",
    "color_message",
}

_context: ContextVar[Mapping[str, Any]] = ContextVar(
    "shopflow_log_context", default=MappingProxyType({})
)


@contextmanager
def log_context(**fields: Any) -> Iterator[None]:
    """Add `fields` to every record logged inside the block, in this task and its children."""
    token = _context.set(MappingProxyType({**_context.get(), **fields}))
    try:
        yield
    finally:
        _context.reset(token)


def current_log_context() -> Mapping[str, Any]:
    """The fields bound by the enclosing `log_context` blocks."""
    return _context.get()


class JsonFormatter(logging.Formatter):
    """Renders a record as one JSON line: fixed keys, then context and `extra=` fields."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "service": self.service,
            "logger": record.name,
            "message": record.getMessage(),
            **current_log_context(),
        }
        span = trace.get_current_span().get_span_context()
        if span.is_valid:
            entry["trace_id"] = format(span.trace_id, "032x")
            entry["span_id"] = format(span.span_id, "016x")
        entry.update(
            (key, value) for key, value in vars(record).items() if key not in _RECORD_ATTRIBUTES
        )
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class _StdoutHandler(logging.StreamHandler[TextIO]):
    def emit(self, record: logging.LogRecord) -> None:
        # Look stdout up per record: test runners and reloaders swap sys.stdout.
        self.stream = sys.stdout
        super().emit(record)


def configure_logging(service: str, level: str) -> None:
    """Send root and uvicorn logs as JSON lines to stdout; calling it again replaces, not adds."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, _StdoutHandler)]:
        root.removeHandler(handler)
    handler = _StdoutHandler()
    handler.setFormatter(JsonFormatter(service))
    root.addHandler(handler)
    root.setLevel(level)
    # The relay and consumer log a Kafka outage once each way; aiokafka logs every retry.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    for name in _UVICORN_LOGGERS:
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers.clear()
        uvicorn_logger.propagate = True
