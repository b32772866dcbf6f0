"""Mutation testing of the SQL a module runs as text, which mutmut leaves alone.

mutmut mutates Python; the relay's claim is a statement PostgreSQL runs, a module-level
`text()` that no mutmut mutant changes. This makes the small changes a reviewer would
fear in such SQL (a `<` for a `<=`, `IS NULL` for `IS NOT NULL`, `SKIP LOCKED` or an
`ORDER BY` lost, `AND` for `OR`, …), one at a time, and runs the given tests on the real
PostgreSQL against each; a mutant is killed when they fail (or hang past `--timeout`):

    python -m shopflow_testing.sql_mutants shopflow_kit.messaging.relay_batch \\
        -- libs/kit/tests/integration/messaging/test_outbox.py

Each mutant runs in a process forked from one that imported everything once, so a run
costs the tests' own time per mutant. `make mutation-sql` runs it (docs/testing.md).
"""

import argparse
import importlib
import os
import re
import signal
import sys
import time
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from types import ModuleType

import pytest
from sqlalchemy.sql.elements import TextClause
from sqlalchemy.sql.selectable import TextualSelect

RULES: list[tuple[str, str, str]] = [  # (what the mutant does, pattern, replacement)
    ("< for <=", r"(?<![<>=])<(?![=>])", "<="),
    ("<= for <", r"<=", "<"),
    ("> for >=", r"(?<![<>=])>(?!=)", ">="),
    (">= for >", r">=", ">"),
    ("= for <>", r"(?<=\s)=(?=\s)", "<>"),
    ("IS NOT NULL for IS NULL", r"\bIS NULL\b", "IS NOT NULL"),
    ("IS NULL for IS NOT NULL", r"\bIS NOT NULL\b", "IS NULL"),
    ("EXISTS for NOT EXISTS", r"\bNOT EXISTS\b", "EXISTS"),
    ("NOT IN for IN", r"(?<!NOT )\bIN\b", "NOT IN"),
    ("OR for AND", r"\bAND\b", "OR"),
    ("no SKIP LOCKED: waits for locked rows", r"\s+SKIP LOCKED\b", ""),
    ("no FOR UPDATE: locks nothing", r"\s+FOR UPDATE SKIP LOCKED\b", ""),
    ("ORDER BY … DESC", r"\bORDER BY [\w.]+", r"\g<0> DESC"),
    ("no LIMIT", r"\s+LIMIT :\w+", ""),
    ("max for min", r"\bmin\(", "max("),
    ("+ for -", r"(?<=\s)-(?=\s)", "+"),
]


_SET_CLAUSE = re.compile(r"\bSET\b.*?(?=\bFROM\b|\bWHERE\b|\bRETURNING\b|\Z)", re.DOTALL)
PYTEST_ARGS = ["-q", "-p", "no:randomly", "-p", "no:cacheprovider"]


@dataclass(frozen=True)
class SqlMutant:
    module: str
    statement: str  # the module attribute holding the text
    rule: str
    original: str
    mutated: str

    def changed_line(self) -> str:
        """The first line that differs, as the mutant has it."""
        for before, after in zip(
            self.original.splitlines(), self.mutated.splitlines(), strict=False
        ):
            if before != after:
                return after.strip()
        return "(a line removed)"


def _text_of(value: object) -> TextClause | None:
    if isinstance(value, TextualSelect):
        value = value.element
    return value if isinstance(value, TextClause) else None


def mutants_of(module: ModuleType, statements: Collection[str] = ()) -> Iterator[SqlMutant]:
    """Every mutant of the module's SQL statements (or of those named): one rule at one place
    each."""
    for name, value in vars(module).items():
        clause = _text_of(value)
        if clause is None or (statements and name not in statements):
            continue
        assignments = [m.span() for m in _SET_CLAUSE.finditer(clause.text)]
        for rule, pattern, replacement in RULES:
            for match in re.finditer(pattern, clause.text):
                if match[0] == "=" and any(a <= match.start() < b for a, b in assignments):
                    continue  # an assignment of an UPDATE, not a comparison
                mutated = (
                    clause.text[: match.start()]
                    + match.expand(replacement)
                    + clause.text[match.end() :]
                )
                yield SqlMutant(module.__name__, name, rule, clause.text, mutated)


def _apply(mutant: SqlMutant) -> None:
    clause = _text_of(getattr(importlib.import_module(mutant.module), mutant.statement))
    assert clause is not None
    clause.text = mutant.mutated  # before any use: SQLAlchemy has compiled nothing yet


def _run(mutant: SqlMutant, tests: list[str], timeout: float) -> str:
    """'killed', 'timeout' or 'survived': the tests run in a child with the mutant in place."""
    child = os.fork()
    if child == 0:
        os.setpgid(0, 0)
        sys.stdout.flush()
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        _apply(mutant)
        os._exit(int(pytest.main(["-x", *PYTEST_ARGS, *tests])))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done, status = os.waitpid(child, os.WNOHANG)
        if done:
            return "survived" if os.waitstatus_to_exitcode(status) == 0 else "killed"
        time.sleep(0.2)
    os.killpg(child, signal.SIGKILL)
    os.waitpid(child, 0)
    return "timeout"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], usage="%(prog)s MODULE... [options] -- PYTEST_ARGS"
    )
    parser.add_argument("modules", nargs="+", help="modules whose text() statements to mutate")
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds per mutant")
    parser.add_argument(
        "--statements", nargs="*", default=(), help="only these module attributes (default: all)"
    )
    ours, tests = (
        (argv[: argv.index("--")], argv[argv.index("--") + 1 :]) if "--" in argv else (argv, [])
    )
    args = parser.parse_args(ours)
    if pytest.main([*PYTEST_ARGS, *tests]) != 0:
        print("the tests fail without any mutant: nothing to measure", file=sys.stderr)
        return 1
    scores: dict[str, list[int]] = {}
    for name in args.modules:
        module = importlib.import_module(name)
        killed = total = 0
        for mutant in mutants_of(module, args.statements):
            outcome = _run(mutant, tests, args.timeout)
            total += 1
            killed += outcome != "survived"
            print(f"{outcome:<9} {mutant.statement} ({mutant.rule}): {mutant.changed_line()}")
            sys.stdout.flush()
        scores[name] = [total, killed]
    print(f"\n{'module (SQL)':<36} {'mutants':>7} {'killed':>7} {'survived':>8} {'score':>6}")
    for name, (total, killed) in scores.items():
        score = f"{100 * killed / total:.1f}%" if total else "-"
        print(f"{name:<36} {total:>7} {killed:>7} {total - killed:>8} {score:>6}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
