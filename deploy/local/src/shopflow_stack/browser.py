"""The Chromium the browser tests drive (Playwright from PyPI, this machine's browser).

Playwright's own browser downloads need its CDN; Debian's `chromium` package needs only
the package mirror every other install here uses. `find_chromium()` looks and says why
not; `ensure_chromium()` installs it where it can (root on Debian), as `make test` does.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from shopflow_stack.install import apt_install
from shopflow_stack.process import StackError

# A Chromium (or Chrome) elsewhere: its path in this variable.
CHROMIUM_VARIABLE = "SHOPFLOW_CHROMIUM"
COMMANDS = ("chromium", "chromium-browser", "google-chrome")
# fonts-liberation: text in the screenshots on a machine with no font at all.
PACKAGES = ("chromium", "fonts-liberation")
HOW_TO_GET_IT = (
    "install Debian's chromium (`sudo apt-get install chromium`, or `make browser` as root), "
    f"or set {CHROMIUM_VARIABLE} to a Chromium's path"
)


class NoBrowserError(StackError):
    """No Chromium here; the message says how to get one."""


def find_chromium() -> Path:
    """The browser to drive, or NoBrowserError saying how to get one."""
    chosen = os.environ.get(CHROMIUM_VARIABLE)
    if chosen:
        if not Path(chosen).is_file():
            raise NoBrowserError(f"{CHROMIUM_VARIABLE}={chosen} is no file: {HOW_TO_GET_IT}")
        return Path(chosen)
    for command in COMMANDS:
        found = shutil.which(command)
        if found:
            return Path(found)
    raise NoBrowserError(f"no Chromium on this machine: {HOW_TO_GET_IT}")


def ensure_chromium() -> Path:
    """A Chromium, installed first with apt-get where this machine allows it."""
    try:
        return find_chromium()
    except NoBrowserError:
        if os.environ.get(CHROMIUM_VARIABLE) or os.geteuid() != 0 or not shutil.which("apt-get"):
            raise
    apt_install(*PACKAGES)
    return find_chromium()
