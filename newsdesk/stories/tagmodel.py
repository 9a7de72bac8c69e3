"""The learned hashtag scorer: KEA-style (Witten et al. 1999; Hulth 2003), small boosted
trees over general features of each candidate, read from ``data/hashtag-model.json``.

It orders the single words ``tags.hashtags`` may show that are not names (already topical,
not covered by a longer tag; names and phrases keep the places the unsupervised score gives
them, see ``reranked``). Each candidate is described by how the article uses it (how often, in how many sentences, where first and last,
in the title, in the lede, written in capitals, after "the" or "to"), what it is (a name, a
person, how many words, how long), how common it is in general English and in the archive
(the ``Background``), and the unsupervised score ``tags`` gives it. The weights are learned
by ``bench/hashtag_train.py`` on the tuning part of 500N-KPCrowd only (no word of any list is
a feature); the file holds each tree's splits by feature name and threshold, so a person can
read what the model asks. Only numpy is needed to apply it.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

import numpy as np

if TYPE_CHECKING:  # tags imports this module
    from .background import Background
    from .tags import _Candidate

MODEL = Path(__file__).with_name("data") / "hashtag-model.json"

FEATURES = (
    "log_count",        # 1 + ln(uses)
    "log_spread",       # 1 + ln(sentences using it)
    "spread_share",     # sentences using it / sentences of the article
    "first_position",   # first sentence / sentences (the title is before 0)
    "last_position",    # last sentence / sentences
    "in_lede",          # first used in the title or the first sentence
    "in_title",
    "name",
    "person",
    "words",            # number of words
    "chars",            # length of the shown form, in characters
    "upper",            # written in capitals (an acronym: NATO, HHS)
    "idf",              # mean inverse document frequency of its stems (general + archive)
    "log_share",        # ln of the share of documents using its rarest stem
    "capital_mid",      # written with a capital inside a sentence of the body
    "written_lower",    # written in lower case somewhere
    "verb_share",       # uses after "to", "will", "we"...
    "noun_share",       # uses after "the", "a", "our"...
    "modifier_share",   # uses right before another content word
    "eligible",         # a name, used twice, or in the title or the lede
    "log_score",        # ln of the unsupervised score (tags._score, names boosted)
    "score_ratio",      # that score / the article's best
    "log_rank",         # ln(1 + its place among the shown candidates by that score)
)


@dataclass(frozen=True)
class Model:
    """Boosted regression trees: log-odds = base + the sum of each tree's leaf. All trees'
    nodes in flat arrays; a leaf has feature -1; children are indexes in the same arrays."""
    base: float
    roots: np.ndarray
    feature: np.ndarray
    threshold: np.ndarray
    left: np.ndarray
    right: np.ndarray
    value: np.ndarray
    depth: int

    def score(self, rows: np.ndarray) -> np.ndarray:
        """Log-odds of each row (candidate) being a key: every row down every tree at once."""
        at = np.repeat(self.roots[None, :], len(rows), axis=0)
        row = np.arange(len(rows))[:, None]
        for _ in range(self.depth):
            feature = self.feature[at]
            left = rows[row, np.maximum(feature, 0)] <= self.threshold[at]
            at = np.where(feature < 0, at, np.where(left, self.left[at], self.right[at]))
        return self.base + self.value[at].sum(axis=1)


def read(data: dict) -> Model:
    """The model of ``data/hashtag-model.json``: each tree a list of nodes, a node either
    [feature name, threshold, left child, right child] (x <= threshold goes left; children
    are indexes in the tree's list) or [leaf value]."""
    if tuple(data["features"]) != FEATURES:
        raise ValueError(f"hashtag model features {data['features']} are not {FEATURES}")
    index = {name: i for i, name in enumerate(FEATURES)}
    roots, feature, threshold, left, right, value = [], [], [], [], [], []
    depth = 0
    for tree in data["trees"]:
        offset = len(feature)
        roots.append(offset)
        depth = max(depth, _depth(tree))
        for node in tree:
            split = len(node) == 4
            feature.append(index[node[0]] if split else -1)
            threshold.append(float(node[1]) if split else 0.0)
            left.append(offset + int(node[2]) if split else -1)
            right.append(offset + int(node[3]) if split else -1)
            value.append(0.0 if split else float(node[0]))
    return Model(float(data["base"]), np.array(roots, int), np.array(feature, int),
                 np.array(threshold, float), np.array(left, int), np.array(right, int),
                 np.array(value, float), depth)


def _depth(tree: list, at: int = 0) -> int:
    node = tree[at]
    return 0 if len(node) != 4 else 1 + max(_depth(tree, node[2]), _depth(tree, node[3]))


@lru_cache(maxsize=1)
def model() -> Model:
    return read(json.loads(MODEL.read_text("utf-8")))


def features(pool: Sequence[tuple["_Candidate", float, bool]], background: "Background",
             ) -> np.ndarray:
    """One row of FEATURES per (candidate, unsupervised score, eligible), in pool order."""
    n_sentences = max([c.last_sentence for c, _, _ in pool] + [0]) + 1
    best = max([s for _, s, _ in pool] + [1e-9])
    order = {id(c): i for i, (c, _, _) in enumerate(sorted(pool, key=lambda t: -t[1]))}
    rows = []
    for cand, score, eligible in pool:
        parts = cand.key.split()
        form = cand.form
        n = max(cand.count, 1)
        rows.append((
            1.0 + math.log(n),
            1.0 + math.log(max(cand.spread, 1)),
            min(cand.spread / n_sentences, 1.0),
            (cand.first_sentence + 1) / n_sentences,
            (cand.last_sentence + 1) / n_sentences,
            float(cand.in_title or cand.first_sentence == 0),
            float(cand.in_title),
            float(cand.name),
            float(cand.person),
            float(len(parts)),
            float(len(form)),
            float(form.isupper() and len(form) > 1),
            sum(background.idf(p) for p in parts) / len(parts),
            math.log(max(min(background.share(p) for p in parts), 1e-6)),
            float(cand.capital_mid),
            float(cand.written_lower),
            cand.verb_uses / n,
            cand.noun_uses / n,
            cand.modifier_uses / n,
            float(eligible),
            math.log(max(score, 1e-9)),
            score / best,
            math.log(1 + order[id(cand)]),
        ))
    return np.array(rows, float).reshape(len(rows), len(FEATURES))


def learned(pool: Sequence[tuple["_Candidate", float, bool]], background: "Background",
            ) -> list[float]:
    """The model's probability that each candidate of ``pool`` is a key, in pool order."""
    if not pool:
        return []
    logits = model().score(features(pool, background))
    return [1.0 / (1.0 + math.exp(-x)) for x in np.clip(logits, -30, 30)]


def ordered(cand: "_Candidate") -> bool:
    """Whether the model orders this candidate: a single word that is not a name."""
    return not cand.name and " " not in cand.key


def reranked(pool: Sequence[tuple["_Candidate", float, bool]], learned: Sequence[float],
             ) -> list[float]:
    """Each candidate's score for ``tags.choose``: names and phrases keep their unsupervised
    score, so they keep their places among the tags (readers follow #Iran, #ChildCare,
    #FigureSkating; the crowd's keys seldom hold a name or a phrase whole, so a model would
    drop them); the single words that are not names are put in the model's order, the best
    of them taking the best of their scores, and so on."""
    out = [score for _, score, _ in pool]
    words = [i for i, (cand, _, _) in enumerate(pool) if ordered(cand)]
    places = sorted((out[i] for i in words), reverse=True)
    for i, score in zip(sorted(words, key=lambda i: (-learned[i], i)), places):
        out[i] = score
    return out
