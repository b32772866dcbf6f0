"""The README and the guided docs name only what exists: every repository path, every
`file::test` and every `make` target they mention, and every relative link."""

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).parents[2]
PAGES = ["README.md", "docs/walkthrough.md", "docs/architecture.md"]
TOP_LEVEL = {p.name for p in ROOT.iterdir() if not p.name.startswith(".")} | {".ci"}
PATH = re.compile(
    r"`((?:\.ci|[A-Za-z][\w.-]*)(?:/[\w.<>-]+)+/?|[\w-]+\.(?:md|toml|yml|py))(?:::(\w+))?`"
)
LINK = re.compile(r"\]\((?!https?://|#|mailto:)([^)#\s]+)")
MAKE = re.compile(r"\bmake(?: -s)? ([a-z][\w-]*)")


def targets() -> set[str]:
    makefile = (ROOT / "Makefile").read_text()
    return set(re.findall(r"^([a-z][\w-]*):", makefile, flags=re.MULTILINE))


def named_paths(page: str) -> list[tuple[str, str | None]]:
    text = (ROOT / page).read_text()
    found = []
    for path, test in PATH.findall(text):
        if path.split("/")[0] in TOP_LEVEL or "/" not in path:
            found.append((path, test or None))
    return found


@pytest.mark.parametrize("page", PAGES)
def test_every_path_a_page_names_exists(page):
    missing = [
        path
        for path, _ in named_paths(page)
        if "<" not in path and not (ROOT / path).exists() and "/" in path
    ]

    assert missing == []


@pytest.mark.parametrize("page", PAGES)
def test_every_test_a_page_names_is_in_its_file(page):
    missing = [
        f"{path}::{test}"
        for path, test in named_paths(page)
        if test and not re.search(rf"def {test}\(", (ROOT / path).read_text())
    ]

    assert missing == []


@pytest.mark.parametrize("page", PAGES)
def test_every_relative_link_of_a_page_resolves(page):
    text = (ROOT / page).read_text()
    base = (ROOT / page).parent

    assert [link for link in LINK.findall(text) if not (base / link).exists()] == []


@pytest.mark.parametrize("page", PAGES)
def test_every_make_target_a_page_names_exists(page):
    named = set(MAKE.findall((ROOT / page).read_text()))

    assert named - targets() == set()
