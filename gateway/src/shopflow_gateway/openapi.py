"""OpenAPI pieces the routes share: forwarded JSON bodies, the problems proxies answer."""

from typing import Any

# Bodies are forwarded as they came; the service behind validates them and answers
# 400 `malformed-json` / 422 `validation-error` itself, as problem+json.
UPSTREAM_DOWN = {503: "upstream-unavailable"}
TOO_LARGE = {413: "payload-too-large"}
MALFORMED = {400: "malformed-json", 422: "validation-error"}


def json_body(example: dict[str, Any], description: str) -> dict[str, Any]:
    """`openapi_extra` for a JSON request body the gateway forwards without parsing."""
    return {
        "requestBody": {
            "required": True,
            "description": description,
            "content": {"application/json": {"schema": {"type": "object"}, "example": example}},
        }
    }
