"""What the package exports; each name is imported on first use (see `__init__.py`)."""

from .app import LifecycleHook, create_app, serve
from .background import BackgroundJob
from .checks import database_check
from .db import AppDatabase, Database, DbSession, service_metadata
from .health import Readiness, ReadinessCheck
from .identity import Caller, CurrentCaller, CustomerId, require_role
from .logging import configure_logging, current_log_context, log_context
from .metrics import ServiceMetrics
from .problems import (
    PROBLEM_BASE,
    DomainError,
    Problem,
    ProblemDetails,
    ProblemType,
    documented_problems,
)
from .retry_budget import RetryPolicy
from .settings import ServiceSettings
from .upstream import Upstream, UpstreamPolicy, UpstreamUnavailable

__all__ = [
    "PROBLEM_BASE",
    "AppDatabase",
    "BackgroundJob",
    "Caller",
    "CurrentCaller",
    "CustomerId",
    "Database",
    "DbSession",
    "DomainError",
    "LifecycleHook",
    "Problem",
    "ProblemDetails",
    "ProblemType",
    "Readiness",
    "ReadinessCheck",
    "RetryPolicy",
    "ServiceMetrics",
    "ServiceSettings",
    "Upstream",
    "UpstreamPolicy",
    "UpstreamUnavailable",
    "configure_logging",
    "create_app",
    "current_log_context",
    "database_check",
    "documented_problems",
    "log_context",
    "require_role",
    "serve",
    "service_metadata",
]
