"""REST for admins: add a product, set its stock.

Only callers the gateway vouches for as admins: `X-Customer-Id` and `X-Customer-Roles`,
read by the kit's `require_role`.
"""

from fastapi import APIRouter, Depends, Response

from shopflow_inventory import catalogue
from shopflow_inventory.api import product_or_404
from shopflow_inventory.domain import ProductExistsError, ProductNotFoundError
from shopflow_inventory.problems import (
    MALFORMED_BODY,
    NOT_ADMIN,
    PRODUCT_EXISTS,
    PRODUCT_NOT_FOUND,
    product_exists,
    product_not_found,
)
from shopflow_inventory.schemas import ProductCreate, ProductRead, Sku, StockSet
from shopflow_kit import DbSession, documented_problems, require_role

ADMIN_ROLE = "admin"

router = APIRouter(
    prefix="/admin", tags=["admin"], dependencies=[Depends(require_role(ADMIN_ROLE))]
)

LOCATION = {"Location": {"description": "The new product", "schema": {"type": "string"}}}


@router.post(
    "/products",
    status_code=201,
    response_model=ProductRead,
    responses={
        201: {"headers": LOCATION},
        **documented_problems(MALFORMED_BODY, NOT_ADMIN, {409: PRODUCT_EXISTS}),
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
    responses=documented_problems(MALFORMED_BODY, NOT_ADMIN, {404: PRODUCT_NOT_FOUND}),
    summary="Set the units available; reserved and sold units are kept",
)
async def set_stock(sku: Sku, body: StockSet, session: DbSession) -> ProductRead:
    try:
        await catalogue.set_stock(session, sku, body.available)
    except ProductNotFoundError as missing:
        raise product_not_found(missing.sku) from missing
    return await product_or_404(session, sku)
