"""Failpoints: named moments where a test holds a process, to kill it exactly there.

A crash test has to prove that the crash hit the window it claims, such as "Kafka
acknowledged the batch, the rows are not marked yet". The code names that moment:

    failpoint("relay.after-publish")

and a process started with `SHOPFLOW_FAILPOINTS=relay.after-publish=pause` stops there:
it writes `failpoint relay.after-publish: paused, pid 4242` to stderr and sends itself
SIGSTOP, so that nothing after that line runs, in any task or thread. The test reads
the line, checks that the world is in the window (the messages are in Kafka, the rows
unmarked), then SIGKILLs the process (a crash at that instant) or SIGCONTs it.

The moments (docs/testing.md lists them with the tests that use them):

- `relay.after-publish`: a batch acknowledged by Kafka, its rows not marked published;
- `consumer.before-commit`: a handler's effects written, its transaction not committed;
- `consumer.before-offset-commit`: a batch of messages handled and committed, its offsets not.

Off, a failpoint costs one truth test of an empty dict. It is never on in production:
a process whose `SHOPFLOW_FAILPOINTS` is set refuses to start unless
`SHOPFLOW_ENVIRONMENT` is `development` or `test`, and no deployment sets it (a test
checks every file under deploy/ and helm/).
"""

import os
import signal
from collections.abc import Mapping

from shopflow_kit.settings import ENVIRONMENT_VARIABLE

FAILPOINTS_VARIABLE = "SHOPFLOW_FAILPOINTS"
ACTIONS = frozenset({"pause"})
_ALLOWED_ENVIRONMENTS = frozenset({"development", "test"})


class FailpointsRefusedError(RuntimeError):
    """Failpoints asked for where they must never be: outside development and test."""


def armed_failpoints(environ: Mapping[str, str]) -> dict[str, str]:
    """The failpoints `environ` arms, by name: `name=action[,name=action...]`."""
    spec = environ.get(FAILPOINTS_VARIABLE, "").strip()
    if not spec:
        return {}
    environment = environ.get(ENVIRONMENT_VARIABLE, "production")
    if environment not in _ALLOWED_ENVIRONMENTS:
        raise FailpointsRefusedError(
            f"{FAILPOINTS_VARIABLE} is set but {ENVIRONMENT_VARIABLE} is {environment!r}: "
            "failpoints stop the process, they are for tests (development or test) only"
        )
    armed = {}
    for entry in spec.split(","):
        name, _, action = (part.strip() for part in entry.partition("="))
        if not name or action not in ACTIONS:
            raise ValueError(
                f"{FAILPOINTS_VARIABLE}: {entry!r} is not name=action (actions: {sorted(ACTIONS)})"
            )
        armed[name] = action
    return armed


_ARMED = armed_failpoints(os.environ)


def failpoint(name: str) -> None:
    """The moment `name`: nothing happens unless a test armed it (see the module's doc)."""
    if _ARMED and name in _ARMED:
        _pause(name)


def _pause(name: str) -> None:
    # Written straight to the file descriptor: no buffer may keep the line from the test.
    os.write(2, f"failpoint {name}: paused, pid {os.getpid()}\n".encode())
    os.kill(os.getpid(), signal.SIGSTOP)
