"""REST for admins: add a product, set its stock.

Only callers the gateway vouches for as admins: `X-Customer-Id` and `X-Customer-Roles`,
read by the kit's `require_role`.
"""

from fastapi import APIRouter, Depends, Response

from shopflow_inventory import service
from shopflow_inventory.domain import ProductExistsError, ProductNotFoundError
from shopflow_inventory.schemas import ProductCreate, ProductRead, Sku, StockSet
from shopflow_kit import DbSession, documented_problems, require_role
from shopflow_kit.problems import FORBIDDEN, MALFORMED_BODY, UNAUTHENTICATED

ADMIN_ROLE = "admin"

router = APIRouter(
    prefix="/admin", tags=["admin"], dependencies=[Depends(require_role(ADMIN_ROLE))]
)

NOT_ADMIN = (UNAUTHENTICATED, FORBIDDEN)  # the kit's `require_role`
LOCATION = {"Location": {"description": "The new product", "schema": {"type": "string"}}}


@router.post(
    "/products",
    status_code=201,
    responses={
        201: {"headers": LOCATION},
        **documented_problems(*MALFORMED_BODY, *NOT_ADMIN, ProductExistsError),
    },
    summary="Add a product, with its first stock",
)
async def create_product(
    body: ProductCreate, response: Response, session: DbSession
) -> ProductRead:
    await service.create_product(session, body)
    response.headers["Location"] = f"/products/{body.sku}"
    return ProductRead.model_validate(await service.product(session, body.sku))


@router.put(
    "/products/{sku}/stock",
    responses=documented_problems(*MALFORMED_BODY, *NOT_ADMIN, ProductNotFoundError),
    summary="Set the units available; reserved and sold units are kept",
)
async def set_stock(sku: Sku, body: StockSet, session: DbSession) -> ProductRead:
    await service.set_stock(session, sku, body.available)
    return ProductRead.model_validate(await service.product(session, sku))
