"""The live console as a person uses it, in Chromium on the running stack: log in as a
demo user, place orders with the form and watch their saga reach CONFIRMED or CANCELLED,
flip the provider's outage as admin and watch the payment breaker open, and do it all
from the keyboard. Each step's screenshot is kept (the conftest prints where)."""

import re
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Locator, Page, Route, expect

pytestmark = pytest.mark.e2e

SETTLED = re.compile("CONFIRMED|CANCELLED")
SAGA_RESENDS_MS = 90_000  # an order's wait past an open breaker: cool-down, then retries


def log_in(page: Page, user: str) -> None:
    page.get_by_label("User").fill(user)
    page.get_by_label("Password").fill(f"{user}-password")
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#who")).to_have_text(f"Logged in as {user}")


def place_order(page: Page, sku: str, card: str, *, press_enter: bool = False) -> Locator:
    """Fill the order form and submit it; the order's entry in the live list."""
    page.get_by_label("Product", exact=True).select_option(sku)
    page.get_by_label("Quantity", exact=True).fill("1")
    page.get_by_label("Card", exact=True).select_option(card)
    submit = page.get_by_role("button", name="Place order")
    with page.expect_response(
        lambda r: r.url.endswith("/api/v1/orders") and r.request.method == "POST"
    ) as placed:
        if press_enter:
            submit.press("Enter")
        else:
            submit.click()
    assert placed.value.status == 202, placed.value.text()
    order_id = placed.value.json()["id"]
    return page.locator(f'li.order[data-order-id="{order_id}"]')


def saga_of(order: Locator) -> Locator:
    return order.locator("ol.saga > li")


def test_a_demo_user_logs_in_and_sees_the_shop(page: Page, product: str, snap):
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    snap("login")

    log_in(page, "alice")

    expect(page.locator("#products tr", has_text=product)).to_have_count(1)
    expect(page.get_by_role("heading", name="My orders")).to_be_visible()
    expect(page.locator("#provider")).to_be_hidden()  # the fault switches are admin's
    snap("logged-in")


def test_a_wrong_password_is_refused_on_the_page(page: Page, snap):
    page.get_by_label("User").fill("alice")
    page.get_by_label("Password").fill("not-her-password")
    page.get_by_role("button", name="Log in").click()

    expect(page.get_by_role("alert")).to_have_text(
        "Unauthenticated: The username or password is wrong."
    )
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    snap("refused")


def test_an_approved_order_reaches_confirmed_with_its_saga_steps(page: Page, product: str, snap):
    log_in(page, "alice")

    order = place_order(page, product, "tok_visa")
    snap("placed")

    expect(order).to_have_attribute("data-status", "CONFIRMED")
    expect(order.locator(".status")).to_have_text("CONFIRMED")
    expect(saga_of(order)).to_contain_text(["StockReserved", "PaymentCharged", "StockCommitted"])
    snap("confirmed")


def test_an_order_read_just_after_its_payment_is_read_again_until_its_saga_closes(
    page: Page, product: str
):
    """An order is CONFIRMED once paid, and its stock is committed after that: a poll can
    see CONFIRMED before StockCommitted. Each order's first CONFIRMED read is served here as
    it would have been at that moment; the console must read the order again."""
    served_as_just_paid: set[str] = set()

    def as_just_paid(route: Route) -> None:
        response = route.fetch()
        order = response.json()
        if order["status"] == "CONFIRMED" and order["id"] not in served_as_just_paid:
            events = [entry["event"] for entry in order["saga"]]
            order["saga"] = order["saga"][: events.index("PaymentCharged") + 1]
            served_as_just_paid.add(order["id"])
        route.fulfill(response=response, json=order)

    log_in(page, "alice")
    page.route(re.compile(r"/api/v1/orders/[0-9a-f-]{36}$"), as_just_paid)
    order = place_order(page, product, "tok_visa")

    expect(order).to_have_attribute("data-status", "CONFIRMED")
    expect(saga_of(order).last).to_contain_text("saga: completed")
    expect(saga_of(order)).to_contain_text(["PaymentCharged", "StockCommitted"])
    assert order.get_attribute("data-order-id") in served_as_just_paid


def test_a_declined_card_cancels_the_order_for_payment_declined(page: Page, product: str, snap):
    log_in(page, "alice")

    order = place_order(page, product, "tok_chargeDeclined")

    expect(order).to_have_attribute("data-status", "CANCELLED")
    expect(order.locator(".order-head")).to_contain_text("payment_declined")
    expect(saga_of(order)).to_contain_text(["StockReserved", "PaymentDeclined"])
    snap("cancelled")


@pytest.fixture
def provider_healed(admin_api: httpx.Client) -> Iterator[None]:
    """Whatever the test left switched on, the provider works again after it."""
    yield
    admin_api.delete("/api/v1/admin/provider/faults").raise_for_status()


def test_an_admin_flips_the_provider_outage_and_sees_the_breaker_open(
    page: Page, product: str, snap, provider_healed: None
):
    log_in(page, "admin")
    breaker = page.locator("#breaker")
    expect(breaker).to_have_text("closed")
    snap("breaker-closed")

    page.get_by_label("Outage (every call 503)").check()
    page.get_by_role("button", name="Apply faults").click()
    expect(page.get_by_role("alert")).to_have_text("Provider faults applied.")
    order = place_order(page, product, "tok_visa")

    expect(breaker).to_have_text("open")
    expect(breaker).to_have_class("open")
    expect(order).to_have_attribute("data-status", "PENDING")
    snap("breaker-open")

    page.get_by_role("button", name="All off").click()
    expect(page.get_by_role("alert")).to_have_text("Provider faults off.")
    expect(page.get_by_label("Outage (every call 503)")).not_to_be_checked()
    # The breaker stays open for its cool-down, and the charge waits for its next retry.
    expect(order).to_have_attribute("data-status", SETTLED, timeout=SAGA_RESENDS_MS)
    snap("healed")


def test_the_console_works_from_the_keyboard(page: Page, product: str, snap):
    user = page.get_by_label("User")
    expect(user).to_be_focused()  # the page starts where one types
    page.keyboard.press("Shift+Tab")
    expect(page.get_by_role("link", name="Skip to the orders")).to_be_focused()
    page.keyboard.press("Tab")
    expect(user).to_be_focused()
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type("alice")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    page.keyboard.type("alice-password")
    page.keyboard.press("Enter")
    expect(page.locator("#who")).to_have_text("Logged in as alice")

    # Logged in, the focus is on the order form; Tab reaches each control by its label.
    expect(page.get_by_role("heading", name="Place an order")).to_be_focused()
    for control in (
        page.get_by_role("button", name="Approved"),
        page.get_by_role("button", name="Declined"),
        page.get_by_role("button", name="Out of stock"),
        page.get_by_role("combobox", name="Product"),
        page.get_by_role("spinbutton", name="Quantity"),
        page.get_by_role("combobox", name="Card"),
        page.get_by_role("button", name="Place order"),
    ):
        page.keyboard.press("Tab")
        expect(control).to_be_focused()
    snap("tabbed-to-place-order")

    order = place_order(page, product, "tok_visa", press_enter=True)

    expect(order).to_have_attribute("data-status", "CONFIRMED")
    snap("placed-from-the-keyboard")
