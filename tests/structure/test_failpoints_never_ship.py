"""No deployment arms a failpoint: the variable appears in no file that configures one."""

import subprocess
from pathlib import Path

import pytest

from shopflow_kit.failpoints import FAILPOINTS_VARIABLE

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
DEPLOYMENTS = ("deploy", "helm", "Makefile", ".ci")
CODE_AND_DOCS = (".py", ".md")  # code that reads the variable, docs that explain it


def test_no_deployment_file_sets_failpoints():
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--", *DEPLOYMENTS],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    files = [
        ROOT / name
        for name in filter(None, listed.split("\0"))
        if "/tests/" not in name and not name.endswith(CODE_AND_DOCS)
    ]
    assert files, "no deployment file found: the check would be empty"

    arming = [
        str(path.relative_to(ROOT))
        for path in files
        if path.is_file() and FAILPOINTS_VARIABLE in path.read_text(errors="replace")
    ]

    assert arming == []
