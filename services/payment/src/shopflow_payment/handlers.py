"""The payment commands' handlers: each charges or refunds at the provider and replies.

The consumer runs a handler in the transaction that records the command in the inbox, and
the reply goes to the outbox in that same transaction: the payment's outcome, the command
counted as handled and its reply commit together. A resent command (a new message id)
passes the inbox, and the operation, once per order, answers from the recorded payment.

When the provider cannot answer (its breaker is open, or the call's retries ran out), the
handler raises `DependencyOutageError` with nothing recorded: the consumer tries the
command again after a jittered backoff for as long as the outage lasts, never
dead-letters it (a provider outage is not the command's fault), and the saga's deadline
decides whether the order still waits. The order id is the charge's idempotency key, so
no attempt can charge twice.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.ext.asyncio import AsyncSession

from shopflow_contracts.payment import (
    ChargePayment,
    PaymentCharged,
    PaymentDeclined,
    PaymentRefunded,
    RefundPayment,
)
from shopflow_contracts.topics import Topics
from shopflow_kit.messaging import Envelope, MessageHandlers
from shopflow_kit.messaging.consumer_retry import DependencyOutageError
from shopflow_kit.messaging.wiring import reply
from shopflow_kit.upstream import UpstreamUnavailable
from shopflow_payment.models import Payment, PaymentStatus
from shopflow_payment.service import CANCELLED_BEFORE_CHARGE, charge_payment, refund_payment
from shopflow_payment.upstreams import PaymentProvider

CANCELLED = "cancelled"
"""Why a charge asked for after the order's compensation (a refund) is declined."""


class PaymentCommands:
    """Handles the payment commands with the app's provider client, replying on the payment
    events topic."""

    def __init__(self, provider: PaymentProvider, topics: Topics) -> None:
        self._provider = provider
        self._replies = topics.payment_events

    def handlers(self) -> MessageHandlers:
        return MessageHandlers().add(ChargePayment, self.charge).add(RefundPayment, self.refund)

    async def charge(
        self, session: AsyncSession, command: ChargePayment, envelope: Envelope
    ) -> None:
        with _retried_while_unavailable():
            payment = await charge_payment(
                session,
                self._provider,
                order_id=command.order_id,
                amount=command.amount,
                currency=command.currency,
                payment_method=command.payment_method,
            )
        await reply(session, self._replies, charge_event(payment), to=envelope)

    async def refund(
        self, session: AsyncSession, command: RefundPayment, envelope: Envelope
    ) -> None:
        with _retried_while_unavailable():
            payment = await refund_payment(session, self._provider, command.order_id)
        await reply(session, self._replies, refund_event(payment), to=envelope)


def charge_event(payment: Payment) -> PaymentCharged | PaymentDeclined:
    """The event that answers a ChargePayment: the money taken, or why none was."""
    if payment.status is PaymentStatus.CHARGED:
        return PaymentCharged(
            order_id=payment.order_id,
            payment_id=payment.id,
            amount=payment.amount,
            currency=payment.currency,
        )
    compensated = payment.status is PaymentStatus.REFUNDED or (
        payment.decline_reason == CANCELLED_BEFORE_CHARGE
    )
    reason = CANCELLED if compensated else payment.decline_reason
    return PaymentDeclined(order_id=payment.order_id, reason=reason)


def refund_event(payment: Payment) -> PaymentRefunded:
    """The event that answers a RefundPayment: what was given back, 0 if nothing was taken."""
    refunded = payment.amount if payment.status is PaymentStatus.REFUNDED else 0
    return PaymentRefunded(order_id=payment.order_id, amount=refunded)


@contextmanager
def _retried_while_unavailable() -> Iterator[None]:
    """The provider gave no answer: the consumer waits it out, never dead-letters."""
    try:
        yield
    except UpstreamUnavailable as unavailable:
        raise DependencyOutageError(str(unavailable)) from unavailable
