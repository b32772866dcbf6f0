"""REST: an order's payment, read-only (charges and refunds come as commands)."""

import uuid

from fastapi import APIRouter

from shopflow_kit import DbSession, Problem, problem_responses
from shopflow_payment import repository
from shopflow_payment.schemas import PaymentRead

router = APIRouter(tags=["payments"])


@router.get(
    "/payments",
    response_model=list[PaymentRead],
    responses=problem_responses(422),
    summary="The payments of an order: none, or the one it has",
)
async def list_payments(order_id: uuid.UUID, session: DbSession) -> list[PaymentRead]:
    payments = await repository.list_for_order(session, order_id)
    return [PaymentRead.model_validate(payment) for payment in payments]


@router.get(
    "/payments/{payment_id}",
    response_model=PaymentRead,
    responses=problem_responses(404, 422),
    summary="One payment",
)
async def get_payment(payment_id: uuid.UUID, session: DbSession) -> PaymentRead:
    payment = await repository.by_id(session, payment_id)
    if payment is None:
        raise Problem(404, "payment-not-found", "Payment not found", f"No payment {payment_id}.")
    return PaymentRead.model_validate(payment)
