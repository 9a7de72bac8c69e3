"""What a reader meets on the demo's thread pages: the threads of a built demo database,
replayed through the stories stage's two clusterers in seconds.

    python bench/demo_threads.py DEMO.db [--show 5] [--members 40] [--set name=value ...]

``DEMO.db`` is a database built once as ``newsdesk demo`` builds it (``newsdesk demo
--no-serve`` and its ``newsdesk-data/demo.db``; which code built it does not matter, as
everything is re-clustered): its articles and the features their workers stored are read,
then fed, in the stage's order (publication time, then id), to a fresh thread clusterer
(``lookahead.ThreadClusterer`` with the stage's ``THREAD_PARAMS``, overridden by ``--set``) and
event clusterer, exactly as ``StoriesStage._place`` feeds them. A story's thread is its
first article's, as in the stage. Nothing is written.

Prints the distribution of thread sizes (stories per thread), the share of stories in the
largest thread, and the ``--show`` largest threads with their stories' headlines, for a
hand check: are the members on the thread's topic? With ``--labels`` (default
``bench/data/demo-threads.tsv``, rule in ``bench/data/README.md``), it also scores the
threads' B-cubed precision, recall and F1 against those topic labels, beside "every article
alone", "one thread per outlet", the same threads without the look-ahead (the online
clusterer alone, ``cluster.StoryClusterer``) and without the outlet damping
(``outlet_prior=0``, the code before it), on the tuning and reporting parts (``evalsplit.part``
of the article: the war holds most articles, so a split by topic would put it whole in one
part).
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
from newsdesk.stories.lookahead import ThreadClusterer  # noqa: E402
from newsdesk.stories.events import EventClusterer  # noqa: E402
from newsdesk.stories.features import decode  # noqa: E402
from newsdesk.stories.stage import THREAD_PARAMS  # noqa: E402


LABELS = ROOT / "bench" / "data" / "demo-threads.tsv"


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


def replay(items, threads: StoryClusterer | None = None, embedding=None, lookahead=True, **params):
    """article id -> (story id, thread id); story id -> (title, first published, thread id).
    ``threads``: the thread clusterer to use (default: the stage's, ``ThreadClusterer`` with
    ``params``; ``lookahead=False``: ``StoryClusterer``, the one before it);
    ``embedding(doc, stored, outlet, events)``: the embedding the thread level is given
    instead of the stored one (the experiments in demo_pooling.py, demo_templates.py)."""
    threads = threads or (ThreadClusterer if lookahead else StoryClusterer)(**{**THREAD_PARAMS, **params})
    events = EventClusterer(threads.vectorizer)
    placed, stories = {}, {}
    for article, feats, outlet, _ in items:
        doc = feats.doc(article, "auto")
        given = feats.given_embedding("auto")
        if embedding is not None:
            given = embedding(doc, given, outlet, events)
        thread = threads.add(doc, given, outlet=outlet, outlets=events.outlets)
        event = events.add(doc, outlet=outlet, thread_id=thread.story_id)
        placed[article.id] = event.story_id
        stories.setdefault(event.story_id, [article.title, article.published_at, None])
        for old, new, moved in getattr(threads, "pop_splits", list)():   # as the stage does
            _split(events, threads, placed, old, new, set(moved))
    for sid, story in stories.items():
        story[2] = threads.resolve(events.story(sid).thread_id)
    return {aid: (sid, stories[sid][2]) for aid, sid in placed.items()}, stories


def _split(events, threads, placed, old, new, moved) -> None:
    """``storage.threads.split_thread`` on the replay: the stories of thread ``old`` most of
    whose articles left for ``new`` move there."""
    members = defaultdict(list)
    for aid, sid in placed.items():
        members[sid].append(aid)
    for sid, aids in members.items():
        story = events.story(sid)
        if (story is not None and threads.resolve(story.thread_id) == old
                and 2 * len(moved.intersection(aids)) > len(aids)):
            story.thread_id = new


def load_labels(path: Path) -> dict[str, str]:
    """article -> topic; an article on a topic of its own ("-") gets a label of its own."""
    with path.open(encoding="utf-8") as f:
        return {r["article"]: r["topic"] if r["topic"] != "-" else "alone:" + r["article"]
                for r in csv.DictReader(f, delimiter="\t")}


def score(labels: dict[str, str], items, pred: dict) -> dict[str, tuple]:
    """B-cubed P, R, F1 and size of each part (and of all) of the labelled articles."""
    gold, got = defaultdict(list), defaultdict(list)
    for article, _, _, slug in items:
        if slug in labels:
            for name in ("all", part(slug)):
                gold[name].append(labels[slug])
                got[name].append(pred[article.id])
    return {name: (*bcubed(gold[name], got[name]), len(gold[name]))
            for name in ("tune", "report", "all")}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("db", type=Path)
    ap.add_argument("--show", type=int, default=5)
    ap.add_argument("--members", type=int, default=40, help="headlines shown per thread")
    ap.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    ap.add_argument("--labels", type=Path, default=LABELS,
                    help="TSV article<TAB>topic (default: %(default)s)")
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
    if args.labels.exists():
        labels = load_labels(args.labels)
        outlet_of = {a.id: outlet for a, _, outlet, _ in items}
        before, _ = replay(items, **{**params, "outlet_prior": 0})
        online, _ = replay(items, lookahead=False, **params)
        for method, pred in (("newsdesk threads", {aid: tid for aid, (_, tid) in placed.items()}),
                             ("without look-ahead", {aid: tid for aid, (_, tid) in online.items()}),
                             ("without outlet damping", {aid: tid for aid, (_, tid) in before.items()}),
                             ("every article alone", {aid: aid for aid in placed}),
                             ("one thread per outlet", outlet_of)):
            for name, (p, r, f, n) in score(labels, items, pred).items():
                print(f"{method:<22} {name:<6} ({n} articles) B-cubed P {p:.3f} R {r:.3f} F1 {f:.3f}")
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
