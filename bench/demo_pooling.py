"""Experiment: MiniLM pooled with the outlet's routine words weighed little.

    python bench/demo_pooling.py DEMO.db [--floor 0 0.2 0.5] [--power 1]

all-MiniLM-L6-v2 makes a text's embedding as the mean of its word pieces' final states.
Here the mean is weighted: each word piece weighs what its word weighs on the thread
level's TF-IDF side, the outlet's ``OutletTerms`` weight of its stem (read with the thread
level's prior, from the outlet's earlier items only), lifted to ``floor + (1 - floor) *
w ** power``; [CLS], [SEP] and stop words weigh 1. ``floor`` 1 is the stored embedding.
The thread clusterer gets that vector instead of the stored one; scores on the demo's thread
labels (tuning / reporting parts) beside the stored embeddings, same run.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from demo_threads import LABELS, load_labels, read_demo, score  # noqa: E402
from demo_threads import replay as replay_threads  # noqa: E402

from newsdesk.stories.cluster import StoryClusterer  # noqa: E402
from newsdesk.stories.embed import load_embedder  # noqa: E402
from newsdesk.stories.stage import THREAD_PARAMS  # noqa: E402
from newsdesk.stories.story import embed_text  # noqa: E402
from newsdesk.stories.text import words as stems  # noqa: E402


def hidden(model, text: str):
    """Final states of ``text``'s word pieces (length, 384) and each piece's character span."""
    x, _, enc = model.states([text])
    return x[0], enc[0].offsets


def word_spans(text: str):
    spans, pos = [], 0
    for tok in text.split():
        start = text.index(tok, pos)
        spans.append((start, start + len(tok), tok))
        pos = start + len(tok)
    return spans


def pooled(states, offsets, text, weigh) -> np.ndarray:
    spans = word_spans(text)
    weights = np.ones(len(offsets), dtype=np.float32)
    j = 0
    for i, (a, b) in enumerate(offsets):
        if a == b:  # [CLS], [SEP]
            continue
        while j < len(spans) and spans[j][1] <= a:
            j += 1
        if j < len(spans):
            weights[i] = weigh(spans[j][2])
    v = (states * weights[:, None]).sum(0) / max(weights.sum(), 1e-9)
    return (v / max(np.linalg.norm(v), 1e-12)).astype(np.float32)


def replay(items, cache, floor, power):
    """article id -> thread id, with MiniLM's word pieces pooled by the outlet's word weights."""
    prior = StoryClusterer(**THREAD_PARAMS).outlet_prior

    def embedding(doc, given, outlet, events):
        if given is None or floor >= 1:
            return given
        text = embed_text(doc)
        states, offsets = cache(text)

        def weigh(tok):
            s = stems(tok, doc.language)
            if not s:
                return 1.0
            wt = min(events.outlets.weight(outlet, x, prior) for x in s)
            return floor + (1 - floor) * max(wt, 0.0) ** power
        return pooled(states, offsets, text, weigh)
    placed, stories = replay_threads(items, embedding=embedding)
    return {aid: tid for aid, (_, tid) in placed.items()}, stories


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("db", type=Path)
    ap.add_argument("--floor", type=float, nargs="*", default=[0.0, 0.2, 0.5])
    ap.add_argument("--power", type=float, nargs="*", default=[1.0])
    args = ap.parse_args(argv)
    items = read_demo(args.db)
    labels = load_labels(LABELS)
    model = load_embedder()  # a model of its own: ``states`` is not locked
    memo: dict = {}

    def cache(text):
        if text not in memo:
            memo[text] = hidden(model, text)
        return memo[text]

    # check: uniform weights reproduce the stored embedding
    article, feats, _, _ = items[0]
    text = embed_text(feats.doc(article, "auto"))
    print("check: cosine to stored", float(pooled(*cache(text), text, lambda t: 1.0) @ feats.embedding))
    runs = [(1.0, 1.0)] + [(f, p) for f in args.floor for p in args.power]
    for floor, power in runs:
        t = time.time()
        pred, stories = replay(items, cache, floor, power)
        sizes = sorted(Counter(s[2] for s in stories.values()).values(), reverse=True)
        res = score(labels, items, pred)
        print(f"floor {floor} power {power} ({time.time() - t:.0f}s) threads {len(sizes)} largest {sizes[:6]} | "
              + " | ".join(f"{k} P {p:.3f} R {r:.3f} F1 {f:.3f}" for k, (p, r, f, _) in res.items() if k != "all"),
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
