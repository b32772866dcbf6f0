"""The live console: a page served at /console that works through the public API, the
order trace and the provider switches; plain HTML, CSS and a script (./console/), no build.

`GET /api/v1/console` tells the page what this gateway can show. The page gets the same
auth as any client: it logs in at /auth/token, and nobody can in production (users.py).
"""

from pathlib import Path

from fastapi import APIRouter, FastAPI
from pydantic import BaseModel
from starlette.responses import RedirectResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from shopflow_gateway.dependencies import GatewayDep

CONSOLE_DIR = Path(__file__).parent / "console"
# The page loads nothing but its own files and talks to this gateway alone.
CONSOLE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; "
        "base-uri 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}

router = APIRouter(tags=["console"])


class ConsoleFeatures(BaseModel):
    environment: str
    can_log_in: bool  # demo users exist (development and test only)
    traces: bool
    provider_faults: bool
    dashboards: dict[str, str]


@router.get("/api/v1/console", summary="What the live console can show on this gateway")
async def console_features(gateway: GatewayDep) -> ConsoleFeatures:
    return ConsoleFeatures(
        environment=gateway.settings.environment,
        can_log_in=bool(gateway.users),
        traces=gateway.console.traces is not None,
        provider_faults=gateway.console.provider is not None,
        dashboards=gateway.settings.dashboard_links,
    )


@router.get("/", include_in_schema=False)
async def home() -> RedirectResponse:
    return RedirectResponse("/console/")


class ConsoleFiles(StaticFiles):
    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers.update(CONSOLE_HEADERS)
        return response


def mount_console(app: FastAPI) -> None:
    app.mount("/console", ConsoleFiles(directory=CONSOLE_DIR, html=True), name="console")
