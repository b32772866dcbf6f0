"""How each answer of the provider's API is understood; only a 422 means "never"."""

import uuid

import httpx
import pytest
from prometheus_client import CollectorRegistry

from shopflow_kit.upstream import UpstreamPolicy
from shopflow_payment.upstreams import ChargeRefusedError, PaymentProvider, ProviderContractError

pytestmark = pytest.mark.unit

ORDER = uuid.UUID("3f2a9c4e-0000-4000-8000-000000000001")
CHARGE = {
    "id": "ch_1",
    "status": "succeeded",
    "amount": 4599,
    "currency": "EUR",
    "source": "tok_visa",
    "decline_code": None,
}


def provider_answering(status, body):
    def answer(request):
        return httpx.Response(status, json=body)

    return PaymentProvider(
        "http://psp.test",
        UpstreamPolicy(),
        registry=CollectorRegistry(),
        transport=httpx.MockTransport(answer),
    )


async def charge(provider):
    return await provider.charge(order_id=ORDER, amount=4599, currency="EUR", source="tok_visa")


async def test_a_201_is_a_charge():
    assert (await charge(provider_answering(201, CHARGE))).succeeded


async def test_a_402_is_a_declined_charge_not_an_error():
    declined = await charge(
        provider_answering(402, {"charge_id": "ch_2", "decline_code": "expired_card"})
    )

    assert not declined.succeeded
    assert (declined.id, declined.decline_code, declined.amount) == ("ch_2", "expired_card", 4599)


async def test_a_422_is_a_refusal_named_by_its_problem_type():
    refusal = {"type": "https://shopflow.example/problems/invalid-source", "status": 422}

    with pytest.raises(ChargeRefusedError) as refused:
        await charge(provider_answering(422, refusal))

    assert refused.value.reason == "invalid-source"


@pytest.mark.parametrize(
    ("status", "body"), [(409, {"type": "x"}), (201, {"id": "ch_1"}), (200, CHARGE)]
)
async def test_anything_else_breaks_the_contract(status, body):
    with pytest.raises(ProviderContractError):
        await charge(provider_answering(status, body))
