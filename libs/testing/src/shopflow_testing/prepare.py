"""What the suite needs built before it starts, built side by side: `make test` runs this.

On a fresh machine two things take minutes: the Go tools (deploy/tools, CPU and the module
proxy) and the container images (debootstrap, then apt and uv inside each build: mostly
downloads and unpacking). Built one after the other, the images inside the first test
that needs them, they add up; built at once, each fills the other's idle time. On a warm
machine both are a look at the cache.

The tests stay the judges: an image that cannot be built here (no engine, or a normal user
who cannot debootstrap) is reported and left to the tests that need it, which say why.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from shopflow_docker.compose import images_for_tests, python_image
from shopflow_docker.engine import NoEngineError, find_engine
from shopflow_docker.images import build_images
from shopflow_docker.offline import build_offline_images
from shopflow_stack.config import load
from shopflow_stack.process import StackError
from shopflow_stack.tools import ensure_tools


def build_test_images() -> str:
    """The images the container tests run (stand-ins unless SHOPFLOW_IMAGES=official),
    built where missing or stale."""
    try:
        engine = find_engine()
    except NoEngineError as error:
        return f"no images built: {error}"
    images = images_for_tests()
    stack_config = load()
    try:
        if images == "offline":
            build_offline_images(engine, stack_config)
        built = build_images(engine, stack_config, python_image(images))
    except StackError as error:
        return f"images not built here ({error}); the tests that need them will say so"
    return f"images shopflow/<unit>:{built.tag} ready"


def build_tools() -> str:
    return f"{len(ensure_tools())} Go tools ready"


def _timed(step: Callable[[], str]) -> str:
    began = time.monotonic()
    outcome = step()
    return f"{outcome} ({time.monotonic() - began:.0f} s)"


def main() -> int:
    with ThreadPoolExecutor(2, thread_name_prefix="prepare") as steps:
        outcomes = [steps.submit(_timed, step) for step in (build_tools, build_test_images)]
    try:
        for outcome in outcomes:
            print(f"prepare: {outcome.result()}", flush=True)
    except StackError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
