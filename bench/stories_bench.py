"""Speed of the stories stage as the archive grows: cost per new article and peak memory.

    python bench/stories_bench.py [--sizes 10000,100000,1000000] [--rate 2740] [--probe 2000]

Synthetic archive: the 11,109 Google News titles (../shared/eval/googlenews-mstream) drawn at
random and dated at a steady ``rate`` articles a day (2,740/day = 1M a year), so a bigger
archive covers a longer period, as a real one does. Building an archive of N articles:
the first N - W articles only feed the document-frequency table (their stories are closed
and persisted by the app, so the clusterer no longer holds them); the last W (``--warm``,
default 4 days of articles) go through the online path to fill the active window. Then
``--probe`` new articles are timed one by one.

Each size runs in a fresh subprocess so peak RSS (getrusage) belongs to that size alone.
Stages are entries of ``STAGES`` (name -> builder returning a per-article callable), so
another stage (dedup, tags) can be timed beside clustering.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from newsdesk.stories.cluster import Doc, StoryClusterer  # noqa: E402
from newsdesk.stories.text import features  # noqa: E402

SHARED = ROOT.parent / "shared" / "eval" / "googlenews-mstream" / "News.jsonl"
T0 = datetime(2024, 1, 1)


def titles() -> list[str]:
    return [json.loads(line)["textCleaned"] for line in SHARED.read_text().splitlines()]


def clustering_stage(archive_size: int, stream, rate: float, warm: int):
    """Build a clusterer holding an archive of ``archive_size``; return add(doc)."""
    c = StoryClusterer()
    cold = max(archive_size - warm, 0)
    for _ in range(cold):  # pre-vectorised: only the DF table and the clock
        c.vectorizer.learn(next(stream).terms)
    for _ in range(archive_size - cold):
        c.add(next(stream))
        c.pop_closed()

    def step(doc: Doc) -> None:
        c.add(doc)
        c.pop_closed()  # the app persists closed stories and the clusterer forgets them
    step.info = lambda: f"active stories {len(c.active_ids())}"  # type: ignore[attr-defined]
    return step


STAGES = {"cluster": clustering_stage}


def stream_of(pool: list[str], rate: float, seed: int = 0):
    rng = random.Random(seed)
    cache: dict[int, dict] = {}
    i = 0
    while True:
        k = rng.randrange(len(pool))
        terms = cache.get(k)
        if terms is None:
            terms = cache[k] = dict(features(pool[k]))
        yield Doc(id=i, title=pool[k], terms=terms,
                  published=T0 + timedelta(days=i / rate))
        i += 1


def run_one(size: int, stage: str, rate: float, warm: int, probe: int) -> dict:
    pool = titles()
    stream = stream_of(pool, rate)
    start = time.perf_counter()
    step = STAGES[stage](size, stream, rate, warm)
    build = time.perf_counter() - start
    docs = [next(stream) for _ in range(probe)]
    start = time.perf_counter()
    for doc in docs:
        step(doc)
    per = (time.perf_counter() - start) / probe
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # MiB (Linux: KiB)
    return {"size": size, "stage": stage, "ms": per * 1000, "rss_mb": rss, "build_s": build,
            "info": step.info() if hasattr(step, "info") else ""}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--stages", default=",".join(STAGES))
    ap.add_argument("--rate", type=float, default=2740.0, help="articles a day")
    ap.add_argument("--warm", type=int, default=0, help="articles fed online (default 4 days)")
    ap.add_argument("--probe", type=int, default=2000, help="timed new articles")
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if not SHARED.exists():
        print(f"no titles at {SHARED}")
        return 1
    warm = args.warm or int(args.rate * 4)
    if args.one is not None:
        print(json.dumps(run_one(args.one, args.stages, args.rate, warm, args.probe)))
        return 0
    print(f"rate {args.rate:.0f} articles/day, window fed online {warm} articles, "
          f"{args.probe} timed articles per size")
    print(f"{'stage':<10} {'archive':>10} {'ms/article':>11} {'vs first':>9} "
          f"{'peak RSS MB':>12} {'build s':>8}  notes")
    for stage in args.stages.split(","):
        first = None
        for size in (int(s) for s in args.sizes.split(",")):
            out = subprocess.run([sys.executable, __file__, "--one", str(size), "--stages", stage,
                                  "--rate", str(args.rate), "--warm", str(warm),
                                  "--probe", str(args.probe)],
                                 capture_output=True, text=True, check=True)
            r = json.loads(out.stdout.strip().splitlines()[-1])
            first = first or r["ms"]
            print(f"{stage:<10} {size:>10,} {r['ms']:>11.3f} {r['ms'] / first:>8.2f}x "
                  f"{r['rss_mb']:>12.0f} {r['build_s']:>8.1f}  {r['info']}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
