"""A py-spy profile (speedscope JSON) as text: where the samples went, for a README or a diff.

`python -m shopflow_benchmarks.profile_summary PROFILE.json[.gz] [--top 25]` prints the
samples of each thread, then the functions found on the most samples of all threads
together (inclusive: a function counts once per sample it is anywhere on the stack of),
with their share. With `py-spy record --gil`, a sample is a moment the process held the
GIL: the shares are shares of the process's Python CPU.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any


def load(path: Path) -> dict[str, Any]:
    raw = path.read_bytes()
    profile: dict[str, Any] = json.loads(gzip.decompress(raw) if path.suffix == ".gz" else raw)
    return profile


def summary(profile: dict[str, Any], top: int) -> str:
    frames = profile["shared"]["frames"]
    threads = [(p["name"], p["samples"]) for p in profile["profiles"]]
    total = sum(len(samples) for _, samples in threads) or 1
    inclusive: Counter[str] = Counter()
    for _, samples in threads:
        for stack in samples:
            inclusive.update({_name(frames[index]) for index in stack})
    lines = [f"{total} samples"]
    lines += [f"  {len(samples):6d}  {name}" for name, samples in threads if samples]
    lines.append(f"\nfunctions on the most samples (inclusive share of all {total}):")
    lines += [f"  {count / total:6.1%}  {name}" for name, count in inclusive.most_common(top)]
    return "\n".join(lines)


def _name(frame: dict[str, Any]) -> str:
    module = Path(frame.get("file") or "?")
    where = module.name if "site-packages" not in module.parts else _package(module)
    return f"{frame['name']} ({where})"


def _package(module: Path) -> str:
    parts = module.parts
    return "/".join(parts[parts.index("site-packages") + 1 :])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m shopflow_benchmarks.profile_summary")
    parser.add_argument("profile", type=Path)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args(argv)
    print(summary(load(args.profile), args.top))
    return 0


if __name__ == "__main__":
    sys.exit(main())
