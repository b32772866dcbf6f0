"""ShopFlow's shared service kit: a service's `app.py` is one `create_app(...)` call."""

from shopflow_kit.app import LifecycleHook, create_app, serve
from shopflow_kit.background import BackgroundJob
from shopflow_kit.checks import database_check
from shopflow_kit.db import AppDatabase, Database, DbSession, service_metadata
from shopflow_kit.health import Readiness, ReadinessCheck
from shopflow_kit.identity import Caller, CurrentCaller, CustomerId, require_role
from shopflow_kit.logging import configure_logging, current_log_context, log_context
from shopflow_kit.metrics import ServiceMetrics
from shopflow_kit.problems import (
    PROBLEM_BASE,
    DomainError,
    Problem,
    ProblemDetails,
    ProblemType,
    documented_problems,
)
from shopflow_kit.retry_budget import RetryPolicy
from shopflow_kit.settings import ServiceSettings
from shopflow_kit.upstream import Upstream, UpstreamPolicy, UpstreamUnavailable

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
