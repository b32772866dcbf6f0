"""The problems the gateway documents as relayed are problems its services really declare."""

import re

import pytest

from shopflow_gateway.openapi import RELAYED

pytestmark = pytest.mark.integration

SLUG = re.compile(r"`([a-z0-9-]+)`")


def declared(app):
    """(status, slug) of every problem the app's OpenAPI documents."""
    return {
        (int(status), slug)
        for operations in app.openapi()["paths"].values()
        for operation in operations.values()
        for status, response in operation.get("responses", {}).items()
        if status.isdigit()
        for slug in SLUG.findall(response.get("description", ""))
    }


async def test_every_relayed_problem_is_one_a_service_declares(services):
    by_services = set().union(*(declared(service.app) for service in services.all))

    assert {(kind.status, kind.slug) for kind in RELAYED} <= by_services
