"""The compose files validate against the Compose specification, as Compose v2 reads it
(`docker compose config`: the spec's schema, then its own checks), in every combination
`make compose-up` can ask for. Needs only the compose binary, no engine."""

from itertools import combinations

import pytest

from shopflow_docker.compose import OVERLAYS, ComposeStack
from shopflow_docker.engine import Engine, NoEngineError, compose_tool
from shopflow_stack.config import load

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def engine() -> Engine:
    try:
        return Engine(docker="docker", compose=(str(compose_tool()),), server_version="")
    except NoEngineError as error:
        pytest.skip(f"compose validation: {error}")


@pytest.mark.parametrize("images", ["official", "offline"])
@pytest.mark.parametrize(
    "overlays",
    [c for n in range(len(OVERLAYS) + 1) for c in combinations(sorted(OVERLAYS), n)],
    ids=lambda overlays: "+".join(overlays) or "base",
)
def test_the_compose_files_are_valid(engine: Engine, images, overlays):
    stack = ComposeStack(engine, load(), "shopflow-validate", images, overlays)

    result = stack.run("config", "--quiet", capture=True, check=False)

    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # no warning either (an unset variable, an obsolete key)
