import re

import pytest

pytestmark = pytest.mark.integration

NEXT_LINK = re.compile(r'^<(?P<url>/products\?[^>]+)>; rel="next"$')


async def all_pages(client, url):
    """Every page, following each `Link: <...>; rel="next"` to the end."""
    pages = []
    while url is not None:
        response = await client.get(url)
        assert response.status_code == 200
        pages.append(response.json())
        link = response.headers.get("link")
        next_page = NEXT_LINK.match(link or "")
        assert bool(next_page) == bool(link), link
        url = next_page["url"] if next_page else None
    return pages


async def test_pages_follow_each_other_in_sku_order_to_the_end(client, new_product):
    skus = {await new_product(stock=n) for n in range(5)}

    pages = await all_pages(client, "/products?limit=2")

    listed = [product["sku"] for page in pages for product in page]
    assert [len(page) for page in pages[:-1]] == [2] * (len(pages) - 1)
    assert 1 <= len(pages[-1]) <= 2
    assert listed == sorted(set(listed))
    assert skus <= set(listed)


async def test_a_page_shows_what_the_catalogue_says(client, new_product):
    sku = await new_product(stock=4, price=2599)

    response = await client.get("/products", params={"sku": sku})

    assert response.json() == [
        {"sku": sku, "name": f"Test {sku}", "price": 2599, "currency": "EUR", "available": 4}
    ]


async def test_the_sku_filter_returns_exactly_the_known_ones(client, new_product):
    first, second, _other = [await new_product() for _ in range(3)]

    response = await client.get("/products", params={"sku": [second, "NO-SUCH", first]})

    assert response.status_code == 200
    assert [product["sku"] for product in response.json()] == sorted([first, second])
    assert "link" not in response.headers


async def test_the_next_page_keeps_the_sku_filter(client, new_product):
    skus = sorted([await new_product() for _ in range(3)])

    pages = await all_pages(client, "/products?limit=2&" + "&".join(f"sku={s}" for s in skus))

    assert [[product["sku"] for product in page] for page in pages] == [skus[:2], skus[2:]]


@pytest.mark.parametrize(
    "query",
    ["limit=0", "limit=101", "limit=ten", "after=lower", "sku=bad%20sku", "sku="],
)
async def test_a_malformed_query_is_a_validation_problem(client, query):
    response = await client.get(f"/products?{query}")

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"].endswith("/validation-error")


async def test_at_most_a_hundred_skus_are_asked_at_once(client):
    query = "&".join(f"sku=SKU-{n:03}" for n in range(101))

    response = await client.get(f"/products?{query}")

    assert response.status_code == 422
