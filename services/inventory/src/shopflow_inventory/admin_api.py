"""REST for admins: add a product, set its stock.

Only for a service token with the admin role (the kit's `admin_only`): the gateway signs
one for an admin's call.
"""

from fastapi import APIRouter, Response

from shopflow_inventory import service
from shopflow_inventory.domain import ProductExistsError, ProductNotFoundError
from shopflow_inventory.schemas import ProductCreate, ProductRead, Sku, StockSet
from shopflow_kit import DbSession, documented_problems
from shopflow_kit.identity import NOT_ADMIN, admin_only
from shopflow_kit.problems import MALFORMED_BODY

router = APIRouter(prefix="/admin", tags=["admin"], dependencies=[admin_only])

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
