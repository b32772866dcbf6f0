"""What a notification says: an ended order's outcome, in the words of the "email" that
would be sent."""

from dataclasses import dataclass

from shopflow_notification.models import NotificationKind


@dataclass(frozen=True)
class OrderOutcome:
    """What the notification needs to know about an order that has ended."""

    order_id: str
    customer: str
    kind: NotificationKind
    total: int | None = None  # minor units
    currency: str | None = None
    reason: str | None = None


def render(outcome: OrderOutcome) -> tuple[str, str]:
    """The subject and body for this outcome."""
    short_id = outcome.order_id[:8]
    if outcome.kind is NotificationKind.ORDER_CONFIRMED:
        amount = f"{(outcome.total or 0) / 100:.2f} {outcome.currency or ''}".strip()
        return (
            f"Your order {short_id} is confirmed",
            f"Thank you, {outcome.customer}. We have charged {amount} and your order "
            f"{outcome.order_id} is on its way.",
        )
    reason = (outcome.reason or "unknown").replace("_", " ")
    return (
        f"Your order {short_id} was cancelled",
        f"Sorry, {outcome.customer}: order {outcome.order_id} was cancelled ({reason}). "
        "You have not been charged.",
    )
