"""The PSP-style API under /v1: charges, refunds and the ledger they leave."""

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from starlette.responses import JSONResponse

from shopflow_kit import DbSession, Problem, ProblemType, documented_problems
from shopflow_kit.problems import VALIDATION_ERROR
from shopflow_kit.text import STORABLE
from shopflow_payment_provider import repository, service
from shopflow_payment_provider.domain import (
    ChargeNotFoundError,
    ChargeNotRefundableError,
    IdempotencyKeyReusedError,
    RefundExceedsChargeError,
    UnknownSourceError,
)
from shopflow_payment_provider.faults import FAULTS, inject_faults
from shopflow_payment_provider.models import ChargeStatus
from shopflow_payment_provider.schemas import (
    ChargeCreate,
    ChargePage,
    ChargeRead,
    RefundCreate,
    RefundRead,
)

# Declared here, inject_faults runs before the routes' own session and exits after its commit.
router = APIRouter(prefix="/v1", dependencies=[Depends(inject_faults, scope="function")])

IdempotencyKey = Annotated[
    str,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        description="Repeating a request with the same key and body returns the first result.",
    ),
]
REPLAYED_HEADER = "Idempotent-Replayed"
CARD_DECLINED = ProblemType(402, "card-declined", "Card declined")


@router.post(
    "/charges",
    status_code=201,
    response_model=ChargeRead,
    responses=documented_problems(
        CARD_DECLINED,
        VALIDATION_ERROR,
        UnknownSourceError,
        IdempotencyKeyReusedError,
        *FAULTS,
    ),
    tags=["charges"],
    summary="Charge a test card; a declined card is a 402 `card-declined`",
)
async def create_charge(
    body: ChargeCreate,
    idempotency_key: IdempotencyKey,
    session: DbSession,
    request: Request,
    response: Response,
) -> ChargeRead | JSONResponse:
    answer = await service.create_charge(session, idempotency_key, body)
    headers = {REPLAYED_HEADER: "true"} if answer.replayed else {}
    charge = answer.entry
    if charge.status is ChargeStatus.FAILED:
        # Returned, not raised, so that the declined charge is committed and replayed too.
        declined = Problem(
            CARD_DECLINED,
            f"The card was declined ({charge.decline_code}).",
            decline_code=charge.decline_code,
            charge_id=charge.id,
        )
        return declined.response(instance=request.url.path, headers=headers)
    response.headers.update(headers)
    return ChargeRead.model_validate(charge)


@router.get(
    "/charges",
    responses=documented_problems(ChargeNotFoundError, VALIDATION_ERROR, *FAULTS),
    tags=["ledger"],
    summary="The ledger's charges (declined ones included), oldest first",
)
async def list_charges(
    session: DbSession,
    idempotency_key: Annotated[str | None, Query(max_length=255, pattern=STORABLE)] = None,
    order_id: Annotated[
        str | None, Query(max_length=500, pattern=STORABLE, description="metadata.order_id")
    ] = None,
    starting_after: Annotated[
        str | None, Query(max_length=32, pattern=STORABLE, description="a charge id")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> ChargePage:
    after = None
    if starting_after is not None:
        after = await repository.charge(session, starting_after)
        if after is None:
            raise ChargeNotFoundError(starting_after)
    found = await repository.charges(
        session,
        idempotency_key=idempotency_key,
        order_id=order_id,
        after=after,
        limit=limit + 1,  # one more than shown tells whether there is another page
    )
    return ChargePage(
        data=[ChargeRead.model_validate(charge) for charge in found[:limit]],
        has_more=len(found) > limit,
    )


@router.get(
    "/charges/{charge_id}",
    responses=documented_problems(ChargeNotFoundError, *FAULTS),
    tags=["ledger"],
    summary="One charge",
)
async def get_charge(charge_id: str, session: DbSession) -> ChargeRead:
    charge = await repository.charge(session, charge_id)
    if charge is None:
        raise ChargeNotFoundError(charge_id)
    return ChargeRead.model_validate(charge)


@router.post(
    "/refunds",
    status_code=201,
    responses=documented_problems(
        ChargeNotFoundError,
        ChargeNotRefundableError,
        RefundExceedsChargeError,
        VALIDATION_ERROR,
        IdempotencyKeyReusedError,
        *FAULTS,
    ),
    tags=["refunds"],
    summary="Refund a succeeded charge, by default all that is left of it",
)
async def create_refund(
    body: RefundCreate, idempotency_key: IdempotencyKey, session: DbSession, response: Response
) -> RefundRead:
    answer = await service.refund_charge(session, idempotency_key, body)
    if answer.replayed:
        response.headers[REPLAYED_HEADER] = "true"
    return RefundRead.model_validate(answer.entry)
