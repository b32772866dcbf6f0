"""The Go tool catalogue: every entry is buildable as written, and each way builds where it must."""

import threading
from pathlib import Path

import pytest

from shopflow_stack import cli, tools
from shopflow_stack.process import StackError
from shopflow_stack.tools import TOOLS_DIR, GoTool, catalogue

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("tool", catalogue().values(), ids=lambda tool: tool.name)
def test_every_catalogued_tool_names_an_exact_version_and_a_way_to_build(tool: GoTool):
    assert tool.version.startswith("v")
    assert tool.how in ("install", "module", "wrapper")
    if tool.how == "wrapper":
        assert (TOOLS_DIR / tool.wrapper / "go.mod").is_file()
    assert tool.path.name == tool.name
    assert f"{tool.name}-{tool.version}" in str(tool.path)


def test_install_asks_for_the_package_at_its_version():
    tool = GoTool("helm", "helm.sh/helm/v3", "v3.19.0", package="cmd/helm")

    [(command, cwd)] = tool.build_commands("go", Path("/out/helm.partial"))

    assert command == ["go", "install", "helm.sh/helm/v3/cmd/helm@v3.19.0"]
    assert cwd is None


def test_a_wrapper_builds_the_package_from_our_own_module():
    tool = GoTool(
        "kube-apiserver",
        "k8s.io/kubernetes",
        "v1.34.4",
        package="cmd/kube-apiserver",
        how="wrapper",
        wrapper="kubernetes",
    )

    [(command, cwd)] = tool.build_commands("go", Path("/out/kube-apiserver.partial"))

    assert command == [
        "go",
        "build",
        "-o",
        "/out/kube-apiserver.partial",
        "k8s.io/kubernetes/cmd/kube-apiserver",
    ]
    assert cwd == TOOLS_DIR / "kubernetes"


def test_ldflags_reach_the_linker():
    tool = GoTool(
        "docker-compose",
        "github.com/docker/compose/v2",
        "v2.40.3",
        package="cmd",
        how="wrapper",
        wrapper="compose",
        ldflags="-X github.com/docker/compose/v2/internal.Version=v2.40.3",
    )

    [(command, _)] = tool.build_commands("go", Path("/out/docker-compose.partial"))

    assert command[:4] == ["go", "build", "-ldflags", tool.ldflags]


def test_without_go_a_missing_tool_is_one_line_naming_it(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))  # nothing built yet
    monkeypatch.setenv("PATH", str(tmp_path))  # no go on it
    monkeypatch.setattr(tools, "GO_FALLBACKS", (tmp_path / "go" / "bin" / "go",))

    assert cli.main(["tool", "helm"]) == 1

    helm = catalogue()["helm"]
    assert capsys.readouterr().err == (
        f"error: building helm {helm.version} needs Go (https://go.dev/dl): put `go` on PATH\n"
    )


def _two_tools(tmp_path, monkeypatch) -> dict[str, GoTool]:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))  # nothing built yet
    two = {name: GoTool(name, f"example.com/{name}", "v1.0.0") for name in ("first", "second")}
    monkeypatch.setattr(tools, "catalogue", lambda: two)
    return two


def test_missing_tools_are_built_side_by_side(tmp_path, monkeypatch):
    two = _two_tools(tmp_path, monkeypatch)
    both_building = threading.Barrier(2, timeout=10)  # broken unless the builds overlap

    def build(tool: GoTool) -> None:
        both_building.wait()
        tool.path.write_text("#!/bin/sh\n")

    monkeypatch.setattr(tools, "_build", build)

    assert tools.ensure_tools() == {name: tool.path for name, tool in two.items()}


def test_one_failed_build_leaves_the_other_built_and_is_raised(tmp_path, monkeypatch):
    two = _two_tools(tmp_path, monkeypatch)

    def build(tool: GoTool) -> None:
        if tool.name == "first":
            raise StackError("`go install example.com/first@v1.0.0` failed")
        tool.path.write_text("#!/bin/sh\n")

    monkeypatch.setattr(tools, "_build", build)

    with pytest.raises(StackError, match=r"example\.com/first"):
        tools.ensure_tools()
    assert two["second"].path.exists()
    assert not two["first"].path.exists()
