"""Bounded schemathesis runs over the gateway's OpenAPI, in front of the real services.

Every operation gets valid and invalid input, with an admin's token so that the calls
reach the services; then a stateful run follows the OpenAPI links (a placed order to its
reads, cancel and details; a new product to its read and stock). No answer may be a
5xx, and every error must be problem+json.
"""

import asyncio
import contextlib
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Flaky, Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.core.transport import Response

from .conftest import TEST_POLICY

pytestmark = [
    pytest.mark.integration,
    # The services run in this process and draw from `random` (jittered backoff) while
    # Hypothesis generates: it takes that for a strategy of ours using `random`.
    pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning"),
]

EXAMPLES_PER_MODE = 12  # per operation: about 300 calls, well under a minute
SCENARIOS, STEPS = 25, 6  # the stateful run: at most 150 calls


def failure(case: schemathesis.Case, response: Response) -> str | None:
    """What is wrong with the answer, if anything: a 5xx, or an error not in problem+json."""
    media_type = response.headers.get("content-type", [""])[0]
    where = f"{case.method} {case.formatted_path} -> {response.status_code}"
    if response.status_code >= 500:
        return f"{where}: {response.text[:200]}"
    if response.status_code >= 400 and media_type != "application/problem+json":
        return f"{where}: {media_type}"
    return None


def fuzz(base_url: str, headers: dict[str, str]) -> list[str]:
    """The failures of a run against `base_url`, one line each (run off the event loop)."""
    schema = schemathesis.openapi.from_dict(httpx.get(f"{base_url}/openapi.json").json())
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(
                max_examples=EXAMPLES_PER_MODE,
                deadline=None,
                database=None,
                derandomize=True,  # the same cases on every run: a failure reproduces
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy(mode))
            def call(case: schemathesis.Case) -> None:
                response = case.call(base_url=base_url, headers=headers)
                if (found := failure(case, response)) is not None:
                    failures.append(found)

            try:
                call()
            except Unsatisfiable:
                # An operation that takes no input (GET /api/v1/console) has no invalid one.
                if mode is not GenerationMode.NEGATIVE:
                    raise
    return failures


def follow_links(base_url: str, headers: dict[str, str]) -> tuple[list[str], set[str]]:
    """The failures of a stateful run, and the operations it reached (off the event loop)."""
    schema = schemathesis.openapi.from_dict(httpx.get(f"{base_url}/openapi.json").json())
    failures: list[str] = []
    reached: set[str] = set()
    scenarios = 0

    class Shop(schema.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
            return {"base_url": base_url, "headers": headers}

        def validate_response(
            self, response: Response, case: schemathesis.Case, **kwargs: Any
        ) -> None:
            reached.add(case.operation.label)
            if (found := failure(case, response)) is not None:
                failures.append(found)

        def teardown(self) -> None:
            nonlocal scenarios
            scenarios += 1
            super().teardown()

    budget = settings(
        max_examples=SCENARIOS,
        stateful_step_count=STEPS,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    # A scenario draws its next step from what the live API answered before, so Hypothesis
    # may meet a choice it cannot replay (Flaky): as schemathesis's own runner does, start
    # a new suite until the budget of scenarios has run.
    for _ in range(SCENARIOS):
        with contextlib.suppress(Flaky):
            Shop.run(settings=budget)
        if scenarios >= SCENARIOS:
            break
    return failures, reached


@pytest.fixture
async def gateway(gateway_for):
    """A gateway that waits for its services as long as a busy machine needs: a slow answer
    must not pass for a 503 the input caused, nor hide one."""
    patient = TEST_POLICY.model_copy(update={"timeout_seconds": 30})
    return await gateway_for(upstream_policy=patient)


async def test_fuzzing_the_api_finds_no_5xx_and_only_problem_errors(gateway):
    failures = await asyncio.to_thread(fuzz, str(gateway.client.base_url), gateway.admin())

    assert not failures, "\n".join(failures[:20])


async def test_following_the_links_finds_no_5xx_and_reaches_the_order_routes(gateway):
    failures, reached = await asyncio.to_thread(
        follow_links, str(gateway.client.base_url), gateway.admin()
    )

    assert not failures, "\n".join(failures[:20])
    assert {"POST /api/v1/orders", "POST /api/v1/admin/products"} <= reached
    assert {path for path in reached if path.startswith("GET /api/v1/orders/{order_id}")}
