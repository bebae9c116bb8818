"""The frames that cost most in py-spy raw (collapsed-stack) files: inclusive and self shares.

    python scripts/profiling/summary.py FILE [--focus TEXT] [--top N]

`--focus` keeps only the samples with a frame containing TEXT (say `hold_seats`).
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

_LINE = re.compile(r":\d+\)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("file", type=Path)
    parser.add_argument("--focus", default="")
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = kept = 0
    for line in args.file.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        frames = [_LINE.sub(")", frame) for frame in stack.split(";")]
        if args.focus and not any(args.focus in frame for frame in frames):
            continue
        kept += count
        for frame in set(frames):
            inclusive[frame] += count
        own[frames[-1]] += count
    print(f"{kept:,} of {total:,} samples")
    for title, counter in (("inclusive", inclusive), ("self", own)):
        print(f"-- {title}")
        for frame, count in counter.most_common(args.top):
            print(f"{count / max(kept, 1):6.1%}  {frame[:140]}")


if __name__ == "__main__":
    main()
