"""Configuration, from ORDER_* environment variables (and the stack's shared SHOPFLOW_* ones)."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shopflow_contracts.topics import BusSettings
from shopflow_kit.upstream import UpstreamPolicy


class OrderSettings(BusSettings):
    model_config = SettingsConfigDict(env_prefix="ORDER_")

    service_name: str = "order"
    port: int = 8001
    database_url: str
    inventory_url: str = Field(validation_alias="SHOPFLOW_INVENTORY_URL")
    # ORDER_INVENTORY_POLICY='{"timeout_seconds": 2, "breaker_fail_max": 3}' tunes the calls.
    inventory_policy: UpstreamPolicy = UpstreamPolicy()
    # The place-order saga: how long a step waits for its reply before sending its command
    # again, how many sends before it gives up and compensates, how often deadlines are swept.
    saga_step_deadline_seconds: float = Field(default=10, gt=0)
    saga_max_attempts: int = Field(default=3, ge=1)
    saga_sweep_interval_seconds: float = Field(default=0.5, gt=0)
    # Admission control (see admission.py): new orders are refused with 503 + Retry-After
    # while sagas take longer than this (default: a third of the step deadline) and at
    # least `admission_min_backlog` of them are in flight.
    admission_max_latency_seconds: float | None = Field(default=None, gt=0)
    admission_min_backlog: int = Field(default=20, ge=1)

    @property
    def admission_max_latency(self) -> float:
        return self.admission_max_latency_seconds or self.saga_step_deadline_seconds / 3
