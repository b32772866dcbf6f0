"""A violation: which invariant, what kind of break, what is wrong, and the ids involved."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Violation:
    invariant: str  # DESIGN.md's number ("1" … "6"), "notified" or "client"
    kind: str  # a stable slug a drill can count: "double-charge", "lost-order", …
    detail: str  # one line, for a person
    ids: tuple[str, ...] = ()  # orders, charges, skus, messages: whatever finds it again

    def line(self) -> str:
        return f"[{self.invariant}] {self.kind}: {self.detail}"


INVARIANTS = {
    "1": "once quiet, every order is CONFIRMED or CANCELLED",
    "2": "confirmed: charged once, kept, stock sold; cancelled: nothing kept, nothing held",
    "3": "per product, stocked = available + reserved + sold; nothing reserved once quiet",
    "4": "the provider's ledger and the payment service agree; no order charged twice",
    "5": "every outbox row published; every dead letter reported",
    "6": "no order cancelled for timeout (counted; a violation when asked)",
    "notified": "every final order's customer told its outcome, once, truthfully",
    "client": "what clients were told agrees with the shop: nothing accepted lost or doubled",
}
