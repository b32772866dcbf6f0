"""The order service's app as uvicorn's factory, built from whichever `shopflow_order` comes
first on the path (`side_by_side` puts an older version's sources there)."""

from fastapi import FastAPI


def order_app() -> FastAPI:
    from shopflow_order.app import build
    from shopflow_order.settings import OrderSettings

    return build(OrderSettings())
