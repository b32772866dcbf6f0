"""Fixtures of the chart tests: the charts with their dependencies built, each values
file rendered once, a copy of the charts that a test may break, a control plane."""

import os
import shutil
from pathlib import Path

import pytest
import yaml

from shopflow_stack import kube
from shopflow_stack.charts import VALUES_FILES, Charts, schema_errors_of


@pytest.fixture(scope="session")
def charts() -> Charts:
    charts = Charts()
    charts.build_dependencies()
    return charts


@pytest.fixture(scope="session")
def renderings(charts) -> dict[str, str]:
    """Each values file's rendering ("" is the defaults alone)."""
    return {values: charts.render(values) for values in VALUES_FILES}


@pytest.fixture(scope="session")
def schema_report(renderings) -> dict[str, list[str]]:
    """kubeconform's findings for each values file's rendering, in one run."""
    return schema_errors_of(renderings)


@pytest.fixture(scope="session")
def rendered_objects(renderings) -> dict[str, list[dict]]:
    return {
        values: [obj for obj in yaml.safe_load_all(rendered) if obj]
        for values, rendered in renderings.items()
    }


@pytest.fixture
def broken_charts(tmp_path: Path, charts) -> Charts:
    """A copy of the charts (dependencies built) that a test may break."""
    copy = tmp_path / "helm"
    shutil.copytree(charts.folder, copy, ignore=shutil.ignore_patterns("tests", "__pycache__"))
    return Charts(copy)


@pytest.fixture(scope="session")
def control_plane(tmp_path_factory):
    """etcd, kube-apiserver, controllers, scheduler and three kwok nodes, once per session."""
    offset = int(os.environ.get("SHOPFLOW_PORT_OFFSET", "0"))
    with kube.control_plane(tmp_path_factory.mktemp("kube"), base_port=16400 + offset) as plane:
        yield plane
