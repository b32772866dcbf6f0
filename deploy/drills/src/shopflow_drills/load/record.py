"""What each client of a load run was told, kept as JSON so the auditor can hold the shop to it.

Every order the generator meant to place is one `ClientOrder`: its Idempotency-Key, every
attempt (status, Retry-After, the id a 202 gave), the customer's cancel if it sent one,
and the outcome it read at the end. Times are seconds from the run's start on the
client's monotonic clock (`started_at` is that instant on the wall clock); the order's own
timestamps (`created_at`, `updated_at`) are the order service's clock, as the API gives them.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

Kind = Literal["approved", "declined", "out_of_stock", "cancelled"]
KINDS: tuple[Kind, ...] = ("approved", "declined", "out_of_stock", "cancelled")


class Attempt(BaseModel):
    sent_at: float  # seconds from the run's start
    latency: float  # seconds until the answer (or the error)
    status: int | None = None  # None: no HTTP answer at all (refused, reset, timed out)
    error: str | None = None
    problem: str | None = None  # a refusal's problem type, its last segment: "rate-limited"
    retry_after: float | None = None
    order_id: str | None = None  # what a 202 said
    late: bool = False  # the client came back once the run was over, same key (`come_back`)

    @property
    def indeterminate(self) -> bool:
        """A 5xx or no answer: the client cannot tell whether its order was taken (the shop
        may have committed it and died before answering). A 4xx is a definite no."""
        return self.order_id is None and (self.status is None or self.status >= 500)


class CancelAttempt(BaseModel):
    sent_at: float
    status: int | None = None  # 200 cancelled, 202 cancelling, 409 already confirmed
    error: str | None = None


class Outcome(BaseModel):
    """The order as the client last read it."""

    status: str
    reason: str | None = None
    total: int
    created_at: datetime
    updated_at: datetime  # the order service's clock: when its status last changed
    finished_at: datetime | None = None  # its saga's last entry
    observed_at: float  # the client's clock, seconds from the run's start

    @property
    def final(self) -> bool:
        return self.status in ("CONFIRMED", "CANCELLED")

    @property
    def placed_to_final(self) -> float:
        """Seconds from placed to final on the order service's clock."""
        return (self.updated_at - self.created_at).total_seconds()


class ClientOrder(BaseModel):
    key: str  # its Idempotency-Key: every retry sent it again
    customer: str
    kind: Kind
    scheduled_at: float  # when the open-loop schedule said to send it
    attempts: list[Attempt] = Field(default_factory=list)
    cancel: CancelAttempt | None = None
    outcome: Outcome | None = None

    @property
    def order_id(self) -> str | None:
        """The id the shop gave (its first 202), or None if it never accepted the order."""
        return next((a.order_id for a in self.attempts if a.order_id), None)

    @property
    def unresolved(self) -> bool:
        """Never accepted, and the last answer did not say no: the client does not know."""
        return self.order_id is None and bool(self.attempts) and self.attempts[-1].indeterminate

    @property
    def accepted_late(self) -> bool:
        """Accepted only when its client came back after the run (its key converged then)."""
        return any(a.order_id and a.late for a in self.attempts) and not any(
            a.order_id and not a.late for a in self.attempts
        )

    @property
    def accepted_after(self) -> float | None:
        """Seconds from the scheduled send to the 202: the wait a customer saw, retries included."""
        for attempt in self.attempts:
            if attempt.order_id and not attempt.late:  # a come-back is no wait: it gave up
                return attempt.sent_at + attempt.latency - self.scheduled_at
        return None


class LoadRecord(BaseModel):
    version: Literal[1] = 1
    gateway: str
    started_at: datetime  # the wall clock at second 0 of the run
    rate: float  # orders a second, offered (the first stage's)
    duration: float  # seconds of arrivals
    # Each stage's (rate, seconds) when the rate changed during the run; empty: one stage.
    stages: list[tuple[float, float]] = Field(default_factory=list)
    mix: dict[str, float]
    skus: dict[str, str]  # what the run ordered: "in_stock", "out_of_stock"
    ended_at: float | None = None  # when the last arrival's answer came in (run clock)
    orders: list[ClientOrder] = Field(default_factory=list)

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.model_dump_json(indent=1))

    @classmethod
    def load(cls, path: Path) -> LoadRecord:
        return cls.model_validate_json(path.read_text())
