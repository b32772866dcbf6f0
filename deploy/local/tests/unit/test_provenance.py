"""What an app was started from: the code it loads (its package, the workspace packages it
depends on, the lock) and its configuration; and what differs from a start now."""

import json
import textwrap

import pytest

from shopflow_stack.provenance import Provenance, Workspace

pytestmark = pytest.mark.unit

SHELF = ["/usr/bin/python3", "-m", "shopflow_shelf"]


def write(path, text=""):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))


def member(root, folder, name, *dependencies):
    module = name.replace("-", "_")
    deps = ", ".join(f'"{d}>=0.1"' for d in dependencies)
    project = f'[project]\nname = "{name}"\ndependencies = [{deps}]\n'
    write(root / folder / "pyproject.toml", project)
    write(root / folder / "src" / module / "__init__.py", f'"""{name}."""\n')


@pytest.fixture
def workspace(tmp_path):
    write(tmp_path / "pyproject.toml", '[tool.uv.workspace]\nmembers = ["libs/*", "services/*"]\n')
    write(tmp_path / "uv.lock", "version = 1\n")
    member(tmp_path, "libs/kit", "shopflow-kit", "httpx")
    member(tmp_path, "libs/contracts", "shopflow_contracts", "shopflow-kit")
    member(tmp_path, "services/shelf", "shopflow-shelf", "shopflow-contracts", "pydantic")
    member(tmp_path, "services/till", "shopflow-till", "shopflow-kit")
    return Workspace(tmp_path)


def started_now(workspace, command=SHELF, **environment):
    return Provenance.of(workspace, command, environment)


def test_an_app_loads_its_package_its_workspace_dependencies_and_the_lock(workspace):
    code = workspace.code_of(SHELF)

    assert sorted(code) == [
        "libs/contracts/pyproject.toml",
        "libs/contracts/src/shopflow_contracts/__init__.py",
        "libs/kit/pyproject.toml",
        "libs/kit/src/shopflow_kit/__init__.py",
        "services/shelf/pyproject.toml",
        "services/shelf/src/shopflow_shelf/__init__.py",
        "uv.lock",
    ]


def test_a_command_that_names_no_package_is_taken_to_load_them_all(workspace):
    code = workspace.code_of(["/usr/bin/shelf-server"])

    assert "services/till/src/shopflow_till/__init__.py" in code


@pytest.mark.parametrize(
    "edited",
    [
        "services/shelf/src/shopflow_shelf/api.py",  # a new module of its own
        "libs/kit/src/shopflow_kit/__init__.py",  # a dependency of a dependency
        "libs/contracts/pyproject.toml",
        "uv.lock",
    ],
)
def test_an_edit_of_its_code_is_a_difference_that_names_the_file(workspace, edited):
    before = started_now(workspace)

    write(workspace.root / edited, "changed = True\n")

    assert before.difference(started_now(workspace)) == (
        f"its code changed since it started ({edited})"
    )


def test_edits_it_does_not_load_are_no_difference(workspace):
    before = started_now(workspace)

    write(workspace.root / "services/till/src/shopflow_till/api.py", "x = 1\n")
    write(workspace.root / "services/shelf/src/shopflow_shelf/__pycache__/api.cpython-311.pyc")
    write(workspace.root / "services/shelf/tests/test_api.py", "def test(): ...\n")

    assert before.difference(started_now(workspace)) is None


def test_several_edits_are_named_by_the_first_and_counted(workspace):
    before = started_now(workspace)

    for module in ("a", "b", "c"):
        write(workspace.root / f"services/shelf/src/shopflow_shelf/{module}.py", "x = 1\n")

    assert before.difference(started_now(workspace)) == (
        "its code changed since it started (services/shelf/src/shopflow_shelf/a.py and 2 more)"
    )


def test_another_command_or_environment_is_a_difference(workspace):
    before = started_now(workspace, SHELF_LOG_LEVEL="INFO")

    assert before.difference(started_now(workspace, [*SHELF, "--reload"], SHELF_LOG_LEVEL="INFO"))
    assert before.difference(started_now(workspace, SHELF_LOG_LEVEL="DEBUG")) == (
        "its environment changed since it started (SHELF_LOG_LEVEL)"
    )


def test_the_record_survives_a_round_trip_and_keeps_no_value_of_the_environment(
    workspace, tmp_path
):
    record = tmp_path / "shelf.started-from.json"
    started_now(workspace, SHELF_DATABASE_URL="postgresql://shelf:s3cret@db/shelf").save(record)

    assert "s3cret" not in record.read_text()
    loaded = Provenance.load(record)
    assert loaded is not None
    assert loaded.difference(started_now(workspace, SHELF_DATABASE_URL="x")) is not None
    same = started_now(workspace, SHELF_DATABASE_URL="postgresql://shelf:s3cret@db/shelf")
    assert loaded.difference(same) is None


@pytest.mark.parametrize("content", [None, "not json", json.dumps({"command": []})])
def test_a_missing_or_unreadable_record_is_none(tmp_path, content):
    record = tmp_path / "shelf.started-from.json"
    if content is not None:
        record.write_text(content)

    assert Provenance.load(record) is None
