"""Service paths in Location and Link headers, made into the gateway's public ones."""

import pytest

from shopflow_gateway.links import ORDERS, PRODUCTS, public_links, public_location

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("location", "public"),
    [
        ("/orders/0d4c3f4e", "/api/v1/orders/0d4c3f4e"),
        ("/orders", "/api/v1/orders"),
        ("/orders?before=abc", "/api/v1/orders?before=abc"),
        ("/ordersmith/1", "/ordersmith/1"),  # a prefix only at a segment boundary
        ("http://elsewhere.example/orders/1", "http://elsewhere.example/orders/1"),
        ("/products/MUG-001", "/products/MUG-001"),  # not the order service's
    ],
)
def test_order_locations_are_made_public(location, public):
    assert public_location(location, ORDERS) == public


def test_location_and_link_headers_are_rewritten_and_others_kept():
    headers = [
        ("Location", "/products/POSTER-A2"),
        ("link", '</products?after=BOOK-DDIA&limit=2>; rel="next"'),
        ("X-Note", "/products/stays"),
    ]

    assert public_links(headers, PRODUCTS) == [
        ("Location", "/api/v1/products/POSTER-A2"),
        ("link", '</api/v1/products?after=BOOK-DDIA&limit=2>; rel="next"'),
        ("X-Note", "/products/stays"),
    ]
