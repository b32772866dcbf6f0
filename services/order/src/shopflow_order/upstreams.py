"""The services the order service calls: inventory, for the products behind some skus."""

from collections.abc import Sequence

from prometheus_client import CollectorRegistry
from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from shopflow_kit import Problem
from shopflow_kit.problems import BAD_GATEWAY
from shopflow_kit.upstream import Upstream, UpstreamPolicy


class Product(BaseModel):
    """A product as inventory lists it; fields pricing does not need are ignored."""

    sku: str
    name: str
    price: int = Field(ge=0)  # minor units of `currency`
    currency: str = Field(pattern=r"^[A-Z]{3}$")


_PRODUCTS = TypeAdapter(list[Product])


class Inventory:
    """`GET /products?sku=...` through the kit's `Upstream`: timeouts, retries, breaker."""

    def __init__(
        self, base_url: str, policy: UpstreamPolicy, *, registry: CollectorRegistry
    ) -> None:
        self._upstream = Upstream("inventory", base_url, policy, registry=registry)

    async def products(self, skus: Sequence[str]) -> dict[str, Product]:
        """The products that exist among `skus`, by sku; an unknown sku is simply absent.

        Raises `UpstreamUnavailable` (503) if inventory cannot answer, and a 502 problem
        if its answer breaks the contract.
        """
        # Inventory pages its list: one page as long as the skus asked holds all of them.
        params = {"sku": list(skus), "limit": len(skus)}
        response = await self._upstream.request("GET", "/products", params=params)
        if response.status_code != 200:
            detail = f"inventory answered {response.status_code} to a product lookup"
            raise Problem(BAD_GATEWAY, detail)
        try:
            products = _PRODUCTS.validate_json(response.content)
        except ValidationError as error:
            raise Problem(BAD_GATEWAY, "inventory's products do not match its contract") from error
        return {product.sku: product for product in products}

    async def aclose(self) -> None:
        await self._upstream.aclose()
