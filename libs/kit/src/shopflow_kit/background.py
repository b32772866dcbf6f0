"""Long-running jobs that live as long as the app: outbox relays, Kafka consumers.

A job that stops before shutdown, by crashing or by returning, is logged at once, fails
its readiness check (the instance is taken out of rotation) and fails liveness: nothing
restarts a job inside the process, so the process has to be restarted to do its work again.
"""

import asyncio
import logging
from collections.abc import Callable, Coroutine, Mapping
from typing import Any

from shopflow_kit.health import ReadinessCheck

logger = logging.getLogger(__name__)

BackgroundJob = Callable[[], Coroutine[Any, Any, None]]
"""A coroutine function meant to run until cancelled."""


class JobStoppedError(Exception):
    """A background job is no longer running."""


class BackgroundJobs:
    """Starts named jobs, watches them, and cancels them on shutdown."""

    def __init__(self, jobs: Mapping[str, BackgroundJob]) -> None:
        self._jobs = dict(jobs)
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._stopping = False

    def start(self) -> None:
        for name, job in self._jobs.items():
            task = asyncio.create_task(job(), name=name)
            task.add_done_callback(self._on_stopped)
            self._tasks[name] = task

    def check(self, name: str) -> ReadinessCheck:
        """A readiness check that fails once job `name` is no longer running."""

        async def job_running() -> None:
            task = self._tasks.get(name)
            if task is None:
                raise JobStoppedError("not started")
            if task.done():
                raise JobStoppedError(_stop_reason(task))

        return job_running

    def stopped(self) -> dict[str, str]:
        """The jobs that stopped on their own, each with why; empty during shutdown."""
        if self._stopping:
            return {}
        return {name: _stop_reason(task) for name, task in self._tasks.items() if task.done()}

    async def stop(self, timeout_seconds: float) -> None:
        """Cancel every job and wait up to `timeout_seconds` for them to finish."""
        self._stopping = True
        for task in self._tasks.values():
            task.cancel()
        if not self._tasks:
            return
        _, still_running = await asyncio.wait(self._tasks.values(), timeout=timeout_seconds)
        for task in still_running:
            logger.error("background job %s ignored cancellation", task.get_name())

    def _on_stopped(self, task: asyncio.Task[None]) -> None:
        if self._stopping and task.cancelled():
            return
        error = None if task.cancelled() else task.exception()
        logger.error(
            "background job %s stopped: %s", task.get_name(), _stop_reason(task), exc_info=error
        )


def _stop_reason(task: asyncio.Task[None]) -> str:
    if task.cancelled():
        return "cancelled"
    error = task.exception()
    return f"crashed with {type(error).__name__}: {error}" if error else "returned"
