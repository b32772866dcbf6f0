"""The services the payment service calls: the payment provider (the PSP), as payments need
it: charge, refund, and read its ledger.

Every call goes through the kit's `Upstream`: a timeout, jittered retries (each POST carries
an Idempotency-Key, so a retry replays the first answer instead of charging again), a retry
budget and a circuit breaker. When the provider cannot answer, `UpstreamUnavailable` is
raised, and the caller tries again later with the same key.
"""

import uuid
from typing import Literal, TypeVar

import httpx
from prometheus_client import CollectorRegistry
from pydantic import BaseModel, ValidationError

from shopflow_kit.retry_budget import IDEMPOTENCY_KEY_HEADER
from shopflow_kit.upstream import UNAVAILABLE_STATUSES, Upstream, UpstreamPolicy

Body = TypeVar("Body", bound=BaseModel)

# A PSP's 500 leaves a charge's fate unknown: as for no answer, try again later with the
# same key (which finds or replays it), and let the breaker count it (ADR 0009).
PROVIDER_UNAVAILABLE = frozenset({500, *UNAVAILABLE_STATUSES})


class ProviderCharge(BaseModel):
    """A charge as the provider records it; fields payments does not need are ignored."""

    id: str
    status: Literal["succeeded", "failed"]
    amount: int
    currency: str
    source: str
    decline_code: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.status == "succeeded"


class _Decline(BaseModel):
    charge_id: str
    decline_code: str


class _Problem(BaseModel):
    type: str


class _Refund(BaseModel):
    id: str


class _Ledger(BaseModel):
    data: list[ProviderCharge]


class ChargeRefusedError(Exception):
    """The provider refused the charge request itself (not the card): retrying cannot help."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ProviderContractError(Exception):
    """The provider answered something its API does not promise."""


class PaymentProvider:
    def __init__(
        self,
        base_url: str,
        policy: UpstreamPolicy,
        *,
        registry: CollectorRegistry,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._upstream = Upstream(
            "payment-provider",
            base_url,
            policy,
            registry=registry,
            transport=transport,
            unavailable_statuses=PROVIDER_UNAVAILABLE,
        )

    async def charge(
        self, *, order_id: uuid.UUID, amount: int, currency: str, source: str
    ) -> ProviderCharge:
        """Charge the order, at most once whatever happens: its id is the idempotency key.

        A declined card is an answer (a failed charge), not an error.
        """
        body = {
            "amount": amount,
            "currency": currency,
            "source": source,
            "metadata": {"order_id": str(order_id)},
        }
        response = await self._upstream.request(
            "POST", "/v1/charges", json=body, headers={IDEMPOTENCY_KEY_HEADER: str(order_id)}
        )
        if response.status_code == 201:
            return _parse(ProviderCharge, response)
        if response.status_code == 402:
            decline = _parse(_Decline, response)
            return ProviderCharge(
                id=decline.charge_id,
                status="failed",
                amount=amount,
                currency=currency,
                source=source,
                decline_code=decline.decline_code,
            )
        if response.status_code == 422:
            slug = _parse(_Problem, response).type.rsplit("/", 1)[-1]
            raise ChargeRefusedError(slug)
        raise _unexpected(response)

    async def refund(self, *, order_id: uuid.UUID, charge_id: str) -> str:
        """Refund all that is left of the charge, at most once per order; the refund's id."""
        response = await self._upstream.request(
            "POST",
            "/v1/refunds",
            json={"charge_id": charge_id},
            headers={IDEMPOTENCY_KEY_HEADER: f"refund-{order_id}"},
        )
        if response.status_code != 201:
            raise _unexpected(response)
        return _parse(_Refund, response).id

    async def charge_for_order(self, order_id: uuid.UUID) -> ProviderCharge | None:
        """The charge made with the order's key, found even if its answer never arrived."""
        response = await self._upstream.request(
            "GET", "/v1/charges", params={"idempotency_key": str(order_id)}
        )
        if response.status_code != 200:
            raise _unexpected(response)
        charges = _parse(_Ledger, response).data
        return charges[0] if charges else None

    async def aclose(self) -> None:
        await self._upstream.aclose()


def _parse(body: type[Body], response: httpx.Response) -> Body:
    try:
        return body.model_validate_json(response.content)
    except ValidationError as error:
        raise ProviderContractError(f"{response.request.url}: {error}") from error


def _unexpected(response: httpx.Response) -> ProviderContractError:
    return ProviderContractError(
        f"{response.request.method} {response.request.url} answered {response.status_code}: "
        f"{response.text[:500]}"
    )
