"""The place-order saga, as it runs: reserve the stock, charge the payment, commit the stock.

The first two steps can be undone (release the stock, refund the payment); committing
the stock cannot, so once the payment is charged the order is confirmed and the saga
only finishes its work. The saga's data is what its commands need (`PlaceOrderData`),
stored as JSON with the saga.
"""

import uuid
from datetime import timedelta

from pydantic import BaseModel, ConfigDict

from shopflow_contracts.inventory import (
    CommitStock,
    ReleaseStock,
    ReserveStock,
    StockCommitted,
    StockLine,
    StockRejected,
    StockReleased,
    StockReserved,
)
from shopflow_contracts.payment import (
    ChargePayment,
    PaymentCharged,
    PaymentDeclined,
    PaymentRefunded,
    RefundPayment,
)
from shopflow_contracts.topics import Topics
from shopflow_kit.saga import Compensation, SagaDefinition, Step
from shopflow_order.models import CancellationReason, Order


class PlaceOrderData(BaseModel):
    """What the saga's commands say about the order."""

    model_config = ConfigDict(frozen=True)

    order_id: uuid.UUID
    customer_id: str
    lines: tuple[StockLine, ...]
    total: int  # minor units of `currency`
    currency: str
    payment_method: str

    @classmethod
    def of(cls, order: Order) -> "PlaceOrderData":
        lines = tuple(StockLine(sku=line.sku, quantity=line.quantity) for line in order.lines)
        return cls(
            order_id=order.id,
            customer_id=order.customer_id,
            lines=lines,
            total=order.total,
            currency=order.currency,
            payment_method=order.payment_method,
        )


def place_order_saga(
    topics: Topics, step_deadline: timedelta, max_attempts: int
) -> SagaDefinition[PlaceOrderData]:
    return SagaDefinition(
        name="place-order",
        data=PlaceOrderData,
        steps=(
            Step(
                "reserve_stock",
                send=lambda data: ReserveStock(order_id=data.order_id, lines=data.lines),
                to=topics.inventory_commands,
                succeeded=StockReserved,
                failed={StockRejected: CancellationReason.OUT_OF_STOCK},
                compensation=Compensation(
                    send=lambda data: ReleaseStock(order_id=data.order_id),
                    to=topics.inventory_commands,
                    done_when=StockReleased,
                ),
            ),
            Step(
                "charge_payment",
                send=lambda data: ChargePayment(
                    order_id=data.order_id,
                    amount=data.total,
                    currency=data.currency,
                    payment_method=data.payment_method,
                ),
                to=topics.payment_commands,
                succeeded=PaymentCharged,
                failed={PaymentDeclined: CancellationReason.PAYMENT_DECLINED},
                compensation=Compensation(
                    send=lambda data: RefundPayment(order_id=data.order_id),
                    to=topics.payment_commands,
                    done_when=PaymentRefunded,
                ),
            ),
            # The point of no return: the customer has paid, so this is sent until it is done.
            Step(
                "commit_stock",
                send=lambda data: CommitStock(order_id=data.order_id),
                to=topics.inventory_commands,
                succeeded=StockCommitted,
            ),
        ),
        step_deadline=step_deadline,
        max_attempts=max_attempts,
        timeout_reason=CancellationReason.TIMED_OUT,
        cancel_reason=CancellationReason.CANCELLED_BY_CUSTOMER,
    )
