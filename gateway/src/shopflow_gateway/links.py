"""Links in responses, rewritten from where a service serves a resource to where clients find it.

The order service answers `Location: /orders/{id}`, inventory `Location: /products/{sku}`
and `Link: </products?after=...>; rel="next"`: paths on their own servers. A `Mount`
pairs a service path prefix with its public one; absolute URLs are left alone.
"""

import re
from collections.abc import Sequence

from shopflow_gateway.headers import Headers

Mount = tuple[str, str]  # (service path prefix, public path prefix)

ORDERS: Sequence[Mount] = (("/orders", "/api/v1/orders"),)
PRODUCTS: Sequence[Mount] = (("/products", "/api/v1/products"),)

_LINK_TARGET = re.compile(r"<([^>]*)>")
_LOCATION_HEADERS = frozenset({"location", "content-location"})


def public_location(target: str, mounts: Sequence[Mount]) -> str:
    """`target` under its public prefix when it is a path a mount covers."""
    for service_prefix, public_prefix in mounts:
        rest = target.removeprefix(service_prefix)
        if rest != target and (rest == "" or rest[0] in "/?#"):
            return public_prefix + rest
    return target


def public_links(headers: Headers, mounts: Sequence[Mount]) -> Headers:
    """`headers` with Location, Content-Location and every `Link` target made public."""
    rewritten = []
    for name, value in headers:
        if name.lower() in _LOCATION_HEADERS:
            value = public_location(value, mounts)
        elif name.lower() == "link":
            value = _LINK_TARGET.sub(lambda m: f"<{public_location(m[1], mounts)}>", value)
        rewritten.append((name, value))
    return rewritten
