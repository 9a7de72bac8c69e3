"""Quality of online story clustering on public data, beside a single-pass TF-IDF baseline.

    python bench/cluster_eval.py [--datasets News-T,News,WikiRef220] [--set threshold=0.3]
                                 [--embeddings auto|off] [--embed-cache DIR] [--time none|index]
                                 [--level thread|story|both]

Data (../shared/eval, see each SOURCE.md):
- googlenews-mstream News-T.jsonl / News.jsonl: 11,109 preprocessed Google News titles in
  152 stories, fed in file order. No dates: ``--time none`` (default) leaves time absent;
  ``--time index`` dates article i at i minutes (a steady 1,440 articles a day).
- wikiref WikiRef220: 220 full texts, 5 stories + 11 noise topics (label = filename prefix),
  fed in a fixed shuffled order (seed 0) since the set has no stream order.

Each data set is run on both paths the app has: TF-IDF alone ("newsdesk", what a plain install
does) and, when the optional MiniLM package is installed (``Settings.embeddings = "auto"``),
with MiniLM embeddings of headline and lede mixed in ("newsdesk+MiniLM"); ``--embeddings off``
skips the second. Encoding 11k titles takes minutes in numpy, so the embeddings are kept in
``--embed-cache`` (default ``bench/out/embeddings``, keyed by a hash of the embedded texts).

Metrics: NMI (sklearn), B-cubed precision/recall/F1, ARI, number of stories. Each line
also gives NMI and B-cubed F1 on the *reporting* half of the set (documents whose id hashes
odd; the even half is for tuning parameters), so a parameter chosen on one half is judged on
the other.

What these sets measure is the topic level (``StoryClusterer``, the app's *threads*): their
gold clusters are Google News stories in the broad sense ("Xbox One launch", "Kim
Kardashian and Kanye West"), and they carry neither outlets nor dates nor capitals, which
the event level (``events.py``, the app's stories) reads. The event level is measured on
the demo by ``bench/demo_events_eval.py``; ``--level story`` (or ``both``) also runs it
here, to show what it does on a stream of topic-level gold (it reads no embeddings).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import random
import re
import sys
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from newsdesk.stories.cluster import DEFAULTS, Doc, StoryClusterer, embed_text  # noqa: E402
from newsdesk.stories.lookahead import ThreadClusterer  # noqa: E402

SHARED = ROOT.parent / "shared" / "eval"
T0 = datetime(2024, 1, 1)


# ---------------------------------------------------------------- data
def load_mstream(name: str, shared: Path = SHARED) -> tuple[list[Doc], list[int]]:
    path = shared / "googlenews-mstream" / f"{name}.jsonl"
    docs, labels = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        docs.append(Doc(id=row["Id"], title=row["textCleaned"]))
        labels.append(row["clusterNo"])
    return docs, labels


def load_wikiref(shared: Path = SHARED) -> tuple[list[Doc], list[str]]:
    folder = shared / "wikiref-news-clustering" / "wikiref" / "WikiRef220"
    files = sorted(folder.glob("*.txt"))
    random.Random(0).shuffle(files)
    docs, labels = [], []
    for f in files:
        raw = f.read_bytes().decode("cp1252", errors="replace")
        lines = [ln.strip() for ln in raw.splitlines() if ln.strip()]
        title = lines[0] if lines else ""
        docs.append(Doc(id=f.name, title=title, text="\n".join(lines[1:])))
        labels.append(re.sub(r"(\.\d+| \(\d+\))\.txt$", "", f.name))
    return docs, labels


def with_index_time(docs: list[Doc]) -> list[Doc]:
    return [Doc(d.id, d.title, d.text, T0 + timedelta(minutes=i), d.language)
            for i, d in enumerate(docs)]


# ---------------------------------------------------------------- metrics
def bcubed(labels, pred) -> tuple[float, float, float]:
    pairs = Counter(zip(pred, labels))
    size_p, size_l, n = Counter(pred), Counter(labels), len(labels)
    p = sum(c * c / size_p[k] for (k, _), c in pairs.items()) / n
    r = sum(c * c / size_l[l] for (_, l), c in pairs.items()) / n
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def report_half(ids) -> list[bool]:
    """Which documents form the reporting half: their id's hash is odd."""
    return [int(hashlib.sha1(str(i).encode()).hexdigest(), 16) % 2 == 1 for i in ids]


def scores(labels, pred, ids=None) -> dict:
    p, r, f = bcubed(labels, pred)
    out = {"NMI": normalized_mutual_info_score(labels, pred), "B3-P": p, "B3-R": r,
           "B-cubed-F1": f, "ARI": adjusted_rand_score(labels, pred), "stories": len(set(pred))}
    if ids is not None:
        keep = report_half(ids)
        for name, want in (("report", True), ("tune", False)):
            lab = [x for x, k in zip(labels, keep) if k == want]
            prd = [x for x, k in zip(pred, keep) if k == want]
            out[name] = (normalized_mutual_info_score(lab, prd), bcubed(lab, prd)[2])
    return out


# ---------------------------------------------------------------- baseline
def baseline(docs: list[Doc], threshold: float = 0.1) -> list[int]:
    """Single-pass TF-IDF: cosine to each cluster centroid, new cluster below threshold."""
    df: Counter = Counter()
    centroids: list[tuple[dict, float]] = []
    out = []
    for n, doc in enumerate(docs, 1):
        tokens = re.findall(r"\w+", (doc.title + " " + doc.text).lower())
        df.update(set(tokens))
        v = {t: (1 + math.log(c)) * math.log((n + 1) / (df[t] + 0.5))
             for t, c in Counter(tokens).items()}
        norm = math.sqrt(sum(x * x for x in v.values())) or 1.0
        v = {t: x / norm for t, x in v.items()}
        best, best_i = -1.0, -1
        for i, (c, cnorm) in enumerate(centroids):
            s = sum(x * c.get(t, 0.0) for t, x in v.items()) / cnorm
            if s > best:
                best, best_i = s, i
        if best >= threshold:
            c = centroids[best_i][0]
            for t, x in v.items():
                c[t] = c.get(t, 0.0) + x
            centroids[best_i] = (c, math.sqrt(sum(x * x for x in c.values())))
        else:
            centroids.append((dict(v), 1.0))
            best_i = len(centroids) - 1
        out.append(best_i)
    return out


# ---------------------------------------------------------------- ours
def cache_path(cache: Path, docs: list[Doc]) -> Path:
    """Where the embeddings of ``docs`` are kept: one row per distinct embedded text, keyed by
    a hash of those texts, so the two orders of the Google News set share one file."""
    texts = sorted(set(embed_text(d) for d in docs))
    key = hashlib.sha1("\n".join(texts).encode()).hexdigest()[:16]
    return cache / f"texts-{key}.npy"


def encode(embedder, docs: list[Doc], cache: Path | None = None):
    """Embeddings of ``docs`` in order (headline and lede, as the app makes them); each
    distinct text is encoded once, and kept in ``cache`` for the next run."""
    texts = sorted(set(embed_text(d) for d in docs))
    path = cache_path(cache, docs) if cache is not None else None
    if path is not None and path.exists():
        table = np.load(path)
    else:
        table = embedder.encode(texts)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            np.save(path, table)
    row = {t: i for i, t in enumerate(texts)}
    return table[[row[embed_text(d)] for d in docs]]


def newsdesk(docs: list[Doc], embedder=None, embeddings=None, lookahead=True, **params) -> list[int]:
    """The app's thread clusterer (``ThreadClusterer``); ``lookahead=False``: without its
    deferred decisions (``StoryClusterer``, the clusterer shipped before them)."""
    kind = ThreadClusterer if lookahead else StoryClusterer
    clusterer = kind(embedder=embedder, **params)
    if embedder is not None and embeddings is None:
        embeddings = encode(embedder, docs)
    for i, d in enumerate(docs):
        clusterer.add(d, None if embeddings is None else embeddings[i])
    return final_threads(clusterer, docs)


def final_threads(clusterer, docs: list[Doc]) -> list[int]:
    """The thread holding each document at the end of the stream (after merges, folds and
    splits: a split moves articles, so where an article was placed is not where it is)."""
    where = {m: story.id for story in clusterer.stories() for m in story.members}
    return [where[d.id] for d in docs]


def events(docs: list[Doc]) -> list[int]:
    """The app's *story* level (``events.py``) on the same stream: no outlets and, without
    ``--time index``, no dates, so every pair is compared on stream-wide word weights. It
    reads no embeddings."""
    from newsdesk.stories.events import EventClusterer
    from newsdesk.stories.story import Doc as EventDoc
    from newsdesk.stories.text import features
    from newsdesk.stories.vectors import Vectorizer
    vectorizer = Vectorizer()
    clusterer = EventClusterer(vectorizer)
    out = []
    for d in docs:
        vectorizer.learn(features(d.title, d.text))
        out.append(clusterer.add(EventDoc(d.id, d.title, d.text, d.published, d.language)).story_id)
    return out


def line(dataset: str, method: str, s: dict, seconds: float) -> str:
    half = (f" | report half NMI {s['report'][0]:.3f} F1 {s['report'][1]:.3f}"
            f" (tune half {s['tune'][0]:.3f} / {s['tune'][1]:.3f})" if "report" in s else "")
    return (f"{dataset:<11} {method:<24} NMI {s['NMI']:.3f} B-cubed-F1 {s['B-cubed-F1']:.3f} "
            f"(P {s['B3-P']:.3f} R {s['B3-R']:.3f}) ARI {s['ARI']:.3f} "
            f"stories {s['stories']:>5}  {seconds:6.1f}s{half}")


def parse_value(value: str):
    try:
        return float(value) if "." in value else int(value)
    except ValueError:
        return value


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", default="News-T,News,WikiRef220")
    ap.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                    help="override a clustering parameter (window in days)")
    ap.add_argument("--time", choices=("none", "index"), default="none")
    ap.add_argument("--embeddings", choices=("auto", "off"), default="auto",
                    help="auto: also run with MiniLM title embeddings when the package is installed")
    ap.add_argument("--embed-cache", type=Path, metavar="DIR", default=ROOT / "bench" / "out" / "embeddings",
                    help="keep title embeddings here between runs (default: %(default)s)")
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument("--baseline-thresholds", default="0.02,0.05,0.1,0.15,0.2,0.3",
                    type=lambda v: [float(x) for x in v.split(",")],
                    help="the baseline runs at each; the best on the tuning half is reported")
    ap.add_argument("--level", choices=("thread", "story", "both"), default="thread",
                    help="thread: the topic clusterer (cluster.py); story: the event clusterer (events.py)")
    args = ap.parse_args(argv)
    if not SHARED.exists():
        print(f"no evaluation data at {SHARED}")
        return 1
    params = {}
    for item in args.set:
        name, value = item.split("=", 1)
        params[name] = timedelta(days=float(value)) if name == "window" else parse_value(value)
    shown = {**DEFAULTS, **params}
    print("newsdesk parameters:", ", ".join(f"{k}={v}" for k, v in shown.items()),
          f"time={args.time}")
    embedder = None
    if args.embeddings == "auto":
        from newsdesk.stories.embed import load_embedder
        embedder = load_embedder()
        if embedder is None:
            print("embeddings: model package not installed, TF-IDF path only")
    for name in args.datasets.split(","):
        docs, labels = load_wikiref() if name == "WikiRef220" else load_mstream(name)
        ids = [d.id for d in docs]
        if args.time == "index":
            docs = with_index_time(docs)
        if not args.no_baseline:   # its threshold: the best of the grid on the tuning half
            tried = []
            for threshold in args.baseline_thresholds:
                t = time.time()
                tried.append((threshold, scores(labels, baseline(docs, threshold), ids),
                              time.time() - t))
            threshold, s, seconds = max(tried, key=lambda x: x[1]["tune"][1])
            print(f"{name:<11} baseline thresholds tried (tuning-half B-cubed F1): " + ", ".join(
                f"{th:g}: {sc['tune'][1]:.3f}" for th, sc, _ in tried))
            print(line(name, f"baseline@{threshold:g}", s, seconds))
        if args.level in ("story", "both"):
            t = time.time()
            print(line(name, "events (story)", scores(labels, events(docs), ids), time.time() - t))
        if args.level == "story":
            continue
        vectors = encode(embedder, docs, args.embed_cache) if embedder is not None else None
        for ahead in (False, True):   # the clusterer without look-ahead: a same-run baseline
            suffix = "" if ahead else " w/o look"
            t = time.time()
            print(line(name, "newsdesk" + suffix, scores(labels, newsdesk(docs, lookahead=ahead, **params), ids),
                       time.time() - t))
            if vectors is not None:
                t = time.time()
                pred = newsdesk(docs, embedder, vectors, lookahead=ahead, **params)
                print(line(name, "newsdesk+MiniLM" + suffix, scores(labels, pred, ids), time.time() - t))
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
