"""Turns every error a FastAPI app can produce into an `application/problem+json` answer."""

import logging
from http.client import responses

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shopflow_kit.dependencies import DependencyUnavailable, causes, unavailable_dependency
from shopflow_kit.problems import (
    INTERNAL_ERROR,
    MALFORMED_JSON,
    VALIDATION_ERROR,
    DomainError,
    Problem,
    ProblemType,
)

logger = logging.getLogger(__name__)


def install_problem_handlers(app: FastAPI) -> None:
    """Answer Problem, DomainError, HTTPException, validation and unhandled errors with
    problem+json.

    Unhandled errors are caught by a middleware added here, which must stay the innermost
    one: call this before adding other middlewares so they see the 500 it produces.
    """
    for error_type in (Problem, DomainError, HTTPException, RequestValidationError):
        app.add_exception_handler(error_type, _answer_with_problem)
    app.add_middleware(InternalErrorMiddleware)


async def _answer_with_problem(request: Request, exc: Exception) -> Response:
    headers = exc.headers if isinstance(exc, HTTPException) else None
    return _as_problem(exc).response(instance=request.url.path, headers=headers)


def _as_problem(exc: Exception) -> Problem:
    """The problem a client sees for `exc`; a dependency that is away is a 503 to retry,
    anything else unexpected an opaque 500."""
    if (dependency := unavailable_dependency(exc)) is not None:
        return DependencyUnavailable(dependency)
    if _unstorable_text(exc):  # what a schema missed: U+0000 or bytes that are not UTF-8
        return Problem(VALIDATION_ERROR, "The request holds text that cannot be stored.")
    match exc:
        case Problem():
            return exc
        case DomainError():
            return exc.as_problem()
        case RequestValidationError():
            return _validation_problem(exc)
        case HTTPException(status_code=status, detail=str(detail)):
            # Starlette's default detail is the bare status phrase, which the title already says.
            kind = ProblemType.for_status(status)
            return Problem(kind, None if detail == responses.get(status) else detail)
        case HTTPException(status_code=status):
            return Problem(ProblemType.for_status(status))
        case _:
            return Problem(INTERNAL_ERROR, "An unexpected error occurred.")


# SQLSTATE 22021 character_not_in_repertoire, 22P05 untranslatable_character.
_UNSTORABLE_TEXT = frozenset({"22021", "22P05"})


def _unstorable_text(exc: Exception) -> bool:
    return any(getattr(cause, "sqlstate", None) in _UNSTORABLE_TEXT for cause in causes(exc))


def _validation_problem(exc: RequestValidationError) -> Problem:
    errors = exc.errors()
    for error in errors:
        if error["type"] == "json_invalid":
            reason = error.get("ctx", {}).get("error", "invalid JSON")
            detail = f"Request body is not valid JSON: {reason}"
            return Problem(MALFORMED_JSON, detail)
    return Problem(
        VALIDATION_ERROR,
        f"{len(errors)} invalid field(s)",
        errors=[
            {"loc": list(error["loc"]), "msg": error["msg"], "type": error["type"]}
            for error in errors
        ],
    )


class InternalErrorMiddleware:
    """Logs an unhandled exception with its traceback and answers a bare 500 problem, or
    a 503 with one warning line when a dependency is away (an outage is not a bug).

    Living inside the other middlewares, the answer still gets a request id and is
    counted, and the log record carries the request's log context.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        response_started = False

        async def send_tracking_start(message: Message) -> None:
            nonlocal response_started
            response_started = response_started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, send_tracking_start)
        except Exception as exc:
            where = (scope["method"], scope["path"])
            if (dependency := unavailable_dependency(exc)) is not None:
                logger.warning("%s %s: %s unavailable (%r)", *where, dependency, exc)
            else:
                logger.error("unhandled error in %s %s", *where, exc_info=exc)
            if response_started:
                raise  # too late for a problem body; let the server abort the response
            await _as_problem(exc).response(instance=scope["path"])(scope, receive, send)
