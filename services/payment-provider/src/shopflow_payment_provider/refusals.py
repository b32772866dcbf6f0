"""The problem a client sees for each request the ledger refuses; slugs are part of the API."""

from shopflow_kit import Problem
from shopflow_payment_provider import service


def refusal(error: service.RequestRefusedError) -> Problem:
    match error:
        case service.UnknownSourceError():
            return Problem(422, "invalid-source", "Invalid source", f"{error} is not a test card.")
        case service.IdempotencyKeyReusedError():
            detail = f"Idempotency-Key {error} was first used with a different request body."
            return Problem(422, "idempotency-key-reused", "Idempotency key reused", detail)
        case service.ChargeNotFoundError():
            return Problem(404, "charge-not-found", "Charge not found", f"No charge {error}.")
        case service.ChargeNotRefundableError():
            detail = f"Charge {error} did not succeed: there is nothing to refund."
            return Problem(409, "charge-not-refundable", "Charge not refundable", detail)
        case service.RefundExceedsChargeError(refundable=refundable):
            detail = f"Only {refundable} is left to refund."
            return Problem(
                409, "refund-exceeds-charge", "Refund exceeds charge", detail, refundable=refundable
            )
    raise AssertionError(f"no problem for {error!r}")
