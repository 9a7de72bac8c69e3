"""Where the thread clusterer loses on News-T, read on the *tuning* half only.

    python bench/thread_errors.py [--dataset News-T] [--embeddings auto|off] [--show 12]
                                  [--offline]

Runs the thread clusterer (``lookahead.ThreadClusterer`` with its defaults, as ``cluster_eval.py``
does, MiniLM embeddings from its cache) and prints, for the tuning half of the set
(``cluster_eval.report_half`` false):

- the gold topics that lose most B-cubed recall (how their articles are spread over threads,
  with the headlines outside their main thread) and the threads that lose most precision
  (which gold topics they mix);
- two bounds of what a change could win, on both halves: every article of a thread of at
  most N articles moved to the thread holding most of its topic (the "long tail" fixed), and
  every thread split by gold topic (perfect precision, recall unchanged);
- with ``--offline``: a batch reference on the same features, average-linkage agglomerative
  clustering of the whole set at once (cosine of TF-IDF and MiniLM, mixed half and half, as
  the clusterer mixes them), at a grid of cut-offs: the best on the tuning half, with its
  reporting half. It sees every article before deciding, which an online clusterer cannot;
  it needs ~1.5 GB for News-T's 11,109 titles.

The halves are the ones ``cluster_eval.py`` reports; nothing here is a parameter of the app.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import cluster_eval as ce  # noqa: E402

CUTS = (0.75, 0.8, 0.83, 0.86, 0.88)


def spread(groups: dict, what: str, show: int, titles: dict) -> None:
    """The ``show`` groups that lose most (size minus sum of squared shares: the B-cubed
    loss in articles), with what they are made of."""
    rows = []
    for key, parts in groups.items():
        n = sum(parts.values())
        rows.append((n - sum(c * c for c in parts.values()) / n, key, n, parts))
    rows.sort(key=lambda r: -r[0])
    print(f"{what} (loss in articles, size, largest parts):")
    for loss, key, n, parts in rows[:show]:
        print(f"  {key!s:>5} loss {loss:5.1f} of {n:4d}: {parts.most_common(5)}")
        for line in titles.get(key, [])[:4]:
            print(f"        {line}")


def bounds(labels, pred, ids) -> None:
    sizes = Counter(pred)
    by_gold: dict = defaultdict(Counter)
    for gold, got in zip(labels, pred):
        by_gold[gold][got] += 1
    main = {gold: parts.most_common(1)[0][0] for gold, parts in by_gold.items()}
    now = ce.scores(labels, pred, ids)
    print(f"as run: tuning half {now['tune'][0]:.3f} / {now['tune'][1]:.3f}, "
          f"reporting half {now['report'][0]:.3f} / {now['report'][1]:.3f} (NMI / B-cubed F1)")
    for most in (1, 2, 5):
        moved = [main[g] if sizes[p] <= most else p for g, p in zip(labels, pred)]
        s = ce.scores(labels, moved, ids)
        n = sum(1 for p in pred if sizes[p] <= most)
        print(f"bound: the {n} articles of threads of <= {most} placed in their topic's main "
              f"thread: tuning {s['tune'][0]:.3f} / {s['tune'][1]:.3f}, "
              f"reporting {s['report'][0]:.3f} / {s['report'][1]:.3f}")
    s = ce.scores(labels, [f"{p}-{g}" for g, p in zip(labels, pred)], ids)
    print(f"bound: every thread split by gold topic (precision 1): tuning {s['tune'][0]:.3f} / "
          f"{s['tune'][1]:.3f}, reporting {s['report'][0]:.3f} / {s['report'][1]:.3f}")


def offline(docs, labels, ids, vectors) -> None:
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform
    from sklearn.feature_extraction.text import TfidfVectorizer
    tfidf = TfidfVectorizer(sublinear_tf=True).fit_transform([f"{d.title} {d.text}" for d in docs])
    sim = (tfidf @ tfidf.T).toarray().astype(np.float32)
    if vectors is not None:
        unit = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)
        sim = 0.5 * sim + 0.5 * (unit @ unit.T)
    np.fill_diagonal(sim, 1.0)
    condensed = squareform(np.clip(1.0 - sim, 0.0, None), checks=False)
    del sim
    tree = linkage(condensed, method="average")
    tried = []
    for cut in CUTS:
        s = ce.scores(labels, list(fcluster(tree, cut, criterion="distance")), ids)
        tried.append((cut, s))
        print(f"offline average linkage, distance cut {cut}: tuning {s['tune'][0]:.3f} / "
              f"{s['tune'][1]:.3f}, reporting {s['report'][0]:.3f} / {s['report'][1]:.3f}, "
              f"{s['stories']} clusters")
    cut, s = max(tried, key=lambda x: x[1]["tune"][1])
    print(f"offline reference at its best cut on the tuning half ({cut}): reporting "
          f"{s['report'][0]:.3f} / {s['report'][1]:.3f}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dataset", default="News-T")
    ap.add_argument("--embeddings", choices=("auto", "off"), default="auto")
    ap.add_argument("--embed-cache", type=Path, default=ROOT / "bench" / "out" / "embeddings")
    ap.add_argument("--show", type=int, default=12)
    ap.add_argument("--offline", action="store_true")
    args = ap.parse_args(argv)
    if not ce.SHARED.exists():
        print(f"no evaluation data at {ce.SHARED}")
        return 1
    docs, labels = ce.load_wikiref() if args.dataset == "WikiRef220" else ce.load_mstream(args.dataset)
    ids = [d.id for d in docs]
    embedder = vectors = None
    if args.embeddings == "auto":
        from newsdesk.stories.embed import load_embedder
        embedder = load_embedder()
        if embedder is not None:
            vectors = ce.encode(embedder, docs, args.embed_cache)
    print(f"{args.dataset}, {'TF-IDF + MiniLM' if embedder else 'TF-IDF alone'}")
    pred = ce.newsdesk(docs, embedder, vectors)
    tune = [not k for k in ce.report_half(ids)]
    by_gold: dict = defaultdict(Counter)
    by_thread: dict = defaultdict(Counter)
    main_of: dict = {}
    for gold, got, keep in zip(labels, pred, tune):
        if keep:
            by_gold[gold][got] += 1
            by_thread[got][gold] += 1
    main_of = {gold: parts.most_common(1)[0][0] for gold, parts in by_gold.items()}
    outside: dict = defaultdict(list)
    inside: dict = defaultdict(list)
    for doc, gold, got, keep in zip(docs, labels, pred, tune):
        if keep and got != main_of[gold]:
            outside[gold].append(f"thread {got}: {doc.title[:90]}")
        if keep:
            inside[got].append(f"topic {gold}: {doc.title[:90]}")
    mixed = {t: [line for line in inside[t] if not line.startswith(f"topic {parts.most_common(1)[0][0]}:")]
             for t, parts in by_thread.items()}
    spread(by_gold, "gold topics split over threads, tuning half", args.show, outside)
    spread(by_thread, "threads mixing gold topics, tuning half (headlines outside their main topic)",
           args.show, mixed)
    bounds(labels, pred, ids)
    if args.offline:
        offline(docs, labels, ids, vectors)
    return 0


if __name__ == "__main__":
    sys.exit(main())
