"""The packages lean one way: each imports only the layers below it, and declares them.

    services/*, gateway          the deployables: kit and contracts only, never each other
    libs/testing                 fixtures and stand-ins: anything below it
    benchmarks                   the harness: the stack, the drills' load generator, the
                                 gateway's own rate-limit script it measures (ADR 0006), and
                                 the order and inventory services' apps, two versions of
                                 each side by side
    deploy/local                 the stack runner (reads the topic catalogue from contracts)
    deploy/docker                the images and the compose stack, from the stack's config
    deploy/drills                the auditor and load generator (contracts and kit), and the
                                 chaos drills' drivers of the local and compose stacks
    libs/contracts               messages and the topic catalogue, on the kit
    libs/kit                     generic mechanisms: no other ShopFlow package, no pytest

Read from the source (every `import` of every module, `TYPE_CHECKING` blocks included) and
from each member's pyproject.toml, so that a wrong arrow fails here before review.
"""

import ast
import tomllib
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
KIT, CONTRACTS = "shopflow_kit", "shopflow_contracts"
STACK, DRILLS, TESTING = "shopflow_stack", "shopflow_drills", "shopflow_testing"
DOCKER = "shopflow_docker"
BENCHMARKS = "shopflow_benchmarks"
SERVICES = sorted(path.name for path in (ROOT / "services").iterdir() if (path / "src").is_dir())
DEPLOYABLES = [*(f"shopflow_{name.replace('-', '_')}" for name in SERVICES), "shopflow_gateway"]
# What each package may import of the workspace; a deployable may not import another.
ALLOWED = {
    KIT: set(),
    CONTRACTS: {KIT},
    STACK: {CONTRACTS, KIT},
    DRILLS: {CONTRACTS, KIT, STACK, DOCKER},
    DOCKER: {STACK, CONTRACTS, KIT},
    TESTING: {KIT, CONTRACTS, STACK, DOCKER},
    BENCHMARKS: {
        KIT,
        CONTRACTS,
        STACK,
        DRILLS,
        "shopflow_gateway",
        "shopflow_order",
        "shopflow_inventory",
    },
    **{deployable: {KIT, CONTRACTS} for deployable in DEPLOYABLES},
}
DEV_ONLY = {"pytest", "pytest_asyncio", "hypothesis", "schemathesis", "testcontainers"}


def member(package: str) -> Path:
    """The workspace member folder of a package: where its pyproject.toml is."""
    [source] = [*ROOT.glob(f"*/*/src/{package}"), *ROOT.glob(f"*/src/{package}")]
    return source.parents[1]


def imported(package: str) -> set[str]:
    """The top-level names every module of the package imports."""
    names: set[str] = set()
    for module in (member(package) / "src" / package).rglob("*.py"):
        for node in ast.walk(ast.parse(module.read_text(), str(module))):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module.split(".")[0])
    return names


def declared(package: str) -> set[str]:
    """The workspace packages its pyproject.toml depends on (extras too), by import name."""
    project = tomllib.loads((member(package) / "pyproject.toml").read_text())["project"]
    extras = project.get("optional-dependencies", {}).values()
    requirements = [
        r.split("[")[0].split(">")[0].strip()
        for r in [*project["dependencies"], *(r for extra in extras for r in extra)]
    ]
    return {r.replace("-", "_") for r in requirements if r.startswith("shopflow-")}


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_a_package_imports_only_the_layers_below_it(package):
    workspace = {name for name in imported(package) if name.startswith("shopflow_")}

    assert workspace - {package} <= ALLOWED[package]


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_a_package_declares_the_workspace_packages_it_imports(package):
    workspace = {name for name in imported(package) if name.startswith("shopflow_")}

    assert workspace - {package} <= declared(package)


@pytest.mark.parametrize("package", sorted(set(ALLOWED) - {TESTING}))
def test_test_tools_stay_out_of_what_ships(package):
    assert not imported(package) & DEV_ONLY
