"""Faults switched on at run time, so the payment service's retries and breaker meet real trouble.

They live in this process's memory (each simulator process has its own) and apply to the
/v1 API only: health, readiness, metrics and /admin always answer.
"""

import asyncio
import random
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from shopflow_kit import Problem, ProblemType

PROVIDER_OUTAGE = ProblemType(503, "provider-outage", "Provider outage")
SIMULATED_FAULTS = tuple(ProblemType(s, "simulated-fault", "Simulated fault") for s in (500, 503))
SIMULATED_LOST_RESPONSE = ProblemType(500, "simulated-lost-response", "Simulated lost response")
FAULTS = (PROVIDER_OUTAGE, *SIMULATED_FAULTS, SIMULATED_LOST_RESPONSE)
"""What /admin/faults can make any /v1 route answer."""


class FaultConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    latency_ms: int = Field(0, ge=0, le=30_000, description="Added before every /v1 call.")
    error_rate: float = Field(
        0, ge=0, le=1, description="Share of /v1 calls refused with a 500 or 503, doing nothing."
    )
    outage: bool = Field(False, description="Every /v1 call is refused with a 503.")
    fail_after_commit_rate: float = Field(
        0,
        ge=0,
        le=1,
        description="Share of /v1 POSTs whose charge or refund is recorded, "
        "yet answered with a 500: the response is lost.",
    )


class Faults:
    """The fault configuration in force, and the dice it is played with."""

    def __init__(self, dice: random.Random | None = None) -> None:
        self.config = FaultConfig()
        self._dice = dice or random.Random()

    async def before_call(self) -> None:
        """Delay, then refuse the call if the configuration says so."""
        if self.config.latency_ms:
            await asyncio.sleep(self.config.latency_ms / 1000)
        if self.config.outage:
            raise Problem(PROVIDER_OUTAGE, "Simulated outage.")
        if self._hits(self.config.error_rate):
            raise Problem(self._dice.choice(SIMULATED_FAULTS), "Nothing was done.")

    def after_commit(self, method: str) -> None:
        """Lose the response of a write that has been committed."""
        if method == "POST" and self._hits(self.config.fail_after_commit_rate):
            raise Problem(
                SIMULATED_LOST_RESPONSE, "The request was carried out, but its response is lost."
            )

    def _hits(self, rate: float) -> bool:
        return self._dice.random() < rate


async def current_faults(request: Request) -> Faults:
    faults: Faults = request.app.state.faults
    return faults


CurrentFaults = Annotated[Faults, Depends(current_faults)]


async def inject_faults(request: Request, faults: CurrentFaults) -> AsyncIterator[None]:
    """The /v1 routes' faults: some before the call, some once its transaction committed."""
    await faults.before_call()
    yield
    faults.after_commit(request.method)
