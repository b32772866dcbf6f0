"""Charging and refunding, each idempotent per `Idempotency-Key` as a real PSP's API is.

The first request with a key is carried out and recorded with a fingerprint of its body;
a later request with that key and the same body gets the recorded result, not a second
charge or refund; with another body, it is refused.
"""

import hashlib
import json
import secrets
from dataclasses import dataclass
from typing import Generic, TypeVar

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from shopflow_payment_provider import repository
from shopflow_payment_provider.domain import (
    TEST_CARDS,
    ChargeNotFoundError,
    ChargeNotRefundableError,
    IdempotencyKeyReusedError,
    RefundExceedsChargeError,
    UnknownSourceError,
)
from shopflow_payment_provider.models import Charge, ChargeStatus, Refund
from shopflow_payment_provider.schemas import ChargeCreate, RefundCreate

Entry = TypeVar("Entry", Charge, Refund)


@dataclass(frozen=True)
class Answer(Generic[Entry]):
    """A ledger entry, and whether it was recorded by an earlier request with the same key."""

    entry: Entry
    replayed: bool


async def create_charge(session: AsyncSession, key: str, request: ChargeCreate) -> Answer[Charge]:
    """Record the charge the test card decides: succeeded, or failed with a decline code."""
    card = TEST_CARDS.get(request.source)
    if card is None:
        raise UnknownSourceError(request.source)
    charge = Charge(
        id=f"ch_{secrets.token_hex(12)}",
        idempotency_key=key,
        request_fingerprint=fingerprint(request),
        status=ChargeStatus.SUCCEEDED if card.approved else ChargeStatus.FAILED,
        amount=request.amount,
        currency=request.currency,
        source=request.source,
        description=request.description,
        charge_metadata=request.metadata,
        decline_code=card.decline_code,
    )
    return _answer(charge, *await repository.add_once(session, charge))


async def refund_charge(session: AsyncSession, key: str, request: RefundCreate) -> Answer[Refund]:
    """Refund part or all of what is left of a succeeded charge."""
    # The lock serialises refunds of one charge, so together they never exceed it.
    charge = await repository.charge(session, request.charge_id, for_update=True)
    if charge is None:
        raise ChargeNotFoundError(request.charge_id)
    refund = Refund(
        id=f"re_{secrets.token_hex(12)}",
        idempotency_key=key,
        request_fingerprint=fingerprint(request),
        charge_id=charge.id,
        currency=charge.currency,
    )
    earlier = await repository.refund_by_key(session, key)
    if earlier is not None:
        return _answer(refund, earlier, created=False)
    if charge.status is not ChargeStatus.SUCCEEDED:
        raise ChargeNotRefundableError(charge.id)
    refundable = charge.amount - charge.amount_refunded
    refund.amount = refundable if request.amount is None else request.amount
    if not 0 < refund.amount <= refundable:
        raise RefundExceedsChargeError(refundable)
    answer = _answer(refund, *await repository.add_once(session, refund))
    if not answer.replayed:
        charge.amount_refunded += refund.amount
    return answer


def fingerprint(request: BaseModel) -> str:
    """The same for equal bodies, whatever their key order or whitespace."""
    canonical = json.dumps(request.model_dump(mode="json"), sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _answer(attempted: Entry, stored: Entry, created: bool) -> Answer[Entry]:
    if stored.request_fingerprint != attempted.request_fingerprint:
        raise IdempotencyKeyReusedError(attempted.idempotency_key)
    return Answer(stored, replayed=not created)
