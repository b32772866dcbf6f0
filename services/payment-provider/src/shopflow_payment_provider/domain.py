"""The simulator's rules: the test cards it knows, as in a PSP's test mode (each token's
fixed fate), and the requests its ledger refuses, recording nothing.

Each refusal is a `DomainError` naming its problem: the kit answers it wherever it is
raised. Slugs are part of the API: never rename one.
"""

from dataclasses import dataclass

from shopflow_kit import DomainError, ProblemType


@dataclass(frozen=True)
class Card:
    """What happens when a charge uses this card; `decline_code` None means approved."""

    decline_code: str | None = None

    @property
    def approved(self) -> bool:
        return self.decline_code is None


TEST_CARDS: dict[str, Card] = {
    "tok_visa": Card(),
    "tok_mastercard": Card(),
    "tok_chargeDeclined": Card("generic_decline"),
    "tok_chargeDeclinedInsufficientFunds": Card("insufficient_funds"),
    "tok_chargeDeclinedExpiredCard": Card("expired_card"),
}


class UnknownSourceError(DomainError):
    """The payment source is not one of the simulator's test cards."""

    problem = ProblemType(422, "invalid-source", "Invalid source")

    def __init__(self, source: str) -> None:
        super().__init__(f"{source} is not a test card.")


class IdempotencyKeyReusedError(DomainError):
    """The key was first used with a different request body."""

    problem = ProblemType(422, "idempotency-key-reused", "Idempotency key reused")

    def __init__(self, key: str) -> None:
        super().__init__(f"Idempotency-Key {key} was first used with a different request body.")


class ChargeNotFoundError(DomainError):
    problem = ProblemType(404, "charge-not-found", "Charge not found")

    def __init__(self, charge_id: str) -> None:
        super().__init__(f"No charge {charge_id}.")


class ChargeNotRefundableError(DomainError):
    """Only a succeeded charge can be refunded."""

    problem = ProblemType(409, "charge-not-refundable", "Charge not refundable")

    def __init__(self, charge_id: str) -> None:
        super().__init__(f"Charge {charge_id} did not succeed: there is nothing to refund.")


class RefundExceedsChargeError(DomainError):
    problem = ProblemType(409, "refund-exceeds-charge", "Refund exceeds charge")

    def __init__(self, refundable: int) -> None:
        super().__init__(f"Only {refundable} is left to refund.", refundable=refundable)
