"""The local stack, compose and Helm run one shop: same images, ports, variables, topics."""

from pathlib import Path

import pytest
import yaml

from shopflow_stack.config import REPO_ROOT, load
from shopflow_stack.deploy_check import (
    check_compose,
    check_helm,
    check_shared_env,
    infra_images,
    shared_env,
    stack_units,
)

pytestmark = pytest.mark.kubernetes

VALUES = pytest.mark.parametrize(
    "values", ["", "values-multinode.yaml"], ids=["defaults", "multinode"]
)
COMPOSE_FILES = (
    "docker-compose.yml",
    "compose.yaml",
    "deploy/docker/docker-compose.yml",
)


@pytest.fixture(scope="module")
def units():
    return stack_units()


@VALUES
def test_helm_runs_each_service_as_the_local_stack_does(rendered_objects, units, values):
    assert check_helm(rendered_objects[values], units) == []


def test_helm_shares_the_local_stacks_variables(rendered_objects, units):
    stack_env = load().environment()

    shared = shared_env(rendered_objects[""], release="shopflow")

    assert check_shared_env(shared, stack_env, units) == []


def test_compose_runs_each_service_as_helm_and_the_local_stack_do(units, rendered_objects):
    compose_file = next(
        (REPO_ROOT / path for path in COMPOSE_FILES if (REPO_ROOT / path).exists()), None
    )
    if compose_file is None:
        pytest.skip(f"no compose file on this branch yet (looked for {', '.join(COMPOSE_FILES)})")
    compose = yaml.safe_load(Path(compose_file).read_text())

    assert check_compose(compose, units, load().environment()) == []
    helm_images = {
        container["image"]
        for obj in rendered_objects[""]
        if obj["kind"] in ("StatefulSet", "Deployment")
        for container in obj["spec"]["template"]["spec"]["containers"]
    }
    assert set(infra_images(compose).values()) <= helm_images
