"""One shop, three ways to run it: do the local stack, compose and Helm agree?

Each function returns the disagreements it found (empty: they agree), named so that a
reader knows which file to fix. What is compared, per service:
- the unit, its module, its port and its settings prefix: stack.toml, the service's own
  settings class, the Helm chart's values (and compose's service, where compose exists);
- variable names: every variable a deployment gives a service is one the service reads
  (a misspelt name would be silently ignored), and every variable it needs is given;
- images: `shopflow/<unit>:<tag>` for the services, the same infrastructure images;
- topics: every service on the bus creates the catalogue from shopflow_contracts before
  it starts (no deployment keeps a copied list).
"""

from __future__ import annotations

import importlib
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import AliasChoices
from pydantic_settings import BaseSettings

from shopflow_kit.settings import MessagingSettings
from shopflow_stack.config import REPO_ROOT

STACK_TOML = REPO_ROOT / "deploy" / "local" / "stack.toml"
TOPICS_COMMAND = ["python", "-m", "shopflow_contracts.create_topics"]
# Read by libraries, not by our settings classes: OpenTelemetry's standard variables.
STANDARD_PREFIXES = ("OTEL_",)


@dataclass(frozen=True)
class Unit:
    """What the local stack says a service is."""

    name: str
    module: str
    port: int
    env_prefix: str

    @property
    def settings(self) -> type[BaseSettings]:
        package = importlib.import_module(f"{self.module}.settings")
        [settings] = [
            value
            for value in vars(package).values()
            if isinstance(value, type)
            and issubclass(value, BaseSettings)
            and value.__module__ == package.__name__
        ]
        return settings


def stack_units(stack_toml: Path = STACK_TOML) -> dict[str, Unit]:
    apps = tomllib.loads(stack_toml.read_text())["apps"]
    return {
        app["name"]: Unit(app["name"], app["command"][2], app["port"], app["env_prefix"])
        for app in apps
    }


def variables_read(settings: type[BaseSettings]) -> set[str]:
    """The environment variables a settings class reads (prefix + field, or its aliases)."""
    prefix = str(settings.model_config.get("env_prefix", ""))
    names = set()
    for name, field in settings.model_fields.items():
        alias = field.validation_alias
        if isinstance(alias, str):
            names.add(alias)
        elif isinstance(alias, AliasChoices):
            names.update(choice for choice in alias.choices if isinstance(choice, str))
            names.add(f"{prefix}{name}".upper())
        else:
            names.add(f"{prefix}{name}".upper())
    return {name for name in names if name.isupper()}


def variables_required(settings: type[BaseSettings]) -> set[str]:
    """The variables without which the settings class refuses to load."""
    required = set()
    prefix = str(settings.model_config.get("env_prefix", ""))
    for name, field in settings.model_fields.items():
        if field.is_required():
            alias = field.validation_alias
            if isinstance(alias, AliasChoices):
                alias = next(choice for choice in alias.choices if isinstance(choice, str))
            required.add(alias if isinstance(alias, str) else f"{prefix}{name}".upper())
    return required


def readers(unit: Unit) -> set[str]:
    """Every variable the unit's containers read (the topic job reads a subset of them)."""
    return variables_read(unit.settings)


def check_helm(objects: Iterable[Mapping[str, Any]], units: Mapping[str, Unit]) -> list[str]:
    """Disagreements between a Helm rendering and the services it deploys."""
    problems: list[str] = []
    rendered = list(objects)
    config = _shared_env(rendered)
    deployments = {
        obj["metadata"]["labels"]["app.kubernetes.io/name"]: obj
        for obj in rendered
        if obj["kind"] == "Deployment"
        and obj["metadata"]["labels"].get("app.kubernetes.io/part-of") == "shopflow"
    }
    for unit in units.values():
        deployment = deployments.get(unit.name)
        if deployment is None:
            problems.append(f"helm: no Deployment for {unit.name}")
            continue
        pod = deployment["spec"]["template"]["spec"]
        [container] = [c for c in pod["containers"] if c["name"] == unit.name]
        problems += _check_container(unit, container, config, f"helm {unit.name}")
        bus = issubclass(unit.settings, MessagingSettings)
        init_commands = [c["command"][:3] for c in pod.get("initContainers", [])]
        if bus != (TOPICS_COMMAND in init_commands):
            problems.append(
                f"helm {unit.name}: on the bus is {bus}, "
                f"but creating the catalogue's topics first is {not bus}"
            )
    return problems


def _check_container(
    unit: Unit, container: Mapping[str, Any], shared: Mapping[str, set[str]], where: str
) -> list[str]:
    problems = []
    command = container.get("command", [])
    if command[:3] != ["python", "-m", unit.module]:
        problems.append(f"{where}: runs {command}, the stack runs python -m {unit.module}")
    image = container["image"].rsplit("/", 2)[-2:]
    if image[0] != "shopflow" or image[1].split(":")[0] != unit.name:
        problems.append(f"{where}: image {container['image']} is not shopflow/{unit.name}:<tag>")
    ports = [port["containerPort"] for port in container.get("ports", [])]
    if ports != [unit.port]:
        problems.append(f"{where}: ports {ports}, the stack's is {unit.port}")
    own = {entry["name"] for entry in container.get("env", [])}
    given = set(own)
    for source in container.get("envFrom", []):
        reference = source.get("configMapRef") or source.get("secretRef") or {}
        given |= shared.get(reference.get("name", ""), set())
    problems += _check_names(unit, own, given, where)
    return problems


def _check_names(unit: Unit, own: set[str], given: set[str], where: str) -> list[str]:
    """`own`: the variables set for this service alone; `given`: with the shared ones."""
    problems = []
    for name in sorted(own - readers(unit)):
        if name.startswith(STANDARD_PREFIXES):
            continue
        problems.append(f"{where}: sets {name}, which {unit.name} does not read")
    for name in sorted(variables_required(unit.settings) - given):
        problems.append(f"{where}: does not set {name}, which {unit.name} needs")
    for prefixed in (f"{unit.env_prefix}HOST", f"{unit.env_prefix}PORT"):
        if prefixed not in given:
            problems.append(f"{where}: does not set {prefixed}")
    return problems


def check_shared_env(
    shared: set[str], stack_env: Iterable[str], units: Mapping[str, Unit]
) -> list[str]:
    """Every service gets the shared variables (as in the local stack): each must be read
    by some service or set by the local stack too, and the local stack's unprefixed ones
    are all there (a prefixed one, a database URL, goes to its own service alone)."""
    stack = {name for name in stack_env if name.startswith("SHOPFLOW_")}
    read = set().union(*(readers(unit) for unit in units.values()))
    problems = [
        f"helm: the shared environment sets {name}, which no service reads"
        for name in sorted(shared - read - stack)
    ]
    problems += [
        f"helm: the shared environment lacks {name}, which the local stack sets"
        for name in sorted(stack - shared)
    ]
    return problems


def _shared_env(objects: Iterable[Mapping[str, Any]]) -> dict[str, set[str]]:
    shared: dict[str, set[str]] = {}
    for obj in objects:
        if obj["kind"] in ("ConfigMap", "Secret"):
            data = {**(obj.get("data") or {}), **(obj.get("stringData") or {})}
            shared.setdefault(obj["metadata"]["name"], set()).update(data)
    return shared


def shared_env(objects: Iterable[Mapping[str, Any]], release: str) -> set[str]:
    shared = _shared_env(objects)
    return shared.get(f"{release}-env", set())


def check_compose(
    compose: Mapping[str, Any], units: Mapping[str, Unit], stack_env: Iterable[str]
) -> list[str]:
    """Disagreements between a compose file and the services. Compose gives every service
    one shared environment (as the local stack does): each name must be read by some
    service or set by the local stack too, and each service must get every name it needs
    (where it listens may come from the image)."""
    problems = []
    services = compose.get("services", {})
    read = set().union(*(readers(unit) for unit in units.values())) | set(stack_env)
    by_unit = {
        _image(spec).split("/")[-1].split(":")[0]: (name, spec)
        for name, spec in services.items()
        if _image(spec).startswith("shopflow/")
        and not spec.get("entrypoint")
        and not spec.get("command")
    }
    for unit in units.values():
        if unit.name not in by_unit:
            problems.append(f"compose: no service runs image shopflow/{unit.name}")
            continue
        name, spec = by_unit[unit.name]
        environment = spec.get("environment", {})
        given = (
            set(environment)
            if isinstance(environment, Mapping)
            else {str(item).split("=", 1)[0] for item in environment}
        )
        problems += [
            f"compose {name}: sets {variable}, which no service reads"
            for variable in sorted(given - read)
            if not variable.startswith(STANDARD_PREFIXES)
        ]
        problems += [
            f"compose {name}: does not set {variable}, which {unit.name} needs"
            for variable in sorted(variables_required(unit.settings) - given)
        ]
    return problems


def _image(spec: Mapping[str, Any]) -> str:
    """A service's image, `${VARIABLE:-default}` read as its default."""
    return re.sub(r"\$\{[A-Z0-9_]+:-([^}]*)\}", r"\1", str(spec.get("image", "")))


def infra_images(compose: Mapping[str, Any]) -> dict[str, str]:
    """Compose's infrastructure images by what they are (postgres, kafka, redis)."""
    images = {}
    for spec in compose.get("services", {}).values():
        image = _image(spec)
        for kind in ("postgres", "kafka", "redis"):
            if kind in image.split(":")[0] and not image.startswith("shopflow/"):
                images[kind] = image
    return images
