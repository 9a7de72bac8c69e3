"""Speed and scale of the whole stories stage: cost per new article and peak memory with
10k, 100k and 1M articles already stored (issue 4).

    python bench/stories_bench.py [--sizes 10000,100000,1000000] [--probe 2000] [--per-call 20]

What is timed is ``StoriesStage.process_pending`` itself, on a real SQLite file holding the
archive: near-duplicate lookup, clustering, hashtags, provenance, story tags, related lists
and every database write and commit the stage does. New articles arrive ``--per-call`` at a
time (a feed refresh; the app calls the stage once per refresh), so per-call costs (the
pending-article query, the saved clusterer state) are spread as they are in production.
The per-stage columns come from thin timers wrapped around the stage's own steps:

    dedup    signature + DuplicateIndex lookup      cluster  ThreadClusterer.add (threads)
    events   EventClusterer.add (stories)
    tags     hashtags() of the article              story    story tags merge
    related  candidate queries + related()          state    clusterer state saved per batch
    queue    pending-article query + article load   writes   the rest: assignment, provenance,
                                                             story counts, signature, commit

The synthetic archive (rate ``--rate`` articles a day, 2,740/day = 1M a year, so a bigger
archive covers a longer period, as a real one does) is rewritten from real text: each event
(story) takes a Google News title (../shared/eval/googlenews-mstream), two sentences of a
bundled demo article (newsdesk/demo/data) and invented names and place, and each of its
articles adds three sentences drawn from the whole demo corpus; 5% of articles are wire
copies of an earlier article of their event from another of 300 outlets. Event sizes are
heavy-tailed (most 1-5 articles, a few hundreds).

Shortcuts, so a 1M archive builds in minutes (``--cache``, default
/tmp/newsdesk-stories-bench, keyed by size, rate and ``BUILD``; built once, then copied
for each run):

* Articles older than the last ``WARM_DAYS`` are bulk-inserted with SQL, already
  processed: their story is their event, their tags are the event's names plus two of the
  demo article's hashtags (so popular tags span thousands of stories, as #Ukraine does),
  and they skip the full-text index (the stage never reads it). Signatures are stored only
  for the last ``DEDUP_WINDOW`` (the only ones the stage ever reads); old related lists are
  not stored (the stage only replaces lists by article id).
* The clusterer's document frequencies learn each cold article's terms as the union of its
  title's and its sentences' terms (``text.features`` per part, cached: parts repeat).
* The last ``WARM_DAYS`` (one day) go through the real stage, untimed, to start the active
  window: a third of the clusterer's 3-day window, so each build takes minutes; the same
  at every size, so the comparison across sizes is fair.

``--embeddings`` is the app's setting of that name, "off" by default here: with "auto" and
the MiniLM package installed, clustering also encodes each title (a fixed CPU cost per
article, 10-50 ms on a busy 2-core machine, that depends on the machine and not on the
archive, and whose BLAS threads make every other column noisy).

Each size runs in a fresh subprocess, so peak RSS (getrusage) is that of a worker starting
on that archive (reloading the dedup index from stored signatures) and taking the probe.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import resource
import shutil
import sqlite3
import subprocess
import sys
import time
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from newsdesk.settings import Settings  # noqa: E402
from newsdesk.storage import articles as article_store  # noqa: E402
from newsdesk.storage import stories as story_store  # noqa: E402
from newsdesk.storage.db import Database  # noqa: E402
from newsdesk.stories import stage as stage_module  # noqa: E402
from newsdesk.stories.cluster import StoryClusterer  # noqa: E402
from newsdesk.stories.dedup import DuplicateIndex  # noqa: E402
from newsdesk.stories.tags import hashtags, make_tag  # noqa: E402
from newsdesk.stories.text import features  # noqa: E402

TITLES = ROOT.parent / "shared" / "eval" / "googlenews-mstream" / "News.jsonl"
DEMO = ROOT / "newsdesk" / "demo" / "data" / "articles.jsonl.gz"
BUILD = 3            # bump when the archive generator changes (invalidates the cache)
OUTLETS = 300
WARM_DAYS = 1
COPY_SHARE = 0.05
STAGES = ("dedup", "cluster", "events", "tags", "story", "related", "state", "queue", "writes")
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'])")
_SYLLABLES = "ka ro mi tel va dor sen lu bra qui fen ost ari mon zel pa ti rek ul vin".split()


# ---------------------------------------------------------------------- synthetic stream
class Corpus:
    def __init__(self):
        self.titles = [json.loads(line)["textCleaned"] for line in TITLES.read_text().splitlines()]
        demo = [json.loads(line) for line in gzip.open(DEMO, "rt", encoding="utf-8")]
        self.docs = [[s for s in _SENTENCE.split(d["text"]) if 40 <= len(s) <= 300] for d in demo]
        self.docs = [d for d in self.docs if len(d) >= 4]
        self.sentences = [s for d in self.docs for s in d]
        self._tags: dict[int, list[str]] = {}
        self._terms: dict[str, frozenset] = {}

    def terms(self, part: str, title: bool = False) -> frozenset:
        """Distinct clustering terms of one sentence or title (cached: parts repeat)."""
        found = self._terms.get(part)
        if found is None:
            found = self._terms[part] = frozenset(features(part) if title else features("", part))
        return found

    def doc_tags(self, k: int) -> list[str]:
        """Two hashtags of demo article ``k`` (computed once): the shared, popular tags."""
        if k not in self._tags:
            text = " ".join(self.docs[k])
            self._tags[k] = [t.display.lstrip("#") for t in hashtags(text[:120], text)][:2]
        return self._tags[k]


def _name(rng: random.Random) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()


class Stream:
    """Articles in publication order, interleaving events (stories) of heavy-tailed size."""

    def __init__(self, corpus: Corpus, rate: float, start: datetime, seed: int = 0):
        self.c, self.rate, self.start = corpus, rate, start
        self.rng = random.Random(seed)
        self.open: list[dict] = []
        self.n_events = 0
        self.i = 0

    def _new_event(self) -> dict:
        rng, c = self.rng, self.c
        self.n_events += 1
        size = min(int(rng.paretovariate(1.3)), 400)
        k = rng.randrange(len(c.docs))
        names = [_name(rng), _name(rng), _name(rng)]
        return {"id": self.n_events, "left": size, "doc": k, "names": names,
                "title": " ".join(w.capitalize() for w in rng.choice(c.titles).split()),
                "core": rng.sample(c.docs[k], 2), "articles": []}

    def __iter__(self):
        return self

    def __next__(self) -> dict:
        rng = self.rng
        when = self.start + timedelta(days=self.i / self.rate)
        self.i += 1
        if not self.open or rng.random() < 0.3:
            self.open.append(self._new_event())
        event = rng.choice(self.open)
        event["left"] -= 1
        if event["left"] <= 0:
            self.open.remove(event)
        a, b, place = event["names"]
        source = rng.randrange(OUTLETS) + 1
        if event["articles"] and rng.random() < COPY_SHARE / 0.7:
            original = rng.choice(event["articles"])
            source = (original["source"] + rng.randrange(1, OUTLETS)) % OUTLETS + 1
            return {"n": self.i, "event": event, "source": source, "published": when,
                    "title": original["title"], "copy_of": original["n"],
                    "parts": original["parts"],
                    "text": original["text"] + f"\n\nDistributed by agency {source}."}
        title = f"{a}: {event['title']} in {place}"
        drawn = rng.sample(self.c.sentences, 3)
        parts = [f"{a} and {b} were at the centre of events in {place} on the day.",
                 *event["core"], *drawn,
                 f"{a} is expected to speak again, reporters in {place} were told."]
        article = {"n": self.i, "event": event, "source": source, "published": when,
                   "title": title, "text": " ".join(parts), "copy_of": None, "parts": parts}
        event["articles"].append(article)
        if len(event["articles"]) > 8:
            event["articles"].pop(0)
        return article


def _ts(when: datetime) -> str:
    return when.astimezone(timezone.utc).replace(tzinfo=None).isoformat(" ", "microseconds")


# ---------------------------------------------------------------------- building the archive
def build(path: Path, size: int, rate: float) -> None:
    """Archive of ``size`` articles ending now; all processed (the last WARM_DAYS by the stage)."""
    tmp = path.with_suffix(".building")
    for p in tmp.parent.glob(tmp.name + "*"):
        p.unlink()
    db = Database.from_url(f"sqlite:///{tmp}")
    corpus = Corpus()
    end = datetime.now(timezone.utc)
    stream = Stream(corpus, rate, end - timedelta(days=size / rate))
    warm = min(size, int(WARM_DAYS * rate))
    cold = size - warm
    sig_from = end - stage_module.DEDUP_WINDOW
    clusterer = StoryClusterer()
    raw = sqlite3.connect(tmp)
    raw.execute("DROP TRIGGER articles_fts_insert")  # archive rows skip the FTS index
    raw.executemany("INSERT INTO sources (id, url, title, enabled, full_text, error_count, "
                    "created_at) VALUES (?, ?, ?, 1, 1, 0, ?)",
                    [(i, f"http://outlet{i}.example/feed", f"Outlet {i}", _ts(end))
                     for i in range(1, OUTLETS + 1)])
    stories: dict[int, list] = {}   # event -> [title, lead, first, last, count, outlets]
    rows = defaultdict(list)
    for _ in range(cold):
        art = next(stream)
        ev, n = art["event"], art["n"]
        stamp = _ts(art["published"])
        rows["articles"].append((n, art["source"], f"h{n}", art["title"], art["text"], stamp,
                                 stamp, "page", "en", len(art["text"].split())))
        rows["article_story"].append((n, ev["id"], 1.0 if art["copy_of"] else 0.5))
        kind = "republication" if art["copy_of"] else "original"
        rows["provenance"].append((n, kind, art["copy_of"], 1.0 if art["copy_of"] else 0.0))
        if art["copy_of"]:
            rows["duplicates"].append((n, art["copy_of"], 1.0, "republication"))
        if art["published"] >= sig_from:
            rows["signatures"].append((n, DuplicateIndex.signature(art["text"], art["title"])))
        tags = [make_tag(t) for t in ev["names"] + corpus.doc_tags(ev["doc"])]
        tags = list({t.slug: t for t in tags if t}.values())
        rows["article_tags"].extend((n, t.slug, t.display.lstrip("#"), 1.0 / (r + 1))
                                    for r, t in enumerate(tags))
        story = stories.get(ev["id"])
        if story is None:
            story = stories[ev["id"]] = [art["title"], n, stamp, stamp, 0, set()]
            rows["story_tags"].extend((ev["id"], t.slug, t.display.lstrip("#"), 1.0 / (r + 1))
                                      for r, t in enumerate(tags))
        story[3], story[4] = stamp, story[4] + 1
        story[5].add(art["source"])
        terms = corpus.terms(art["title"], title=True).union(
            *(corpus.terms(p) for p in art["parts"]))
        clusterer.vectorizer.learn(terms)
        if len(rows["articles"]) >= 20000:
            _flush(raw, rows)
    _flush(raw, rows)
    raw.executemany("INSERT INTO stories (id, title, lead_article_id, first_seen, last_seen, "
                    "article_count, outlet_count, updated_at, thread_id) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [(sid, s[0], s[1], s[2], s[3], s[4], len(s[5]), s[3], sid)
                     for sid, s in stories.items()])
    raw.executemany("INSERT INTO threads (id, title, lead_story_id, first_seen, last_seen, "
                    "story_count, article_count, updated_at) VALUES (?, ?, ?, ?, ?, 1, ?, ?)",
                    [(sid, s[0], sid, s[2], s[3], s[4], s[3]) for sid, s in stories.items()])
    raw.execute("CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles BEGIN "
                "INSERT INTO articles_fts(rowid, title, text) VALUES (new.id, new.title, new.text); END")
    clusterer.next_id = stream.n_events + 1   # one thread per archived event
    state = clusterer.to_dict()
    head = {"clock": state["clock"], "next_id": state["next_id"]}
    for key, value in (("stories:clusterer", head), ("stories:events", head),
                       ("stories:df", state["vectorizer"])):
        raw.execute("INSERT INTO kv (key, value, updated_at) VALUES (?, ?, ?)",
                    (key, json.dumps(value).encode(), _ts(end)))
    raw.execute("INSERT INTO kv (key, value, updated_at) VALUES ('stories:version', ?, ?)",
                (b"1", _ts(end)))
    raw.commit()
    raw.execute("ANALYZE")
    raw.close()
    stage = stage_module.StoriesStage(Settings(data_dir=str(tmp.parent)), db)
    for start in range(0, warm, 1000):   # the active window, through the real stage
        _insert(db, [next(stream) for _ in range(min(1000, warm - start))])
        stage.process_pending()
    db.close()
    with sqlite3.connect(tmp) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    tmp.rename(path)
    meta = {"next": stream.i, "events": stream.n_events, "end": end.isoformat()}
    path.with_suffix(".json").write_text(json.dumps(meta))


def _flush(raw: sqlite3.Connection, rows: dict) -> None:
    sql = {"articles": "INSERT INTO articles (id, source_id, entry_hash, title, text, "
                       "published_at, fetched_at, extraction, language, word_count) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
           "article_story": "INSERT INTO article_story VALUES (?, ?, ?)",
           "provenance": "INSERT INTO provenance VALUES (?, ?, ?, ?)",
           "duplicates": "INSERT INTO duplicates VALUES (?, ?, ?, ?)",
           "signatures": "INSERT INTO signatures VALUES (?, ?)",
           "article_tags": "INSERT INTO article_tags VALUES (?, ?, ?, ?)",
           "story_tags": "INSERT INTO story_tags VALUES (?, ?, ?, ?)"}
    for table in ("articles", "article_story", "provenance", "duplicates", "signatures",
                  "article_tags", "story_tags"):
        raw.executemany(sql[table], rows.pop(table, []))
    raw.commit()


def _insert(db: Database, arts: list[dict]) -> list[int]:
    """New articles as ingest stores them (pending for the stories stage)."""
    with db.write() as conn:
        return article_store.insert_articles(conn, [{
            "source_id": a["source"], "entry_hash": f"h{a['n']}", "title": a["title"],
            "text": a["text"], "fetched_at": a["published"], "published_at": a["published"],
            "extraction": "page", "language": "en", "word_count": len(a["text"].split())}
            for a in arts], db.dialect)


# ---------------------------------------------------------------------- one timed run
def _timed(timers: dict, name: str, fn):
    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            timers[name] += time.perf_counter() - started
    return wrapper


def run_one(size: int, rate: float, probe: int, per_call: int, cache: Path,
            embeddings: str = "off") -> dict:
    cached = cache / f"archive-{size}-r{rate:.0f}-b{BUILD}.sqlite"
    meta = json.loads(cached.with_suffix(".json").read_text())
    work = cache / f"run-{size}.sqlite"
    for p in cache.glob(work.name + "*"):
        p.unlink()
    shutil.copy(cached, work)
    db = Database.from_url(f"sqlite:///{work}")   # applies any newer migration (untimed)
    corpus = Corpus()
    stream = Stream(corpus, rate, datetime.fromisoformat(meta["end"]) - timedelta(days=size / rate))
    stream.i = meta["next"]   # continue the timeline; new events use fresh names
    stream.rng.seed(size)
    arts = [next(stream) for _ in range(probe)]
    stage = stage_module.StoriesStage(Settings(data_dir=str(cache), embeddings=embeddings), db)
    started = time.perf_counter()
    stage._reload_if_stale()           # worker start-up: clusterer state, dedup index
    startup = time.perf_counter() - started
    timers: dict[str, float] = defaultdict(float)
    stage.duplicates.add_signature = _timed(timers, "dedup", stage.duplicates.add_signature)
    stage.duplicates.signature = _timed(timers, "dedup", stage.duplicates.signature)
    stage.clusterer.add = _timed(timers, "cluster", stage.clusterer.add)
    stage.events.add = _timed(timers, "events", stage.events.add)
    stage._story_tags = _timed(timers, "story", stage._story_tags)
    stage._related = _timed(timers, "related", stage._related)
    stage._save_state = _timed(timers, "state", stage._save_state)
    originals = (stage_module.hashtags, story_store.pending_article_ids,
                 article_store.get_articles)
    stage_module.hashtags = _timed(timers, "tags", originals[0])
    story_store.pending_article_ids = _timed(timers, "queue", originals[1])
    article_store.get_articles = _timed(timers, "queue", originals[2])
    total = 0.0
    try:
        for start in range(0, probe, per_call):
            _insert(db, arts[start:start + per_call])
            started = time.perf_counter()
            stage.process_pending()
            total += time.perf_counter() - started
    finally:
        (stage_module.hashtags, story_store.pending_article_ids,
         article_store.get_articles) = originals
    timers["writes"] = total - sum(timers.values())
    with db.read() as conn:
        biggest = conn.exec_driver_sql("SELECT max(article_count) FROM stories").scalar()
    db.close()
    for p in cache.glob(work.name + "*"):
        p.unlink()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # MiB (Linux: KiB)
    return {"size": size, "ms": total * 1000 / probe, "rss_mb": rss, "startup_s": startup,
            "stages": {k: v * 1000 / probe for k, v in timers.items()},
            "info": f"dedup index {len(stage.duplicates)}, active threads "
                    f"{len(stage.clusterer.active_ids())}, active stories "
                    f"{len(stage.events.active_ids())}, biggest story {biggest}"}


# ---------------------------------------------------------------------- driver
def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--rate", type=float, default=2740.0, help="articles a day")
    ap.add_argument("--probe", type=int, default=2000, help="timed new articles")
    ap.add_argument("--per-call", type=int, default=20, help="new articles per stage call")
    ap.add_argument("--cache", default="/tmp/newsdesk-stories-bench")
    ap.add_argument("--embeddings", default="off", help="the app's embeddings setting")
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--build", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    for path in (TITLES, DEMO):
        if not path.exists():
            print(f"missing {path}")
            return 1
    cache = Path(args.cache)
    cache.mkdir(parents=True, exist_ok=True)
    if args.build is not None:
        build(cache / f"archive-{args.build}-r{args.rate:.0f}-b{BUILD}.sqlite", args.build, args.rate)
        return 0
    if args.one is not None:
        print(json.dumps(run_one(args.one, args.rate, args.probe, args.per_call, cache,
                                 args.embeddings)))
        return 0
    common = ["--rate", str(args.rate), "--cache", str(cache)]
    print(f"rate {args.rate:.0f} articles/day; {args.probe} timed articles per size, "
          f"{args.per_call} per stage call; embeddings {args.embeddings}; ms per article")
    print(f"{'archive':>10} " + " ".join(f"{s:>7}" for s in STAGES) +
          f" {'total':>7} {'vs first':>8} {'RSS MB':>7} {'start s':>7}  notes")
    first = None
    for size in (int(s) for s in args.sizes.split(",")):
        if not (cache / f"archive-{size}-r{args.rate:.0f}-b{BUILD}.sqlite").exists():
            started = time.perf_counter()
            subprocess.run([sys.executable, __file__, "--build", str(size), *common], check=True)
            print(f"{'':>10} (built the {size:,} archive in {time.perf_counter() - started:.0f} s)",
                  flush=True)
        out = subprocess.run([sys.executable, __file__, "--one", str(size), *common,
                              "--probe", str(args.probe), "--per-call", str(args.per_call),
                              "--embeddings", args.embeddings],
                             capture_output=True, text=True, check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        first = first or r["ms"]
        print(f"{size:>10,} " + " ".join(f"{r['stages'].get(s, 0.0):>7.2f}" for s in STAGES) +
              f" {r['ms']:>7.2f} {r['ms'] / first:>7.2f}x {r['rss_mb']:>7.0f} "
              f"{r['startup_s']:>7.1f}  {r['info']}", flush=True)
    print("target: total at 1M under 2x total at 10k, peak RSS under 2,048 MB at 1M")
    return 0


if __name__ == "__main__":
    sys.exit(main())
