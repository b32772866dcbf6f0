"""RFC 9457 problem details: the single error body shape of every ShopFlow HTTP API.

Routes raise `Problem(409, "order-already-paid", "Order already paid", order_id=...)`; the
handlers in `problem_handlers` turn it, and every framework error, into
`application/problem+json` with `type` = `PROBLEM_BASE` + slug.
"""

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict
from starlette.responses import JSONResponse

PROBLEM_BASE = "https://shopflow.example/problems/"
PROBLEM_MEDIA_TYPE = "application/problem+json"

_SLUG_AND_TITLE_BY_STATUS: dict[int, tuple[str, str]] = {
    400: ("bad-request", "Bad request"),
    401: ("unauthorized", "Unauthorized"),
    403: ("forbidden", "Forbidden"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    406: ("not-acceptable", "Not acceptable"),
    409: ("conflict", "Conflict"),
    412: ("precondition-failed", "Precondition failed"),
    413: ("payload-too-large", "Payload too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
    422: ("unprocessable-content", "Unprocessable content"),
    429: ("too-many-requests", "Too many requests"),
    500: ("internal-error", "Internal server error"),
    502: ("bad-gateway", "Bad gateway"),
    503: ("service-unavailable", "Service unavailable"),
    504: ("gateway-timeout", "Gateway timeout"),
}


class ProblemDetails(BaseModel):
    """An RFC 9457 problem; extension members (e.g. `errors`, `checks`) are extra fields."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None


class Problem(Exception):  # noqa: N818 - "problem" is RFC 9457's name for it
    """An error a route raises to answer with a problem+json body."""

    def __init__(
        self, status: int, slug: str, title: str, detail: str | None = None, **extensions: Any
    ) -> None:
        super().__init__(detail or title)
        self.status = status
        self.slug = slug
        self.title = title
        self.detail = detail
        self.extensions = extensions

    @classmethod
    def for_status(cls, status: int, detail: str | None = None) -> "Problem":
        """The generic problem for an HTTP status, with a slug that never changes."""
        slug, title = _SLUG_AND_TITLE_BY_STATUS.get(status, (f"http-{status}", f"HTTP {status}"))
        return cls(status, slug, title, detail)

    def details(self, instance: str | None = None) -> ProblemDetails:
        return ProblemDetails(
            type=PROBLEM_BASE + self.slug,
            title=self.title,
            status=self.status,
            detail=self.detail,
            instance=instance,
            **self.extensions,
        )

    def response(
        self, instance: str | None = None, headers: Mapping[str, str] | None = None
    ) -> JSONResponse:
        body = self.details(instance).model_dump(mode="json", exclude_none=True)
        return JSONResponse(
            body, status_code=self.status, headers=headers, media_type=PROBLEM_MEDIA_TYPE
        )


def documented_problems(*groups: Mapping[int, str]) -> dict[int | str, dict[str, Any]]:
    """`problem_responses` for the statuses in `groups`, each description naming the slugs
    it may carry: `documented_problems({404: "order-not-found"}, {422: "unknown-sku"})`."""
    slugs: dict[int, list[str]] = {}
    for group in groups:
        for status, slug in group.items():
            slugs.setdefault(status, []).append(slug)
    responses = problem_responses(*sorted(slugs))
    for status, names in slugs.items():
        listed = ", ".join(f"`{name}`" for name in dict.fromkeys(names))
        responses[status]["description"] += f": {listed}"
    return responses


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries documenting a ProblemDetails body for each status."""
    # Inline schema: a `model=` entry would be filed under application/json instead.
    schema = ProblemDetails.model_json_schema()
    return {
        status: {
            "description": Problem.for_status(status).title,
            "content": {PROBLEM_MEDIA_TYPE: {"schema": schema}},
        }
        for status in statuses
    }
