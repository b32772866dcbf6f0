"""REST: the catalogue with what is available (anyone), an order's reservation (a caller
the gateway signed for) and the stock audit (admins)."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from shopflow_inventory import repository, service
from shopflow_inventory.domain import ProductNotFoundError, ReservationNotFoundError
from shopflow_inventory.schemas import ProductRead, ReservationRead, Sku, StockAuditRead
from shopflow_kit import DbSession, documented_problems
from shopflow_kit.identity import NOT_ADMIN, admin_only, authenticated
from shopflow_kit.problems import UNAUTHENTICATED, VALIDATION_ERROR

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
    responses={200: {"headers": NEXT_PAGE_LINK}, **documented_problems(VALIDATION_ERROR)},
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
    responses=documented_problems(VALIDATION_ERROR, ProductNotFoundError),
    summary="One product, with the units available",
    tags=["products"],
)
async def get_product(sku: Sku, session: DbSession) -> ProductRead:
    return ProductRead.model_validate(await service.product(session, sku))


@router.get(
    "/reservations/{order_id}",
    responses=documented_problems(VALIDATION_ERROR, UNAUTHENTICATED, ReservationNotFoundError),
    summary="The stock reservation of an order: its status, lines and any rejection reason",
    tags=["reservations"],
    dependencies=[authenticated],
)
async def get_reservation(order_id: uuid.UUID, session: DbSession) -> ReservationRead:
    return ReservationRead.model_validate(await service.reservation(session, order_id))


@router.get(
    "/audit/stock",
    responses=documented_problems(*NOT_ADMIN),
    summary="Per product: units stocked, where they are, and whether they add up",
    tags=["audit"],
    dependencies=[admin_only],
)
async def audit_stock(session: DbSession) -> list[StockAuditRead]:
    return [StockAuditRead.model_validate(row) for row in await repository.stock_audit(session)]
