"""The live console in a real browser: Debian's Chromium, driven by Playwright, on the
stack tests/e2e runs (`shop`). Every step's screenshot is kept in .artifacts/browser/.

Playwright never downloads a browser here: it launches this machine's Chromium
(`make browser` installs it as root on Debian). Without one, these tests skip and say
how to get it.
"""

import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from shopflow_stack.browser import NoBrowserError, find_chromium
from shopflow_stack.config import REPO_ROOT
from shopflow_stack.stack import Stack

ARTEFACTS = REPO_ROOT / ".artifacts" / "browser"
LAPTOP = {"width": 1366, "height": 900}
# The saga takes a second, more on a busy machine; a saga's resends past an open breaker
# take longer, and those expectations say so (the tests' SAGA_RESENDS_MS).
expect.set_options(timeout=20_000)

Snap = Callable[[str], Path]
_kept: list[Path] = []


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    try:
        executable = find_chromium()
    except NoBrowserError as error:
        pytest.skip(f"browser tests: {error}")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(executable))
        yield browser
        browser.close()


@pytest.fixture
def gateway_url(shop: Stack) -> str:
    return f"http://127.0.0.1:{shop.get('gateway').port}"


@pytest.fixture
def page(chromium: Browser, gateway_url: str) -> Iterator[Page]:
    """A fresh browser context (no session left from another test) on the console."""
    context = chromium.new_context(base_url=gateway_url, viewport=LAPTOP)
    page = context.new_page()
    page.goto("/console/")
    yield page
    context.close()


@pytest.fixture
def snap(page: Page, request: pytest.FixtureRequest) -> Snap:
    """`snap("confirmed")` keeps a screenshot of the page as this test's next step."""
    folder = ARTEFACTS / request.node.name.replace("[", "-").rstrip("]")
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    steps = iter(range(1, 100))

    def take(step: str) -> Path:
        path = folder / f"{next(steps):02d}-{step}.png"
        page.screenshot(path=path, full_page=True)
        _kept.append(path)
        print(f"screenshot: {path.relative_to(REPO_ROOT)}")
        return path

    return take


@pytest.fixture
def admin_api(gateway_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=gateway_url, timeout=10) as client:
        answer = client.post(
            "/auth/token", json={"username": "admin", "password": "admin-password"}
        )
        answer.raise_for_status()
        client.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
        yield client


@pytest.fixture
def product(admin_api: httpx.Client) -> str:
    """A product of this test's own, created before the page loads the catalogue."""
    # The console lists the first 100 products in sku order: a newer one sorts first.
    newest_first = 10**13 - time.time_ns() // 1_000_000
    sku = f"0WEB-{newest_first:013d}-{uuid.uuid4().hex[:3].upper()}"
    body = {"sku": sku, "name": f"browser {sku}", "price": 1250, "currency": "EUR", "stock": 5}
    answer = admin_api.post("/api/v1/admin/products", json=body)
    assert answer.status_code == 201, answer.text
    return sku


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _kept:
        terminalreporter.write_sep("-", f"browser screenshots ({len(_kept)})")
        for path in _kept:
            terminalreporter.write_line(str(path.relative_to(REPO_ROOT)))
