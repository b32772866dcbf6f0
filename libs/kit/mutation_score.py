"""Print the mutation score of each module from `mutmut results --all true` on stdin.

    make mutation [module=saga.engine]

A mutant is killed when a test failed (or timed out) with it in place; every other
checked mutant counts against the score, "no tests" included: code no test reaches is
code no test protects. Modules are given as in `make mutation`, under `shopflow_kit.`.
"""

import re
import sys
from collections import Counter

KILLED = {"killed", "timeout"}
UNCHECKED = {"not checked", "skipped"}
LINE = re.compile(r"^\s*(?P<module>[\w.]+)\.x[_ǁ]\S*__mutmut_\d+: (?P<status>.+)$")


def main(modules: list[str]) -> int:
    counts: dict[str, Counter[str]] = {module: Counter() for module in modules}
    for line in sys.stdin:
        match = LINE.match(line)
        if not match:
            continue
        module = match["module"].removeprefix("shopflow_kit.")
        if module in counts:
            counts[module][match["status"].strip()] += 1
    print(f"{'module':<28} {'mutants':>7} {'killed':>7} {'survived':>8} {'score':>6}")
    for module, by_status in counts.items():
        checked = sum(n for status, n in by_status.items() if status not in UNCHECKED)
        killed = sum(by_status[status] for status in KILLED)
        score = f"{100 * killed / checked:.1f}%" if checked else "-"
        print(f"{module:<28} {checked:>7} {killed:>7} {checked - killed:>8} {score:>6}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
