"""REST: the catalogue with what is available, an order's reservation, and the stock audit."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from shopflow_inventory import repository, reservation_repository
from shopflow_inventory.problems import (
    MALFORMED_INPUT,
    PRODUCT_NOT_FOUND,
    RESERVATION_NOT_FOUND,
    product_not_found,
    reservation_not_found,
)
from shopflow_inventory.schemas import ProductRead, ReservationRead, Sku, StockAuditRead
from shopflow_kit import DbSession, documented_problems

MAX_PAGE = 100

router = APIRouter()

NEXT_PAGE_LINK = {
    "Link": {
        "description": 'The next page, `</products?after=...&limit=...>; rel="next"`, '
        "when there is one",
        "schema": {"type": "string"},
    }
}


@router.get(
    "/products",
    response_model=list[ProductRead],
    responses={200: {"headers": NEXT_PAGE_LINK}, **documented_problems(MALFORMED_INPUT)},
    summary="Products in sku order, with the units available",
    tags=["products"],
)
async def list_products(
    request: Request,
    response: Response,
    session: DbSession,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="Page size")] = 50,
    after: Annotated[Sku | None, Query(description="The last sku of the page before")] = None,
    sku: Annotated[
        list[Sku] | None,
        Query(max_length=MAX_PAGE, description="Only these products; unknown skus are absent"),
    ] = None,
) -> list[ProductRead]:
    # One row beyond the page tells whether there is a next one.
    rows = await repository.products(session, limit=limit + 1, after=after, skus=sku or ())
    page = [ProductRead.model_validate(row) for row in rows[:limit]]
    if len(rows) > limit:
        following = request.url.include_query_params(after=page[-1].sku, limit=limit)
        response.headers["Link"] = f'<{following.path}?{following.query}>; rel="next"'
    return page


@router.get(
    "/products/{sku}",
    response_model=ProductRead,
    responses=documented_problems(MALFORMED_INPUT, {404: PRODUCT_NOT_FOUND}),
    summary="One product, with the units available",
    tags=["products"],
)
async def get_product(sku: Sku, session: DbSession) -> ProductRead:
    return await product_or_404(session, sku)


@router.get(
    "/reservations/{order_id}",
    response_model=ReservationRead,
    responses=documented_problems(MALFORMED_INPUT, {404: RESERVATION_NOT_FOUND}),
    summary="The stock reservation of an order: its status, lines and any rejection reason",
    tags=["reservations"],
)
async def get_reservation(order_id: uuid.UUID, session: DbSession) -> ReservationRead:
    reservation = await reservation_repository.reservation(session, order_id)
    if reservation is None:
        raise reservation_not_found(order_id)
    return ReservationRead.model_validate(reservation)


@router.get(
    "/audit/stock",
    response_model=list[StockAuditRead],
    summary="Per product: units stocked, where they are, and whether they add up",
    tags=["audit"],
)
async def audit_stock(session: DbSession) -> list[StockAuditRead]:
    return [StockAuditRead.model_validate(row) for row in await repository.stock_audit(session)]


async def product_or_404(session: AsyncSession, sku: str) -> ProductRead:
    row = await repository.product(session, sku)
    if row is None:
        raise product_not_found(sku)
    return ProductRead.model_validate(row)
