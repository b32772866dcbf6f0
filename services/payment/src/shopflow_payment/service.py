"""Charging and refunding an order's payment: each at most once, whatever is redelivered or lost.

Both operations take the caller's session and never commit: the command handler commits
the outcome together with the event it causes. Both hold the order's lock meanwhile, so a
charge and a refund of one order never interleave.
"""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from shopflow_payment import repository
from shopflow_payment.models import Payment, PaymentStatus
from shopflow_payment.upstreams import ChargeRefusedError, PaymentProvider, ProviderCharge

CANCELLED_BEFORE_CHARGE = "cancelled_before_charge"


async def charge_payment(
    session: AsyncSession,
    provider: PaymentProvider,
    *,
    order_id: uuid.UUID,
    amount: int,
    currency: str,
    payment_method: str,
) -> Payment:
    """Charge the order once: an order with a recorded outcome gets it back, the provider unasked.

    CHARGED or DECLINED as the provider answers; FAILED if it refuses the request itself.
    Raises `UpstreamUnavailable` if the provider cannot answer now, recording nothing: the
    caller tries again later with the same idempotency key, which cannot charge twice even
    if this attempt was charged and only its answer was lost.
    """
    await repository.lock_order(session, order_id)
    recorded = await repository.for_order(session, order_id)
    if recorded is not None:
        return recorded
    payment = Payment(
        order_id=order_id, amount=amount, currency=currency, payment_method=payment_method
    )
    try:
        charge = await provider.charge(
            order_id=order_id, amount=amount, currency=currency, source=payment_method
        )
    except ChargeRefusedError as refused:
        payment.status, payment.decline_reason = PaymentStatus.FAILED, refused.reason
    else:
        _settle(payment, charge)
    session.add(payment)
    await session.flush()
    return payment


async def refund_payment(
    session: AsyncSession, provider: PaymentProvider, order_id: uuid.UUID
) -> Payment:
    """Give back what the order was charged; nothing to do if it was not. Repeat-safe.

    Without a settled record the provider's ledger decides, so that a charge whose answer
    was lost is refunded all the same.
    """
    await repository.lock_order(session, order_id)
    payment = await repository.for_order(session, order_id)
    if payment is None or payment.status is PaymentStatus.FAILED:
        payment = await _reconciled(session, provider, order_id, payment)
    if payment.status is PaymentStatus.CHARGED:
        assert payment.provider_charge_id is not None  # set with every CHARGED
        payment.provider_refund_id = await provider.refund(
            order_id=order_id, charge_id=payment.provider_charge_id
        )
        payment.status = PaymentStatus.REFUNDED
    await session.flush()
    return payment


async def _reconciled(
    session: AsyncSession,
    provider: PaymentProvider,
    order_id: uuid.UUID,
    payment: Payment | None,
) -> Payment:
    """The payment as the provider's ledger has it. Without any charge there, the order is
    recorded FAILED, so that a late ChargePayment for it charges nothing."""
    charge = await provider.charge_for_order(order_id)
    if payment is None:
        payment = Payment(
            order_id=order_id, status=PaymentStatus.FAILED, decline_reason=CANCELLED_BEFORE_CHARGE
        )
        session.add(payment)
    if charge is not None:
        payment.amount, payment.currency = charge.amount, charge.currency
        payment.payment_method = charge.source
        _settle(payment, charge)
    return payment


def _settle(payment: Payment, charge: ProviderCharge) -> None:
    payment.status = PaymentStatus.CHARGED if charge.succeeded else PaymentStatus.DECLINED
    payment.provider_charge_id = charge.id
    payment.decline_reason = charge.decline_code
