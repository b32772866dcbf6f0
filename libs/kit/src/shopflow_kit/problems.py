"""RFC 9457 problem details: the single error body shape of every ShopFlow HTTP API.

A `ProblemType` is declared once, where its service (or the kit) defines what it means:
its status, its slug (the `type` is `PROBLEM_BASE` + slug: public contract, never renamed)
and its title. Code answers with it in one of two ways:

- a domain error names its type, and the kit answers it wherever it is raised:

      class OrderNotFoundError(DomainError):
          problem = ProblemType(404, "order-not-found", "Order not found")

- a route raises `Problem(INVALID_CURSOR, detail, **extensions)` for what only HTTP
  knows (a missing header, an unreadable cursor).

The handlers in `problem_handlers` turn both, and every framework error, into
`application/problem+json`; `documented_problems(...)` documents them in OpenAPI.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict
from starlette.responses import JSONResponse

PROBLEM_BASE = "https://shopflow.example/problems/"
PROBLEM_MEDIA_TYPE = "application/problem+json"


@dataclass(frozen=True)
class ProblemType:
    """A kind of problem: the status it answers with, its slug and its title."""

    status: int
    slug: str
    title: str

    @classmethod
    def for_status(cls, status: int) -> "ProblemType":
        """The generic problem for an HTTP status, with a slug that never changes."""
        if status in _GENERIC:
            return _GENERIC[status]
        phrase = HTTPStatus(status).phrase
        return cls(status, phrase.lower().replace(" ", "-"), phrase.capitalize())


_GENERIC = {
    kind.status: kind
    for kind in (
        ProblemType(400, "bad-request", "Bad request"),
        ProblemType(401, "unauthorized", "Unauthorized"),
        ProblemType(403, "forbidden", "Forbidden"),
        ProblemType(404, "not-found", "Not found"),
        ProblemType(405, "method-not-allowed", "Method not allowed"),
        ProblemType(406, "not-acceptable", "Not acceptable"),
        ProblemType(409, "conflict", "Conflict"),
        ProblemType(412, "precondition-failed", "Precondition failed"),
        ProblemType(413, "payload-too-large", "Payload too large"),
        ProblemType(415, "unsupported-media-type", "Unsupported media type"),
        ProblemType(422, "unprocessable-content", "Unprocessable content"),
        ProblemType(429, "too-many-requests", "Too many requests"),
        ProblemType(500, "internal-error", "Internal server error"),
        ProblemType(502, "bad-gateway", "Bad gateway"),
        ProblemType(503, "service-unavailable", "Service unavailable"),
        ProblemType(504, "gateway-timeout", "Gateway timeout"),
    )
}

# The problems the kit itself answers; routes document them, none declares them again.
MALFORMED_JSON = ProblemType(400, "malformed-json", "Malformed JSON")
UNAUTHENTICATED = ProblemType(401, "unauthenticated", "Unauthenticated")
FORBIDDEN = _GENERIC[403]
PAYLOAD_TOO_LARGE = _GENERIC[413]
VALIDATION_ERROR = ProblemType(422, "validation-error", "Request validation failed")
INTERNAL_ERROR = _GENERIC[500]
BAD_GATEWAY = _GENERIC[502]
UPSTREAM_UNAVAILABLE = ProblemType(503, "upstream-unavailable", "Upstream unavailable")
DEPENDENCY_UNAVAILABLE = ProblemType(503, "dependency-unavailable", "Dependency unavailable")
NOT_READY = ProblemType(503, "not-ready", "Not ready")
NOT_ALIVE = ProblemType(503, "not-alive", "Not alive")

MALFORMED_BODY = (MALFORMED_JSON, PAYLOAD_TOO_LARGE, VALIDATION_ERROR)
"""What any route with a JSON body may answer before it runs."""


class ProblemDetails(BaseModel):
    """An RFC 9457 problem; extension members (e.g. `errors`, `checks`) are extra fields."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None


class Problem(Exception):  # noqa: N818 - "problem" is RFC 9457's name for it
    """An error raised to answer with a problem+json body."""

    def __init__(self, kind: ProblemType, detail: str | None = None, **extensions: Any) -> None:
        super().__init__(detail or kind.title)
        self.kind = kind
        self.detail = detail
        self.extensions = extensions

    @property
    def status(self) -> int:
        return self.kind.status

    def details(self, instance: str | None = None) -> ProblemDetails:
        return ProblemDetails(
            type=PROBLEM_BASE + self.kind.slug,
            title=self.kind.title,
            status=self.kind.status,
            detail=self.detail,
            instance=instance,
            **self.extensions,
        )

    def response(
        self, instance: str | None = None, headers: Mapping[str, str] | None = None
    ) -> JSONResponse:
        body = self.details(instance).model_dump(mode="json", exclude_none=True)
        return JSONResponse(
            body, status_code=self.kind.status, headers=headers, media_type=PROBLEM_MEDIA_TYPE
        )


class RetryLater(Problem):
    """A problem whose answer says when to try again: `Retry-After`, in whole seconds."""

    def __init__(
        self,
        kind: ProblemType,
        detail: str | None = None,
        *,
        retry_after_seconds: int,
        **extensions: Any,
    ) -> None:
        super().__init__(kind, detail, **extensions)
        self.retry_after_seconds = retry_after_seconds

    def response(
        self, instance: str | None = None, headers: Mapping[str, str] | None = None
    ) -> JSONResponse:
        retry_after = {"Retry-After": str(self.retry_after_seconds)}
        return super().response(instance, {**retry_after, **(headers or {})})


class DomainError(Exception):
    """A refusal of a service's domain, answered as its `problem` wherever it is raised: the
    message is the problem's detail, the keyword arguments its extension members."""

    problem: ClassVar[ProblemType]

    def __init__(self, detail: str, **details: Any) -> None:
        super().__init__(detail)
        self.details = details

    def as_problem(self) -> Problem:
        return Problem(self.problem, str(self), **self.details)


Documented = ProblemType | type[DomainError]


def documented_problems(*kinds: Documented) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries for the problems a route may answer, each status's
    description naming its slugs: `documented_problems(VALIDATION_ERROR, OrderNotFoundError)`."""
    slugs: dict[int, list[str]] = {}
    for documented in kinds:
        kind = documented if isinstance(documented, ProblemType) else documented.problem
        slugs.setdefault(kind.status, []).append(kind.slug)
    # Inline schema: a `model=` entry would be filed under application/json instead.
    schema = ProblemDetails.model_json_schema()
    return {
        status: {
            "description": f"{ProblemType.for_status(status).title}: "
            + ", ".join(f"`{slug}`" for slug in dict.fromkeys(slugs[status])),
            "content": {PROBLEM_MEDIA_TYPE: {"schema": schema}},
        }
        for status in sorted(slugs)
    }
