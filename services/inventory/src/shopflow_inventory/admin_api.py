"""REST for admins: add a product, set its stock. Only callers the gateway vouches for as admins.

The gateway sets `X-Customer-Id` and `X-Customer-Roles` (comma-separated) from a
verified token and strips them from what clients send.
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Response

from shopflow_inventory import catalogue
from shopflow_inventory.api import product_or_404
from shopflow_inventory.domain import ProductExistsError, ProductNotFoundError
from shopflow_inventory.problems import (
    MALFORMED_BODY,
    NOT_ADMIN,
    PRODUCT_EXISTS,
    PRODUCT_NOT_FOUND,
    documented,
    product_exists,
    product_not_found,
)
from shopflow_inventory.schemas import ProductCreate, ProductRead, Sku, StockSet
from shopflow_kit import DbSession, Problem

ADMIN_ROLE = "admin"


async def require_admin(
    x_customer_id: Annotated[str | None, Header(description="Set by the gateway")] = None,
    x_customer_roles: Annotated[str | None, Header(description="Set by the gateway")] = None,
) -> None:
    if not x_customer_id:
        raise Problem.for_status(401, "No verified identity came with the request.")
    roles = {role.strip() for role in (x_customer_roles or "").split(",")}
    if ADMIN_ROLE not in roles:
        raise Problem.for_status(403, f"Only the {ADMIN_ROLE!r} role may change the catalogue.")


router = APIRouter(prefix="/admin", tags=["admin"], dependencies=[Depends(require_admin)])

LOCATION = {"Location": {"description": "The new product", "schema": {"type": "string"}}}


@router.post(
    "/products",
    status_code=201,
    response_model=ProductRead,
    responses={
        201: {"headers": LOCATION},
        **documented(MALFORMED_BODY, NOT_ADMIN, {409: PRODUCT_EXISTS}),
    },
    summary="Add a product, with its first stock",
)
async def create_product(
    body: ProductCreate, response: Response, session: DbSession
) -> ProductRead:
    try:
        await catalogue.create_product(session, body)
    except ProductExistsError as exists:
        raise product_exists(exists.sku) from exists
    response.headers["Location"] = f"/products/{body.sku}"
    return await product_or_404(session, body.sku)


@router.put(
    "/products/{sku}/stock",
    response_model=ProductRead,
    responses=documented(MALFORMED_BODY, NOT_ADMIN, {404: PRODUCT_NOT_FOUND}),
    summary="Set the units available; reserved and sold units are kept",
)
async def set_stock(sku: Sku, body: StockSet, session: DbSession) -> ProductRead:
    try:
        await catalogue.set_stock(session, sku, body.available)
    except ProductNotFoundError as missing:
        raise product_not_found(missing.sku) from missing
    return await product_or_404(session, sku)
