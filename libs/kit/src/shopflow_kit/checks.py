"""Readiness checks for the infrastructure a service depends on.

A check does a cheap real round-trip, not a TCP connect: a dependency that accepts
connections but cannot answer is not ready. Kafka's is the messaging jobs' own (a job
that stopped fails its check); Redis is no service's dependency to be ready for (the
gateway serves without it, ADR 0005).
"""

from shopflow_kit.db import Database
from shopflow_kit.health import ReadinessCheck


def database_check(database: Database) -> ReadinessCheck:
    """`SELECT 1` through the service's connection pool."""
    return database.ping
