"""Orchestrated sagas: a definition that reads as the flow, a pure engine, a persistent store."""

from shopflow_kit.saga.definition import Compensation, SagaData, SagaDefinition, Step
from shopflow_kit.saga.engine import (
    CancelRefusedError,
    Decision,
    Outgoing,
    Saga,
    SagaState,
    SagaStatus,
)
from shopflow_kit.saga.store import Outbox, SagaStore
from shopflow_kit.saga.tables import saga_tables

__all__ = [
    "CancelRefusedError",
    "Compensation",
    "Decision",
    "Outbox",
    "Outgoing",
    "Saga",
    "SagaData",
    "SagaDefinition",
    "SagaState",
    "SagaStatus",
    "SagaStore",
    "Step",
    "saga_tables",
]
