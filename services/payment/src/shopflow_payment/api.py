"""REST: an order's payment, read-only (charges and refunds come as commands), for a caller
the gateway signed for: it has checked that the order is theirs."""

import uuid

from fastapi import APIRouter

from shopflow_kit import DbSession, Problem, ProblemType, documented_problems
from shopflow_kit.identity import authenticated
from shopflow_kit.problems import UNAUTHENTICATED, VALIDATION_ERROR
from shopflow_payment import repository
from shopflow_payment.schemas import PaymentRead

router = APIRouter(tags=["payments"], dependencies=[authenticated])

PAYMENT_NOT_FOUND = ProblemType(404, "payment-not-found", "Payment not found")


@router.get(
    "/payments",
    responses=documented_problems(VALIDATION_ERROR, UNAUTHENTICATED),
    summary="The payments of an order: none, or the one it has",
)
async def list_payments(order_id: uuid.UUID, session: DbSession) -> list[PaymentRead]:
    payments = await repository.list_for_order(session, order_id)
    return [PaymentRead.model_validate(payment) for payment in payments]


@router.get(
    "/payments/{payment_id}",
    responses=documented_problems(PAYMENT_NOT_FOUND, VALIDATION_ERROR, UNAUTHENTICATED),
    summary="One payment",
)
async def get_payment(payment_id: uuid.UUID, session: DbSession) -> PaymentRead:
    payment = await repository.by_id(session, payment_id)
    if payment is None:
        raise Problem(PAYMENT_NOT_FOUND, f"No payment {payment_id}.")
    return PaymentRead.model_validate(payment)
