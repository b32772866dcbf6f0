"""The test cards the simulator knows, as in a PSP's test mode: each token's fixed fate."""

from dataclasses import dataclass


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
