"""Orchestrated sagas: a definition that reads as the flow, a pure engine, a persistent store."""

from shopflow_kit.saga.definition import Compensation, SagaDefinition, Step
from shopflow_kit.saga.engine import (
    CancelRefusedError,
    Decision,
    Outgoing,
    Saga,
    SagaState,
    SagaStatus,
)
from shopflow_kit.saga.store import Outbox, SagaEvent, SagaStore
from shopflow_kit.saga.tables import SAGA_HISTORY, SAGAS

__all__ = [
    "SAGAS",
    "SAGA_HISTORY",
    "CancelRefusedError",
    "Compensation",
    "Decision",
    "Outbox",
    "Outgoing",
    "Saga",
    "SagaDefinition",
    "SagaEvent",
    "SagaState",
    "SagaStatus",
    "SagaStore",
    "Step",
]
