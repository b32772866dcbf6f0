"""Every service has the same skeleton (docs/adding-a-service.md): reading one teaches all."""

from pathlib import Path

import pytest

from shopflow_testing.skeleton import misshapen

pytestmark = pytest.mark.unit

SERVICES = Path(__file__).resolve().parents[2] / "services"
FOLDERS = sorted(path for path in SERVICES.iterdir() if (path / "pyproject.toml").exists())


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda folder: folder.name)
def test_a_service_has_the_skeleton(folder):
    assert misshapen(folder) == []


def test_every_service_renders_its_migrations_from_one_template():
    templates = {
        (folder / "src" / f"shopflow_{folder.name.replace('-', '_')}" / "migrations")
        .joinpath("script.py.mako")
        .read_text()
        for folder in FOLDERS
    }

    assert len(templates) == 1
