"""The shape every service has (docs/adding-a-service.md), checked from its files.

`misshapen(folder)` lists how a service folder differs from the skeleton: a missing or
unknown module, a module named differently for a concept the skeleton names, a
`__main__`, `app`, `settings`, `models` or migrations environment that is not the common
one. The structure tests run it on every service, and on one made by following the doc.
"""

import ast
import re
import tomllib
from pathlib import Path

REQUIRED = frozenset(
    {"__init__", "__main__", "app", "settings", "models", "schemas", "repository", "service"}
)
"""Every service has these, and `api.py` or its parts (`<part>_api.py`)."""

OPTIONAL = frozenset({"api", "handlers", "domain", "dependencies", "upstreams", "seed"})
"""Each with one meaning, in whichever service has that concept."""

EXTRAS = {
    "order": frozenset({"saga", "orchestrator", "admission", "pagination"}),
    "payment-provider": frozenset({"faults"}),
}
"""Concepts only one service has, in a module named for the concept."""

SPLIT = re.compile(r"^[a-z]+_(api|repository)$")
"""A layer grown past ~150 lines splits by part: `admin_api.py`, `reservation_repository.py`."""

DATED_REVISION = re.compile(r"^\d{4}-\d{2}-\d{2}-\d{4}_[a-z0-9_]+\.py$")


def misshapen(folder: Path) -> list[str]:
    """What makes the service in `folder` (`services/<name>`) differ from the skeleton."""
    name = folder.name
    package = f"shopflow_{name.replace('-', '_')}"
    source = folder / "src" / package
    if not source.is_dir():
        return [f"no package folder {source}"]
    modules = {path.stem for path in source.glob("*.py")}
    allowed = REQUIRED | OPTIONAL | EXTRAS.get(name, frozenset())
    problems = [f"{module}.py is missing" for module in sorted(REQUIRED - modules)]
    problems += [
        f"{module}.py is not a module of the skeleton (see docs/adding-a-service.md)"
        for module in sorted(modules - allowed)
        if not SPLIT.match(module)
    ]
    if not any(module == "api" or module.endswith("_api") for module in modules):
        problems.append("no routes: api.py (or <part>_api.py) is missing")
    if not (source / "py.typed").exists():
        problems.append("py.typed is missing")
    problems += _pyproject(folder, name, package)
    problems += _main(source)
    problems += _app(source, consumes="handlers" in modules)
    problems += _settings(source, name)
    problems += _models(source)
    problems += _migrations(source, package)
    return problems


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(), str(path))


def _calls(tree: ast.AST) -> set[str]:
    return {
        node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
    }


def _pyproject(folder: Path, name: str, package: str) -> list[str]:
    project = tomllib.loads((folder / "pyproject.toml").read_text())
    problems = []
    if project["project"]["name"] != f"shopflow-{name}":
        problems.append(f"pyproject.toml: the project is not named shopflow-{name}")
    packages = project["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"]
    if packages != [f"src/{package}"]:
        problems.append(f"pyproject.toml: the wheel does not hold src/{package} alone")
    if not (folder / "README.md").exists():
        problems.append("README.md is missing")
    return problems


def _main(source: Path) -> list[str]:
    calls = _calls(_tree(source / "__main__.py"))
    if not {"ServiceCommand", "main"} <= calls:
        return ["__main__.py does not run ServiceCommand(...).main()"]
    return []


def _app(source: Path, *, consumes: bool) -> list[str]:
    tree = _tree(source / "app.py")
    builds = [
        node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == "build"
    ]
    problems = []
    if not builds or "create_app" not in _calls(tree):
        problems.append("app.py has no build(settings) that calls create_app(...)")
    if consumes and "messaging_jobs" not in _calls(tree):
        problems.append("handlers.py, but app.py starts no consumer (messaging_jobs)")
    return problems


def _settings(source: Path, name: str) -> list[str]:
    tree = _tree(source / "settings.py")
    classes = [node for node in tree.body if isinstance(node, ast.ClassDef)]
    prefix = f'env_prefix="{name.upper().replace("-", "_")}_"'
    if len(classes) != 1 or not classes[0].name.endswith("Settings"):
        return ["settings.py does not define one <Name>Settings class"]
    if prefix not in ast.unparse(classes[0]).replace("'", '"'):
        return [f"settings.py: the settings are not read with {prefix}"]
    return []


def _models(source: Path) -> list[str]:
    tree = _tree(source / "models.py")
    bases = [node for node in tree.body if isinstance(node, ast.ClassDef) and node.name == "Base"]
    if not bases or "service_metadata" not in _calls(bases[0]):
        return ["models.py has no Base with metadata = service_metadata()"]
    return []


def _migrations(source: Path, package: str) -> list[str]:
    folder = source / "migrations"
    problems = []
    env = folder / "env.py"
    if not env.exists() or "run_migrations" not in _calls(_tree(env)):
        problems.append("migrations/env.py does not call run_migrations(context, Base.metadata)")
    elif f"from {package}.models import Base" not in env.read_text():
        problems.append("migrations/env.py does not take the metadata of its own models")
    if not (folder / "script.py.mako").exists():
        problems.append("migrations/script.py.mako is missing")
    revisions = sorted((folder / "versions").glob("*.py"))
    if not revisions:
        problems.append("migrations/versions holds no revision")
    problems += [
        f"migrations/versions/{path.name} is not named <date>-<hhmm>_<slug>.py"
        for path in revisions
        if not DATED_REVISION.match(path.name)
    ]
    return problems
