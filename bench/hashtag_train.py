"""Learn the hashtag scorer (``newsdesk/stories/data/hashtag-model.json``) on the tuning part
of 500N-KPCrowd, KEA-style (Witten et al. 1999; Hulth 2003; Marujo et al. 2012).

The documents are read as ``hashtag_eval.py`` reads them: in file order, each tagged with
what the documents before it taught the background (no gold is used for that). For every
document of the **tuning part only** (``evalsplit.py``), each candidate ``tags.hashtags`` may
show (``tags._pool``: topical, not covered by a longer tag) gets the general features of
``tagmodel.FEATURES`` and the label "its tag, read as its words, equals a gold key" (the
evaluation's own normalisation). Boosted trees (scikit-learn) are fitted on the single
words that are not names: the model orders those, names and phrases keep the places the
unsupervised score gives them (``tagmodel.reranked``; a model ordering every candidate
scores higher on the crowd's keys but drops #Iran, #ChildCare or #TatyanaTarasova from
readers' tags, so it is printed for reference only). The number and depth of the trees are chosen by 5-fold cross-validation by
document *within* the tuning part, on F1@10 of the tags ``tags.choose`` then picks; a
logistic regression is cross-validated beside them for reference. The reporting part is
never read here.

    python bench/hashtag_train.py            # cross-validate, fit, write the model file
    python bench/hashtag_train.py --dry-run  # cross-validate only

Reproducible: the split, the document order and the folds are fixed, and the fit is
deterministic; running it again writes the same file.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from evalsplit import split  # noqa: E402
from hashtag_eval import KPCROWD, Doc, load_kpcrowd, normalise, score  # noqa: E402

from newsdesk.stories import tagmodel, tags  # noqa: E402
from newsdesk.stories.background import default_background  # noqa: E402
from newsdesk.stories.storytags import tag_words  # noqa: E402

FOLDS = 5
LEARNING_RATE = 0.1
SETTINGS = ((50, 2), (100, 2), (200, 2), (50, 3), (100, 3))  # (trees, depth), chosen by CV


class _Shares:
    """The background's document shares of some keys, frozen when a document was tagged
    (all ``tags.choose`` asks of it)."""

    def __init__(self, shares: dict[str, float]):
        self.shares = shares

    def share(self, key: str) -> float:
        return self.shares[key]


@dataclass
class Example:
    doc: Doc
    pool: list          # (candidate, unsupervised score, eligible)
    rows: np.ndarray    # features
    labels: np.ndarray  # 1 = its tag is a gold key
    shares: _Shares


def read_as_tag(cand) -> str:
    """The candidate's tag as the evaluation reads it (``hashtag_eval.run_hashtags``)."""
    form = cand.form if cand.name or cand.form.isupper() else cand.form.casefold()
    tag = tags.make_tag(form)
    return "" if tag is None else (" ".join(tag_words(tag.display)) or tag.display[1:])


def examples(docs: list[Doc], keep: set[str]) -> list[Example]:
    """Candidates, features and labels of the documents whose id is in ``keep``; every
    document teaches the background in file order, as in ``hashtag_eval``."""
    background, out = default_background(), []
    for doc in docs:
        if doc.id in keep:
            pool = tags._pool(doc.title, doc.text, background, None)
            labels = np.array([normalise(read_as_tag(c)) in doc.gold for c, _, _ in pool], float)
            shares = _Shares({c.key: background.share(c.key) for c, _, _ in pool})
            out.append(Example(doc, pool, tagmodel.features(pool, background), labels, shares))
        background.learn(f"{doc.title}\n{doc.text}")
    return out


def predictions(exs: list[Example], scorer, names_kept: bool = True) -> dict[str, list[str]]:
    """Doc id -> the tags ``tags.choose`` shows with ``scorer(example)``'s probabilities
    (names keeping their places, ``tagmodel.reranked``, unless not ``names_kept``), as read."""
    out = {}
    for ex in exs:
        values = scorer(ex) if len(ex.pool) else []
        values = tagmodel.reranked(ex.pool, values) if names_kept else values
        chosen = tags.choose([(float(v), c, ok) for (c, _, ok), v in zip(ex.pool, values)],
                             ex.shares)
        out[ex.doc.id] = [" ".join(tag_words(t.display)) or t.display[1:] for t in chosen]
    return out


def _xy(exs: list[Example], words_only: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Features and labels; only of the candidates the model orders (``tagmodel.ordered``:
    single words that are not names) unless not ``words_only``."""
    keep = np.array([not words_only or tagmodel.ordered(c) for e in exs for c, _, _ in e.pool],
                    bool)
    return (np.vstack([e.rows for e in exs])[keep], np.concatenate([e.labels for e in exs])[keep])


def fit_logistic(exs: list[Example], c: float = 0.01):
    """Standardised logistic regression (a reference: the product uses boosted trees)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    model = make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=5000)).fit(*_xy(exs))
    return lambda ex: model.predict_proba(ex.rows)[:, 1]


def fit_boosted(exs: list[Example], trees: int, depth: int, words_only: bool = True):
    """Boosted trees of ``depth`` levels (scikit-learn's histogram boosting, deterministic)."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(
        max_iter=trees, max_depth=depth, max_leaf_nodes=2 ** depth, learning_rate=LEARNING_RATE,
        early_stopping=False, random_state=0).fit(*_xy(exs, words_only))


def export(model) -> dict:
    """The fitted trees as ``tagmodel.read`` reads them (feature names, not numbers)."""
    trees = []
    for (predictor,) in model._predictors:  # scikit-learn's fitted trees (pinned version)
        nodes = predictor.nodes
        trees.append([[round(float(n["value"]), 6)] if n["is_leaf"] else
                      [tagmodel.FEATURES[n["feature_idx"]], float(n["num_threshold"]),  # exact: ties matter
                       int(n["left"]), int(n["right"])] for n in nodes])
    return {"base": round(float(np.ravel(model._baseline_prediction)[0]), 6), "trees": trees}


def cross_validate(exs: list[Example], make, names_kept: bool = True) -> tuple[float, float]:
    """(P@10, F1@10) over the tuning part, each fold's documents tagged by a model fitted
    on the other folds (documents dealt to folds in file order)."""
    preds: dict[str, list[str]] = {}
    for k in range(FOLDS):
        train = [e for i, e in enumerate(exs) if i % FOLDS != k]
        held = [e for i, e in enumerate(exs) if i % FOLDS == k]
        preds.update(predictions(held, make(train), names_kept))
    p, _, f = score(preds, [e.doc for e in exs])
    return p, f


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dry-run", action="store_true", help="cross-validate, write nothing")
    args = parser.parse_args(argv)
    if not KPCROWD.exists():
        print(f"evaluation data not found: {KPCROWD}", file=sys.stderr)
        return 2
    docs = load_kpcrowd()
    tune = split(docs, key=lambda d: d.id)["tune"]
    t0 = time.perf_counter()
    exs = examples(docs, {d.id for d in tune})
    n = sum(len(e.labels) for e in exs)
    print(f"tuning part: {len(exs)} documents, {n} candidates ({n / len(exs):.0f} per document), "
          f"{sum(e.labels.sum() for e in exs):.0f} positive; built in {time.perf_counter() - t0:.0f} s")
    p, _, f = score(predictions(exs, lambda ex: [s for _, s, _ in ex.pool]), [e.doc for e in exs])
    print(f"  unsupervised score (tags._score, names boosted)  P@10 {p:.3f}  F1@10 {f:.3f}")
    p, f = cross_validate(exs, fit_logistic)
    print(f"  logistic regression (reference) {FOLDS}-fold CV      P@10 {p:.3f}  F1@10 {f:.3f}")
    p, f = cross_validate(exs, lambda tr: (lambda m: lambda ex: m.predict_proba(ex.rows)[:, 1])(
        fit_boosted(tr, *SETTINGS[1], words_only=False)), names_kept=False)
    print(f"  boosted trees {SETTINGS[1]} ordering every candidate (not used: names, "
          f"phrases fall out)  P@10 {p:.3f}  F1@10 {f:.3f}")
    results = {}
    for trees, depth in SETTINGS:
        results[(trees, depth)] = cross_validate(exs, lambda tr, t=trees, d=depth: (
            lambda m: (lambda ex: m.predict_proba(ex.rows)[:, 1]))(fit_boosted(tr, t, d)))
        p, f = results[(trees, depth)]
        print(f"  boosted trees: {trees:>3} of depth {depth}  {FOLDS}-fold CV  P@10 {p:.3f}  F1@10 {f:.3f}")
    trees, depth = max(SETTINGS, key=lambda s: (results[s][1], results[s][0]))
    fitted = fit_boosted(exs, trees, depth)
    data = {"about": "Hashtag scorer learned by bench/hashtag_train.py on the tuning part of "
                     "500N-KPCrowd (bench/evalsplit.py): boosted trees, log-odds = base + the sum "
                     "of each tree's leaf; a node is [feature, threshold, left, right] "
                     "(x <= threshold goes left) or [leaf value]; features: "
                     "newsdesk.stories.tagmodel.FEATURES.",
            "trees_depth_rate": [trees, depth, LEARNING_RATE],
            "features": list(tagmodel.FEATURES), **export(fitted)}
    rows = _xy(exs, words_only=False)[0]
    assert np.allclose(tagmodel.read(data).score(rows), fitted.decision_function(rows),
                       atol=1e-4), "the exported trees do not give scikit-learn's scores"
    used = Counter(node[0] for tree in data["trees"] for node in tree if len(node) == 4)
    print(f"chosen: {trees} trees of depth {depth}; splits by feature: "
          + ", ".join(f"{name} {n}" for name, n in used.most_common()))
    if args.dry_run:
        return 0
    head = json.dumps({k: v for k, v in data.items() if k != "trees"}, indent=1)[:-2]
    trees = ",\n".join("  " + json.dumps(tree) for tree in data["trees"])  # a tree a line
    tagmodel.MODEL.write_text(f'{head},\n "trees": [\n{trees}\n ]\n}}\n', encoding="utf-8")
    print(f"wrote {tagmodel.MODEL}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
