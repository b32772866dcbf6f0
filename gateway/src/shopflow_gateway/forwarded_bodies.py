"""The JSON bodies the gateway forwards unread, stated as the services behind define them.

The gateway never parses them: the service validates and answers `malformed-json` or
`validation-error` itself. They are declared here so that the public OpenAPI states every
limit the API enforces; a contract test (`test_forwarded_bodies`) holds each one to the
service's own schema, so the two cannot drift.
"""

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from shopflow_kit.text import ONE_LINE

Sku = Annotated[str, Field(pattern=r"^[A-Z0-9-]{3,32}$", examples=["MUG-001"])]
Units = Annotated[int, Field(ge=0, le=1_000_000)]


class OrderItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: Sku
    quantity: int = Field(ge=1, le=100)


class OrderCreate(BaseModel):
    """What a customer orders: each sku at most once; prices come from inventory."""

    model_config = ConfigDict(extra="forbid")

    items: list[OrderItem] = Field(min_length=1, max_length=50)
    payment_method: str = Field(max_length=64, pattern=r"^[A-Za-z0-9_]+$", examples=["tok_visa"])


class ProductCreate(BaseModel):
    """A product and its first stock; numbers are JSON numbers, never strings."""

    model_config = ConfigDict(extra="forbid")

    sku: Sku
    name: Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=ONE_LINE)]
    price: int = Field(gt=0, le=100_000_000, description="Minor units (cents) of currency")
    currency: str = Field(pattern=r"^[A-Z]{3}$", description="ISO 4217", examples=["EUR"])
    stock: Units = 0


class StockSet(BaseModel):
    model_config = ConfigDict(extra="forbid")

    available: Units


def json_body(model: type[BaseModel], example: dict[str, Any]) -> dict[str, Any]:
    """`openapi_extra` for a forwarded body: its schema inlined (no `$ref` into `$defs`,
    which OpenAPI tools resolve against the whole document), and an example."""
    schema = model.model_json_schema()
    definitions = schema.pop("$defs", {})
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": _inlined(schema, definitions), "example": example}
            },
        }
    }


def _inlined(node: Any, definitions: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        if "$ref" in node:
            return _inlined(definitions[node["$ref"].rsplit("/", 1)[-1]], definitions)
        return {key: _inlined(value, definitions) for key, value in node.items()}
    if isinstance(node, list):
        return [_inlined(item, definitions) for item in node]
    return node
