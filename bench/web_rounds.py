"""The one-client bench of ``web_bench.py`` in alternating rounds, for two or more arms
(a checkout of the code and the archive it serves), with medians over the rounds.

    python bench/web_rounds.py --arm before=TREE,URL --arm after=.,URL2 \\
        [--articles 1000000] [--requests 40] [--rounds 8] [--ports 9200-9249]

Each round runs ``TREE/bench/web_bench.py --postgres URL --articles N --runs one-client``
for every arm, one after the other, the order rotating from round to round (so a change
of the machine's load hits every arm alike); it records the 1-minute load (``uptime``)
before each run. Then prints, per page and arm, the medians over the rounds of the
second visit's p50 and p95 (the figures of the README), and in how many rounds its p95
was under the target (50 ms). Arms may serve the same archive or copies of it (e.g. one
migrated and rewritten). The trees need this repository's ``bench/web_bench.py``.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROW = re.compile(r"^(?P<name>\S.{0,29}?)\s+(?P<n>\d+)\s+(?P<fp50>[\d.]+)\s+(?P<fp95>[\d.]+)\s+"
                 r"(?P<p50>[\d.]+)\s+(?P<p95>[\d.]+)\s+(?P<errors>\d+)\s+(?:met|NOT met)$")


def run(tree: Path, url: str, args) -> dict[str, dict]:
    cmd = [sys.executable, str(tree / "bench" / "web_bench.py"), "--postgres", url,
           "--articles", str(args.articles), "--runs", "one-client",
           "--requests", str(args.requests)]
    if args.ports:
        cmd += ["--ports", args.ports]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rows = {}
    for line in out.splitlines():
        match = ROW.match(line.strip())
        if match:
            rows[match["name"].strip()] = {k: float(match[k]) for k in ("p50", "p95", "errors")}
    if not rows:
        raise SystemExit(f"no results from {cmd}:\n{out[-2000:]}")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--arm", action="append", required=True, metavar="NAME=TREE,URL")
    parser.add_argument("--articles", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--ports", default="")
    parser.add_argument("--target", type=float, default=50.0)
    args = parser.parse_args()
    arms = []
    for spec in args.arm:
        name, _, rest = spec.partition("=")
        tree, _, url = rest.partition(",")
        arms.append((name, Path(tree).resolve(), url))
    results: dict[str, list[dict]] = {name: [] for name, _, _ in arms}
    loads: list[float] = []
    began = time.monotonic()
    for k in range(args.rounds):
        order = arms[k % len(arms):] + arms[:k % len(arms)]
        for name, tree, url in order:
            load = os.getloadavg()[0]
            loads.append(load)
            results[name].append(run(tree, url, args))
            print(f"round {k + 1}, {name}: load {load:.1f}, "
                  f"{time.monotonic() - began:.0f} s so far", flush=True)
    pages = list(results[arms[0][0]][0])
    print(f"\n{args.rounds} rounds, arms rotating; load (1 min) {min(loads):.1f}-{max(loads):.1f}, "
          f"median {statistics.median(loads):.1f}; second visits, medians of the rounds' "
          f"p50 / p95 ms, and rounds with p95 < {args.target:g} ms")
    print(f"{'page':<30} " + " ".join(f"{name:>24}" for name, _, _ in arms))
    for page in pages:
        cells = []
        for name, _, _ in arms:
            rounds = [r[page] for r in results[name] if page in r]
            p50 = statistics.median(r["p50"] for r in rounds)
            p95 = statistics.median(r["p95"] for r in rounds)
            met = sum(r["p95"] < args.target for r in rounds)
            cells.append(f"{p50:6.1f} / {p95:6.1f} ({met}/{len(rounds)})")
        print(f"{page:<30} " + " ".join(f"{c:>24}" for c in cells))


if __name__ == "__main__":
    main()
