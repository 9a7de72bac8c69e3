"""Per-article time of ``tags.hashtags`` on the demo corpus, for two checkouts side by side.

    python bench/hashtag_timing.py ROOT_A ROOT_B [--rounds 4]

Each round runs one process per checkout (alternating A, B, A, B... so both see the same
load), which tags every demo article in publication order with the online background
learned as the stage learns it, and reports the mean milliseconds per article of the
``hashtags`` call alone (the background's learning is not timed). Prints each round and
the median per checkout.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys

CHILD = r"""
import sys, time
sys.path.insert(0, sys.argv[1])
from datetime import datetime
from newsdesk.demo.corpus import OUTLETS, load_articles
from newsdesk.stories import tags
from newsdesk.stories.background import default_background
assert tags.__file__.startswith(sys.argv[1]), tags.__file__
arts = sorted(load_articles(), key=lambda a: (datetime.fromisoformat(a.published), a.id))
bg, spent = default_background(), 0.0
tags.hashtags(arts[0].title, arts[0].text, background=bg)  # warm the tables
for a in arts:
    t0 = time.perf_counter()
    tags.hashtags(a.title, a.text, background=bg, language=OUTLETS[a.outlet_id].language)
    spent += time.perf_counter() - t0
    bg.learn(f"{a.title}\n{a.text}")
print(f"{1000 * spent / len(arts):.3f}")
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("roots", nargs=2,
                        help="two checkouts (their directories holding newsdesk/)")
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args(argv)
    times: dict[str, list[float]] = {r: [] for r in args.roots}
    for i in range(args.rounds):
        for root in args.roots if i % 2 == 0 else reversed(args.roots):
            out = subprocess.run([sys.executable, "-c", CHILD, root], capture_output=True,
                                 text=True, check=True)
            times[root].append(float(out.stdout.strip()))
            print(f"round {i + 1}: {root:<30} {times[root][-1]:.2f} ms per article", flush=True)
    for root, values in times.items():
        print(f"median {root:<30} {statistics.median(values):.2f} ms per article")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
