"""What a reader meets on the demo's thread pages: the threads of a built demo database,
replayed through the stories stage's two clusterers in seconds.

    python bench/demo_threads.py DEMO.db [--show 5] [--members 40] [--set name=value ...]

``DEMO.db`` is a database built once as ``newsdesk demo`` builds it (e.g. by
``bench/demo_events_eval.py``'s pipeline, or ``newsdesk demo --no-serve`` and its
``newsdesk-data/demo.db``): its articles and the features their workers stored are read,
then fed, in the stage's order (publication time, then id), to a fresh thread clusterer
(``cluster.StoryClusterer`` with the stage's ``THREAD_PARAMS``, overridden by ``--set``) and
event clusterer, exactly as ``StoriesStage._place`` feeds them. A story's thread is its
first article's, as in the stage. Nothing is written.

Prints the distribution of thread sizes (stories per thread), the share of stories in the
largest thread, and the ``--show`` largest threads with their stories' headlines, for a
hand check: are the members on the thread's topic? With ``--labels`` (a TSV of article,
topic, as ``bench/data/demo-threads-*.tsv``), it also scores the threads' B-cubed
precision, recall and F1 against those topic labels (per part, as ``evalsplit.part`` of
the topic).
"""

from __future__ import annotations

import argparse
import csv
import sqlite3
import sys
import time
from collections import Counter, defaultdict
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from cluster_eval import bcubed, parse_value  # noqa: E402
from evalsplit import part  # noqa: E402

from newsdesk.models import Article  # noqa: E402
from newsdesk.storage.db import as_utc  # noqa: E402
from newsdesk.stories.cluster import StoryClusterer  # noqa: E402
from newsdesk.stories.events import EventClusterer  # noqa: E402
from newsdesk.stories.features import decode  # noqa: E402
from newsdesk.stories.stage import THREAD_PARAMS  # noqa: E402


def read_demo(path: Path):
    """(article, features, outlet, slug) in the stage's order, from a built demo database."""
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    con.row_factory = sqlite3.Row
    rows = con.execute("""
        SELECT a.id, a.source_id, a.url, a.title, a.text, a.published_at, a.fetched_at,
               a.language, f.version, f.content_key, f.minhash, f.embedding, f.terms
        FROM articles a JOIN article_features f ON f.article_id = a.id
        ORDER BY coalesce(a.published_at, a.fetched_at), a.id""").fetchall()
    out = []
    for r in rows:
        article = Article(id=r["id"], source_id=r["source_id"], entry_hash="", extraction="page",
                          url=r["url"], title=r["title"],
                          text=r["text"], published_at=as_utc(r["published_at"]),
                          fetched_at=as_utc(r["fetched_at"]), language=r["language"])
        slug = r["url"].rsplit("/", 1)[-1].removesuffix(".html")
        out.append((article, decode(r), str(r["source_id"]), slug))
    return out


def replay(items, **params):
    """article id -> (story id, thread id); story id -> (title, first published)."""
    threads = StoryClusterer(**{**THREAD_PARAMS, **params})
    events = EventClusterer(threads.vectorizer)
    placed, stories = {}, {}
    for article, feats, outlet, _ in items:
        doc = feats.doc(article, "auto")
        thread = threads.add(doc, feats.given_embedding("auto"), outlet=outlet)
        event = events.add(doc, outlet=outlet, thread_id=thread.story_id)
        placed[article.id] = event.story_id
        stories.setdefault(event.story_id, [article.title, article.published_at, None])
    for sid, story in stories.items():
        story[2] = threads.resolve(events.story(sid).thread_id)
    return {aid: (sid, stories[sid][2]) for aid, sid in placed.items()}, stories


def load_labels(path: Path) -> dict[str, str]:
    with path.open(encoding="utf-8") as f:
        return {r["article"]: r["topic"] for r in csv.DictReader(f, delimiter="\t")}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("db", type=Path)
    ap.add_argument("--show", type=int, default=5)
    ap.add_argument("--members", type=int, default=40, help="headlines shown per thread")
    ap.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    ap.add_argument("--labels", type=Path, help="TSV article<TAB>topic: score the threads")
    args = ap.parse_args(argv)
    params = {}
    for item in args.set:
        name, value = item.split("=", 1)
        params[name] = (timedelta(days=float(value)) if name in ("window", "spread_age")
                        else parse_value(value))
    items = read_demo(args.db)
    t = time.time()
    placed, stories = replay(items, **params)
    seconds = time.time() - t
    by_thread = defaultdict(list)
    for sid, (title, when, tid) in stories.items():
        by_thread[tid].append((when, sid, title))
    sizes = sorted((len(v) for v in by_thread.values()), reverse=True)
    print(f"{len(items)} articles, {len(stories)} stories, {len(by_thread)} threads "
          f"({seconds:.1f}s); parameters: {params or 'as the stage'}")
    print("stories per thread, largest first:", sizes[:15])
    print("threads by size:", sorted(Counter(sizes).items()))
    print(f"largest thread: {sizes[0]} of {len(stories)} stories ({sizes[0] / len(stories):.0%})")
    if args.labels:
        labels = load_labels(args.labels)
        slug_of = {a.id: slug for a, _, _, slug in items}
        gold, pred = defaultdict(list), defaultdict(list)
        for aid, (_, tid) in placed.items():
            topic = labels.get(slug_of[aid])
            if topic is None:
                continue
            for name in ("all", part(topic)):
                gold[name].append(topic)
                pred[name].append(tid)
        for name in ("tune", "report", "all"):
            p, r, f = bcubed(gold[name], pred[name])
            print(f"threads against topic labels, {name:<6} ({len(gold[name])} articles): "
                  f"P {p:.3f} R {r:.3f} F1 {f:.3f}")
    for tid, members in sorted(by_thread.items(), key=lambda kv: -len(kv[1]))[:args.show]:
        members.sort(key=lambda m: (m[0] is None, m[0]))
        print(f"\nthread {tid}: {len(members)} stories")
        for when, sid, title in members[:args.members]:
            print(f"  {str(when)[:10]}  {title[:100]}")
        if len(members) > args.members:
            print(f"  ... {len(members) - args.members} more")
    return 0


if __name__ == "__main__":
    sys.exit(main())
