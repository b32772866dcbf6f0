"""The catalogue: public product reads (the list cached in Redis) and the admin's changes."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from shopflow_gateway.dependencies import Gateway, GatewayDep
from shopflow_gateway.forwarded_bodies import ProductCreate, StockSet, json_body
from shopflow_gateway.links import PRODUCTS
from shopflow_gateway.openapi import PRODUCT_EXISTS, PRODUCT_NOT_FOUND, SKU_LINKS
from shopflow_gateway.proxy import (
    call_upstream,
    forward,
    read_whole,
    relay,
    relayed_headers,
    respond,
)
from shopflow_gateway.security import RATE_LIMITED, AdminCaller, enforce_rate_limit
from shopflow_kit import documented_problems
from shopflow_kit.problems import (
    FORBIDDEN,
    MALFORMED_BODY,
    UNAUTHENTICATED,
    UPSTREAM_UNAVAILABLE,
    VALIDATION_ERROR,
)

router = APIRouter(prefix="/api/v1", dependencies=[Depends(enforce_rate_limit)])

# Inventory's sku format, checked here too: a path parameter must never reshape the path.
Sku = Annotated[str, Path(pattern=r"^[A-Z0-9-]{3,32}$", examples=["MUG-001"])]
CACHE_HEADER = "X-Cache"
ADMIN = (FORBIDDEN, UNAUTHENTICATED)
PRODUCT = {
    "sku": "POSTER-A2",
    "name": "ShopFlow poster, A2",
    "price": 1599,
    "currency": "EUR",
    "stock": 12,
}


@router.get(
    "/products",
    tags=["products"],
    operation_id="listProducts",
    summary="Products in sku order, with the units available (public, cached briefly)",
    description="Inventory's product list, cached per query for a few seconds: `X-Cache` "
    "says HIT or MISS, and `Cache-Control: no-cache` skips the cached copy; an admin's "
    "change through the gateway drops the cached copies at once. A `Link` "
    'header (`rel="next"`) gives the next page.',
    responses=documented_problems(VALIDATION_ERROR, RATE_LIMITED, UPSTREAM_UNAVAILABLE),
)
async def list_products(
    request: Request,
    gateway: GatewayDep,
    limit: Annotated[int | None, Query(ge=1, le=100, description="Page size, 50 if absent")] = None,
    after: Annotated[str | None, Query(max_length=32, description="The last sku before")] = None,
    sku: Annotated[list[str] | None, Query(max_length=100, description="Only these")] = None,
) -> Response:
    query = request.url.query
    if "no-cache" not in request.headers.get("cache-control", ""):
        cached = await gateway.products_cache.get(query)
        if cached is not None:
            return respond(cached.body, 200, [*cached.headers, (CACHE_HEADER, "HIT")])
    target = f"/products?{query}" if query else "/products"
    answer = await call_upstream(request, gateway.services.inventory, target, None)
    if answer.status_code != 200:
        return relay(answer, PRODUCTS)
    body, headers = await read_whole(answer), relayed_headers(answer, PRODUCTS)
    await gateway.products_cache.put(query, body, headers)
    return respond(body, 200, [*headers, (CACHE_HEADER, "MISS")])


@router.get(
    "/products/{sku}",
    operation_id="getProduct",
    tags=["products"],
    summary="One product, with the units available (public)",
    responses=documented_problems(
        PRODUCT_NOT_FOUND, VALIDATION_ERROR, RATE_LIMITED, UPSTREAM_UNAVAILABLE
    ),
)
async def get_product(sku: Sku, request: Request, gateway: GatewayDep) -> Response:
    return await forward(request, gateway.services.inventory, f"/products/{sku}", None)


@router.post(
    "/admin/products",
    tags=["admin"],
    status_code=201,
    operation_id="createProduct",
    summary="Add a product with its first stock (admin)",
    openapi_extra=json_body(ProductCreate, PRODUCT),
    responses={
        201: {
            "description": "The product, as `GET /api/v1/products/{sku}` shows it",
            "links": SKU_LINKS,
        },
        **documented_problems(
            *ADMIN, *MALFORMED_BODY, PRODUCT_EXISTS, RATE_LIMITED, UPSTREAM_UNAVAILABLE
        ),
    },
)
async def create_product(request: Request, gateway: GatewayDep, admin: AdminCaller) -> Response:
    answer = await forward(request, gateway.services.inventory, "/admin/products", admin, PRODUCTS)
    return await _catalogue_changed(gateway, answer)


@router.put(
    "/admin/products/{sku}/stock",
    tags=["admin"],
    operation_id="setStock",
    summary="Set the units available (admin); reserved and sold units are kept",
    openapi_extra=json_body(StockSet, {"available": 20}),
    responses=documented_problems(
        *ADMIN, *MALFORMED_BODY, PRODUCT_NOT_FOUND, RATE_LIMITED, UPSTREAM_UNAVAILABLE
    ),
)
async def set_stock(
    sku: Sku, request: Request, gateway: GatewayDep, admin: AdminCaller
) -> Response:
    path = f"/admin/products/{sku}/stock"
    answer = await forward(request, gateway.services.inventory, path, admin, PRODUCTS)
    return await _catalogue_changed(gateway, answer)


async def _catalogue_changed(gateway: Gateway, answer: Response) -> Response:
    """`answer`, once the cached product lists are dropped if it says the change was made."""
    if answer.status_code < 300:
        await gateway.products_cache.forget()
    return answer
