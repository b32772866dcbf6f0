"""A saga shaped like place-order, for the saga engine's tests: reserve (undoable), charge
(undoable), commit (past the point of no return), each command carrying the order's id."""

from datetime import UTC, datetime, timedelta

from pydantic import BaseModel

from shopflow_kit.messaging import Message
from shopflow_kit.saga import Compensation, Decision, SagaDefinition, Step


class SampleData(BaseModel):
    id: str


class Reserve(Message):
    id: str


class Reserved(Message):
    id: str


class Rejected(Message):
    id: str


class Release(Message):
    id: str


class Released(Message):
    id: str


class Charge(Message):
    id: str


class Charged(Message):
    id: str


class Declined(Message):
    id: str


class Refund(Message):
    id: str


class Refunded(Message):
    id: str


class Commit(Message):
    id: str


class Committed(Message):
    id: str


DEFINITION: SagaDefinition[SampleData] = SagaDefinition(
    name="place-order",
    data=SampleData,
    steps=(
        Step(
            "reserve",
            send=lambda d: Reserve(id=d.id),
            to="stock",
            succeeded=Reserved,
            failed={Rejected: "out_of_stock"},
            compensation=Compensation(lambda d: Release(id=d.id), "stock", Released),
        ),
        Step(
            "charge",
            send=lambda d: Charge(id=d.id),
            to="money",
            succeeded=Charged,
            failed={Declined: "declined"},
            compensation=Compensation(lambda d: Refund(id=d.id), "money", Refunded),
        ),
        Step("commit", send=lambda d: Commit(id=d.id), to="stock", succeeded=Committed),
    ),
    step_deadline=timedelta(seconds=10),
    max_attempts=3,
    cancel_reason="cancelled_by_customer",
)

DATA = SampleData(id="o-1")
T0 = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def sent(decision: Decision) -> list[tuple[str, str]]:
    """(topic, command type) of each command the decision sends."""
    return [(o.topic, o.message.TYPE) for o in decision.send]
