"""A bounded schemathesis run over the gateway's OpenAPI, in front of the real services.

Every operation gets valid and invalid input, with an admin's token so that the calls
reach the services: no answer may be a 5xx, and every error must be problem+json.
"""

import asyncio

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode

pytestmark = pytest.mark.integration

EXAMPLES_PER_MODE = 12  # per operation: about 300 calls, well under a minute


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
                media_type = response.headers.get("content-type", [""])[0]
                where = f"{case.method} {case.formatted_path} -> {response.status_code}"
                if response.status_code >= 500:
                    failures.append(f"{where}: {response.text[:200]}")
                elif response.status_code >= 400 and media_type != "application/problem+json":
                    failures.append(f"{where}: {media_type}")

            call()
    return failures


async def test_fuzzing_the_api_finds_no_5xx_and_only_problem_errors(gateway):
    failures = await asyncio.to_thread(fuzz, str(gateway.client.base_url), gateway.admin())

    assert not failures, "\n".join(failures[:20])
