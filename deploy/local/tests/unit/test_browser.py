"""`shopflow-stack browser`: the Chromium the browser tests drive, or one line on how to get it."""

import os

import pytest

from shopflow_stack import browser
from shopflow_stack.browser import CHROMIUM_VARIABLE, NoBrowserError, ensure_chromium, find_chromium
from shopflow_stack.cli import main

pytestmark = pytest.mark.unit


@pytest.fixture
def no_chromium_on_path(monkeypatch, tmp_path):
    monkeypatch.delenv(CHROMIUM_VARIABLE, raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))


def test_a_chosen_chromium_is_the_one_driven(monkeypatch, tmp_path):
    chosen = tmp_path / "chrome"
    chosen.write_text("")
    monkeypatch.setenv(CHROMIUM_VARIABLE, str(chosen))

    assert find_chromium() == chosen


def test_chromium_on_the_path_is_found(no_chromium_on_path, tmp_path):
    found = tmp_path / "chromium"
    found.write_text("#!/bin/sh\n")
    found.chmod(0o755)

    assert find_chromium() == found


def test_a_chosen_path_that_is_no_file_says_so(monkeypatch, tmp_path):
    monkeypatch.setenv(CHROMIUM_VARIABLE, str(tmp_path / "missing"))

    with pytest.raises(NoBrowserError, match=f"{CHROMIUM_VARIABLE}=.*missing is no file"):
        find_chromium()


def test_without_chromium_the_error_says_how_to_get_it(no_chromium_on_path):
    with pytest.raises(NoBrowserError, match=r"apt-get install chromium.*make browser"):
        find_chromium()


def test_a_normal_user_is_told_not_sent_to_apt(no_chromium_on_path, monkeypatch):
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    monkeypatch.setattr(browser, "apt_install", lambda *_: pytest.fail("apt-get as a user"))

    with pytest.raises(NoBrowserError):
        ensure_chromium()


def test_as_root_on_debian_it_installs_the_package(no_chromium_on_path, monkeypatch, tmp_path):
    installed = []
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    monkeypatch.setattr(browser.shutil, "which", _which_after(installed, tmp_path))
    monkeypatch.setattr(browser, "apt_install", lambda *packages: installed.extend(packages))

    assert ensure_chromium() == tmp_path / "chromium"
    assert "chromium" in installed


def _which_after(installed, folder):
    def which(command):
        if command == "apt-get":
            return "/usr/bin/apt-get"
        return str(folder / command) if installed and command == "chromium" else None

    return which


def test_if_possible_says_the_tests_will_be_skipped_and_succeeds(no_chromium_on_path, capsys):
    assert main(["browser", "--if-possible"]) == 0
    assert "the browser tests will be skipped" in capsys.readouterr().out
