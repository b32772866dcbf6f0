"""The live breaker demo: the provider simulator's fault switches, and the state of the
payment service's breaker in front of the provider, as the payment service reports it.

Admins only, and only where settings allow (a simulator, never in production). The
breaker is read from the payment service's own `/metrics` (the kit's
`upstream_breaker_state`): with several payment replicas, it is the one that answered.
"""

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Request, Response
from prometheus_client.parser import text_string_to_metric_families
from pydantic import BaseModel

from shopflow_gateway.dependencies import Gateway, GatewayDep
from shopflow_gateway.proxy import call_upstream, read_whole, relay, relayed_headers, respond
from shopflow_gateway.security import RATE_LIMITED, AdminCaller, enforce_rate_limit
from shopflow_kit import Problem, ProblemType, Upstream, UpstreamUnavailable, documented_problems
from shopflow_kit.problems import FORBIDDEN, UNAUTHENTICATED, UPSTREAM_UNAVAILABLE

FAULTS_NOT_CONFIGURED = ProblemType(404, "provider-faults-not-configured", "No fault switches")
PATH = "/admin/faults"  # the simulator's: it wants a service token with the admin role
PROVIDER_UPSTREAM = "payment-provider"  # the payment service's name for its Upstream
BreakerState = Literal["closed", "open", "half-open"]
BREAKER_STATES: dict[str, BreakerState] = {
    "closed": "closed",
    "open": "open",
    "half-open": "half-open",
}
COMMON = (FAULTS_NOT_CONFIGURED, UNAUTHENTICATED, FORBIDDEN, RATE_LIMITED, UPSTREAM_UNAVAILABLE)

router = APIRouter(
    prefix="/api/v1/admin/provider", tags=["admin"], dependencies=[Depends(enforce_rate_limit)]
)


class ProviderState(BaseModel):
    faults: dict[str, Any]  # the simulator's FaultConfig, as it answers it
    breaker: BreakerState | None  # None: the payment service did not say


def _provider(gateway: Gateway) -> Upstream:
    if gateway.console.provider is None:
        detail = "Fault switches need SHOPFLOW_PAYMENT_PROVIDER_URL, outside production."
        raise Problem(FAULTS_NOT_CONFIGURED, detail)
    return gateway.console.provider


@router.get(
    "",
    response_model=ProviderState,
    summary="The provider's faults in force and the payment breaker's state",
    responses=documented_problems(*COMMON),
)
async def provider_state(
    request: Request, gateway: GatewayDep, caller: AdminCaller
) -> ProviderState | Response:
    answer = await call_upstream(request, _provider(gateway), PATH, caller, method="GET")
    body = await read_whole(answer)
    if answer.status_code != 200:
        return respond(body, answer.status_code, relayed_headers(answer))
    return ProviderState(faults=json.loads(body), breaker=await _payment_breaker(gateway))


@router.put(
    "/faults",
    summary="Replace the provider's faults; a field left out is off",
    responses=documented_problems(*COMMON),
)
async def replace_faults(
    request: Request,
    gateway: GatewayDep,
    caller: AdminCaller,
    _: Annotated[dict[str, Any], Body(examples=[{"outage": True}])],
) -> Response:
    # The body goes on as it came: the simulator validates it and answers its problems.
    body = await request.body()
    return relay(await call_upstream(request, _provider(gateway), PATH, caller, body=body))


@router.delete(
    "/faults",
    status_code=204,
    summary="Switch every provider fault off",
    responses=documented_problems(*COMMON),
)
async def clear_faults(request: Request, gateway: GatewayDep, caller: AdminCaller) -> Response:
    return relay(await call_upstream(request, _provider(gateway), PATH, caller))


async def _payment_breaker(gateway: Gateway) -> BreakerState | None:
    try:
        answer = await gateway.services.payment.request("GET", "/metrics")
    except UpstreamUnavailable:
        return None
    if answer.status_code != 200:
        return None
    for family in text_string_to_metric_families(answer.text):
        for sample in family.samples:
            if (
                sample.name == "upstream_breaker_state"
                and sample.labels.get("upstream") == PROVIDER_UPSTREAM
                and sample.value == 1
            ):
                return BREAKER_STATES.get(sample.labels.get("state", ""))
    return None
