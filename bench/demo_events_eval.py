"""Are the demo's stories events? B-cubed precision, recall and F1 of the stories the real
pipeline builds on the bundled demo, against our own labelled development sample.

    python bench/demo_events_eval.py              # the real pipeline: replay, ingest, stage
    python bench/demo_events_eval.py --corpus [--set threshold=0.3 ...]   # clusterer only
    python bench/demo_events_eval.py --labels fresh       # the fresh reporting set

Labels: ``bench/data/demo-events-dev.tsv`` (rule in ``bench/data/README.md``): the 225
government releases of 10-24 February 2022, one occurrence (one call, one meeting, one
decision, one attack, one speech) = one story. Printed beside two baselines computed in
the same run: every article alone, and one story per outlet and day.

The sample is cut in two by a hash of each event's label (a singleton's: its article id),
so every event lies whole in one half: parameters were chosen on the ``tune`` half, and
the ``report`` half is the figure to quote; ``all`` is both. The held-out labels (the whole
month, not in the repo) use the same rule.

``--labels fresh`` scores the other file, ``bench/data/demo-events-fresh.tsv``: the 244
releases of 25 February - 11 March, labelled from their texts with the same rule before
the clusterer was ever run on them, and used for no choice at all: the whole file is a
reporting set (its halves are printed too, for comparison with the dev sample's).

``--corpus`` feeds the corpus text straight to the event clusterer (seconds; for trying
parameters), the default mode builds the demo database through the replay server, the
fetcher, extraction and the stories stage, exactly as ``newsdesk demo`` does (a minute or
two), and also prints the threads holding the labelled invasion-week events.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import sys
import tempfile
import time
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from cluster_eval import bcubed, parse_value  # noqa: E402

from newsdesk.demo.corpus import load_articles  # noqa: E402

LABELS = ROOT / "bench" / "data" / "demo-events-dev.tsv"
LABEL_SETS = {"dev": LABELS, "fresh": ROOT / "bench" / "data" / "demo-events-fresh.tsv"}


def load_labels(path: Path = LABELS) -> dict[str, str]:
    """article id -> event label; a singleton ("-") gets a label of its own."""
    with path.open(encoding="utf-8") as f:
        return {r["article"]: (r["event"] if r["event"] != "-" else "alone:" + r["article"])
                for r in csv.DictReader(f, delimiter="\t")}


def half(label: str) -> str:
    return "tune" if int(hashlib.sha1(label.encode()).hexdigest(), 16) % 2 == 0 else "report"


def score(labels: dict[str, str], pred: dict[str, object], part: str | None = None):
    ids = [i for i in labels if part is None or half(labels[i]) == part]
    return bcubed([labels[i] for i in ids], [pred[i] for i in ids])


def baselines(articles) -> dict[str, dict[str, object]]:
    return {"every article alone": {a.id: a.id for a in articles},
            "one story per outlet and day": {a.id: (a.outlet_id, utc(a.published).date())
                                             for a in articles}}


def utc(value: str) -> datetime:
    return datetime.fromisoformat(value).astimezone(timezone.utc)


def corpus_stories(articles, **params) -> dict[str, object]:
    """The event clusterer alone on the corpus text, in publication order."""
    from newsdesk.stories.events import EventClusterer
    from newsdesk.stories.story import Doc
    from newsdesk.stories.text import features
    from newsdesk.stories.vectors import Vectorizer
    vectorizer = Vectorizer()
    events = EventClusterer(vectorizer, **params)
    out = {}
    for a in sorted(articles, key=lambda a: (utc(a.published), a.id)):
        doc = Doc(a.id, a.title, a.text, utc(a.published), "en")
        vectorizer.learn(features(doc.title, doc.text))  # as the thread clusterer does
        out[a.id] = events.add(doc, a.outlet_id).story_id
    return out


def pipeline_stories(folder: Path):
    """Build the demo database as ``newsdesk demo`` does (without the AI panels) and read
    back each article's story and thread."""
    from sqlalchemy import text

    from newsdesk.demo.build import build_demo
    from newsdesk.settings import Settings
    from newsdesk.storage.db import Database
    settings = Settings(data_dir=str(folder), database_url=f"sqlite:///{folder / 'demo.db'}",
                        allow_private_networks=True)
    db = Database.open(settings)
    build_demo(settings, db, ai=False)
    with db.read() as conn:
        rows = conn.execute(text("""
            SELECT a.url, x.story_id, st.thread_id, st.title, coalesce(t.name, t.title), a.published_at
            FROM articles a JOIN article_story x ON x.article_id = a.id
            JOIN stories st ON st.id = x.story_id LEFT JOIN threads t ON t.id = st.thread_id""")).all()
    stories = {r[0].rsplit("/", 1)[-1].removesuffix(".html"): r[1] for r in rows}
    threads = defaultdict(dict)
    for r in rows:
        threads[r[2]].setdefault(r[1], (r[3], r[5]))
    thread_titles = {r[2]: r[4] for r in rows}
    return stories, threads, thread_titles


def show_invasion_thread(labels, stories, threads, thread_titles,
                         words=("recogni", "sanction", "attack", "negotiat", "talks")) -> None:
    """The thread(s) holding the labelled recognition, sanctions and invasion stories: those
    stories (marked) and the thread's other stories whose headline has one of ``words``,
    in date order (the talks of 28 February lie after the labelled sample)."""
    wanted = ("russia-recognises-dpr-lpr", "us-first-sanctions-tranche", "russia-attacks-ukraine")
    marked = {stories[i] for i in labels if labels[i] in wanted and i in stories}
    story_thread = {sid: tid for tid, ss in threads.items() for sid in ss}
    for tid in sorted({story_thread[s] for s in marked}):
        members = sorted(threads[tid].items(), key=lambda kv: str(kv[1][1]))
        print(f"\nthread {tid} ({len(members)} stories): {thread_titles[tid]}")
        for sid, (title, when) in members:
            if sid in marked or any(w in title.lower() for w in words):
                print(f"  {str(when)[:10]}  story {sid:>4}  {title[:90]}{' <-' if sid in marked else ''}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", action="store_true", help="event clusterer on the corpus text only")
    ap.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                    help="(--corpus) override an event parameter (window in days)")
    ap.add_argument("--labels", choices=sorted(LABEL_SETS), default="dev",
                    help="dev: the development sample (10-24 Feb); fresh: the reporting set (25 Feb - 11 Mar)")
    args = ap.parse_args(argv)
    labels = load_labels(LABEL_SETS[args.labels])
    articles = [a for a in load_articles() if a.outlet_id != "globalvoices"]
    params = {}
    for item in args.set:
        name, value = item.split("=", 1)
        params[name] = timedelta(days=float(value)) if name == "window" else parse_value(value)
    t = time.time()
    if args.corpus:
        ours, extra = corpus_stories(articles, **params), None
        method = "event clusterer (corpus)"
    else:
        with tempfile.TemporaryDirectory(prefix="newsdesk-demo-eval-") as folder:
            ours, *extra = pipeline_stories(Path(folder))
        method = "newsdesk demo stories"
    seconds = time.time() - t
    n = {part: sum(1 for i in labels if half(labels[i]) == part) for part in ("tune", "report")}
    print(f"labels: {LABEL_SETS[args.labels].name}")
    print(f"labelled articles: {len(labels)} (tune {n['tune']}, report {n['report']}); "
          f"events with 2+ articles: {sum(1 for v in set(labels.values()) if not v.startswith('alone:'))}")
    print(f"{'method':<32} {'half':<7} {'P':>6} {'R':>6} {'F1':>6}")
    for name, pred in [(method, ours), *baselines(articles).items()]:
        for part in ("tune", "report", None):
            p, r, f = score(labels, pred, part)
            print(f"{name:<32} {part or 'all':<7} {p:6.3f} {r:6.3f} {f:6.3f}")
    print(f"stories made for the labelled articles: {len({ours[i] for i in labels})}; {seconds:.1f}s")
    if extra:
        show_invasion_thread(labels, ours, *extra)
    return 0


if __name__ == "__main__":
    sys.exit(main())
