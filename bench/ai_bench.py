"""Time to compute each AI feature per story on the demo corpus (median and p95 over
stories x repeats), beside the floor every feature pays in the same run: splitting the
story into sentences and building its TF-IDF space (``corpus``)."""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from citation_check import demo_stories, load_docs  # noqa: E402

from newsdesk.ai import run  # noqa: E402
from newsdesk.ai.model import Corpus  # noqa: E402

REPEATS = 3


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def main() -> int:
    stories = demo_stories(load_docs())
    jobs = {
        "corpus (baseline)": lambda d, q: Corpus(d).space,
        "summary": lambda d, q: run("summary", d),
        "timeline": lambda d, q: run("timeline", d),
        "compare": lambda d, q: run("compare", d),
        "ask": lambda d, q: run("ask", d, question=q),
        "background": lambda d, q: run("background", d),
    }
    sizes = [len(d) for _, d, _ in stories]
    sents = [len(Corpus(d).sents) for _, d, _ in stories]
    print(f"{len(stories)} stories, {min(sizes)}-{max(sizes)} docs, {min(sents)}-{max(sents)} sentences each; "
          f"{REPEATS} repeats")
    print(f"{'feature':<18} {'median ms':>10} {'p95 ms':>10} {'max ms':>10}")
    for name, job in jobs.items():
        times = sorted(timed(lambda: job(docs, q)) for _ in range(REPEATS) for _, docs, q in stories)
        p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
        print(f"{name:<18} {statistics.median(times):10.1f} {p95:10.1f} {times[-1]:10.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
