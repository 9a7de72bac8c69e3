"""A learned, KEA-style ranking of hashtag candidates, measured: not used by newsdesk.

Issue 18 asks the hashtags to reach 1.2x YAKE (P@10, F1@10) on 500N-KPCrowd. This script
tries what the unsupervised attempts had not (see README, "hashtags miss the target"): a
supervised candidate scorer (Witten et al. 1999; Hulth 2003; Marujo et al. 2012). Every
candidate ``tags.hashtags`` may show (topical, not covered by a longer tag: the same pool,
built here as ``hashtags`` builds it) gets general features (``FEATURES``: how often, in how
many sentences, where, in the title or the lede, capitals, after "the" or "to", a name or
not, words and length, how common in general English and in the archive, the unsupervised
score and rank; no word list), and the label "its tag, read as its words, equals a gold key"
(the evaluation's normalisation). Boosted trees (scikit-learn) are fitted on the **tuning
part** only; the number and depth of the trees are chosen by 5-fold cross-validation by
document within it (F1@10 of the tags then chosen); the reporting part is only tagged.

Variants (``VARIANTS``), each reading the same pool and keeping every reader filter:
- ``every``: the model orders every candidate; a word said once may come before others;
- ``names kept``: names keep the places the unsupervised score gives them, the model orders
  the other candidates (the best taking the best of their scores...);
- ``words only``: names and phrases keep their places, the model orders single words, and
  a word said once waits as before (``hashtags``' rule);
- ``untitled``: the same, but words of the title keep their places too (#Jobs in "February
  Jobs Report": the model demotes short words).

What it found (README, quality table): the crowd's keys are mostly single common words and
seldom a name or a phrase whole, and the model learns exactly that; the more it is allowed
to order, the higher it scores and the worse the tags readers see (#Iran, #ChildCare,
#TatyanaTarasova out; #Possible, #Violate, #Professionalism in). So no variant is used.

The row "tags.hashtags as it is" must equal ``hashtag_eval.py``'s figures (0.455 / 0.172 on
the tuning part, 0.425 / 0.168 on the reporting part when written): it checks that the pool
and the choice here are still built as ``hashtags`` builds them.

    python bench/hashtag_learned.py              # tuning-part CV, then reporting-part figures
    python bench/hashtag_learned.py --sample 20  # demo articles tagged by each variant
"""

from __future__ import annotations

import argparse
import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from evalsplit import split  # noqa: E402
from hashtag_eval import KPCROWD, Doc, load_kpcrowd, normalise, score  # noqa: E402

from newsdesk.stories import tags  # noqa: E402
from newsdesk.stories.background import default_background  # noqa: E402
from newsdesk.stories.storytags import tag_words  # noqa: E402

FOLDS = 5
SETTINGS = ((50, 2), (100, 2), (200, 2), (50, 3), (100, 3))  # (trees, depth), chosen by CV
FEATURES = ("log_count", "log_spread", "spread_share", "first_position", "in_lede", "in_title",
            "name", "person", "words", "chars", "upper", "idf", "log_share", "capital_mid",
            "written_lower", "verb_share", "noun_share", "modifier_share", "eligible",
            "log_score", "score_ratio", "log_rank")


@dataclass(frozen=True)
class Variant:
    ordered: Callable[[object], bool]  # candidate -> whether the model orders it
    strict: bool      # a word said once waits (tags.hashtags' rule)


VARIANTS = {
    "every": Variant(lambda c: True, False),
    "names kept": Variant(lambda c: not c.name, False),
    "words only": Variant(lambda c: not c.name and " " not in c.key, True),
    "untitled": Variant(lambda c: not c.name and " " not in c.key and not c.in_title, True),
}


def candidate_pool(title: str, text: str, background, language: str | None = None) -> list:
    """(candidate, unsupervised score, eligible) as ``tags.hashtags`` builds them."""
    ranked, absorbed = tags._ranked(title, text, background, language)
    ranked = [(c, s) for c, s in ranked if tags._topical(c, background)]
    absorbed |= tags._absorbed(ranked)
    best = ranked[0][1] if ranked else 0.0
    return [(c, s * tags.NAME_TAG_BOOST if c.name else s,
             c.name or c.count >= 2 or c.in_title or c.first_sentence == 0)
            for c, s in ranked if c.key not in absorbed
            and (c.name or " " not in c.key or s >= best * 0.5)]


def features(pool: list, background) -> np.ndarray:
    n_sentences = max([c.first_sentence for c, _, _ in pool] + [0]) + 1
    best = max([s for _, s, _ in pool] + [1e-9])
    rank = {id(c): i for i, (c, _, _) in enumerate(sorted(pool, key=lambda t: -t[1]))}
    rows = []
    for cand, s, eligible in pool:
        parts, form, n = cand.key.split(), cand.form, max(cand.count, 1)
        rows.append((1 + math.log(n), 1 + math.log(max(cand.spread, 1)),
                     min(cand.spread / n_sentences, 1.0), (cand.first_sentence + 1) / n_sentences,
                     float(cand.in_title or cand.first_sentence == 0), float(cand.in_title),
                     float(cand.name), float(cand.person), float(len(parts)), float(len(form)),
                     float(form.isupper() and len(form) > 1),
                     sum(background.idf(p) for p in parts) / len(parts),
                     math.log(max(min(background.share(p) for p in parts), 1e-6)),
                     float(cand.capital_mid), float(cand.written_lower), cand.verb_uses / n,
                     cand.noun_uses / n, cand.modifier_uses / n, float(eligible),
                     math.log(max(s, 1e-9)), s / best, math.log(1 + rank[id(cand)])))
    return np.array(rows, float).reshape(len(rows), len(FEATURES))


def read_as_tag(cand) -> str:
    form = cand.form if cand.name or cand.form.isupper() else cand.form.casefold()
    tag = tags.make_tag(form)
    return "" if tag is None else (" ".join(tag_words(tag.display)) or tag.display[1:])


@dataclass
class Example:
    id: str
    pool: list
    rows: np.ndarray
    labels: np.ndarray
    shares: dict  # the background's document shares of the pool's keys, when it was tagged


def examples(docs: list[Doc]) -> list[Example]:
    """Every document, read in file order with the background learned online (no gold)."""
    background, out = default_background(), []
    for doc in docs:
        pool = candidate_pool(doc.title, doc.text, background)
        labels = np.array([normalise(read_as_tag(c)) in doc.gold for c, _, _ in pool], float)
        out.append(Example(doc.id, pool, features(pool, background), labels,
                           {c.key: background.share(c.key) for c, _, _ in pool}))
        background.learn(f"{doc.title}\n{doc.text}")
    return out


def choose(pool: list, scores, shares: dict, strict: bool, top: int = tags.MAX_TAGS) -> list[str]:
    """The displays ``tags.hashtags`` would pick with these scores (its loop, with its
    rule for words said once relaxed unless ``strict``)."""
    scored = sorted(((s, c, ok or not strict) for (c, _, ok), s in zip(pool, scores)),
                    key=lambda t: (-t[0], t[1].key))
    chosen: dict[str, tuple[float, str]] = {}
    for first in (True, False):
        for s, cand, eligible in scored:
            if len(chosen) >= top or (not first and len(chosen) >= tags.MIN_TAGS):
                break
            if (first and not eligible) or "'" in cand.form or "’" in cand.form:
                continue
            if len(chosen) >= tags.TAIL_FROM and not cand.name \
                    and shares[cand.key] >= tags.TAIL_SHARE:
                continue
            tag = tags.make_tag(cand.form if cand.name or cand.form.isupper()
                                else cand.form.casefold(), s)
            if tag is not None and tag.slug not in chosen:
                chosen[tag.slug] = (s, tag.display)
    return [d for _, d in sorted(chosen.values(), key=lambda sd: -sd[0])]


def final_scores(pool: list, learned, variant: Variant) -> list[float]:
    """The candidates the variant lets the model order take, in the model's order, the
    unsupervised scores they had among them; the others keep theirs."""
    out = [s for _, s, _ in pool]
    mine = [i for i, (c, _, _) in enumerate(pool) if variant.ordered(c)]
    places = sorted((out[i] for i in mine), reverse=True)
    for i, s in zip(sorted(mine, key=lambda i: (-learned[i], i)), places):
        out[i] = s
    return out


def fit(exs: list[Example], variant: Variant, trees: int, depth: int):
    from sklearn.ensemble import HistGradientBoostingClassifier

    keep = np.array([variant.ordered(c) for e in exs for c, _, _ in e.pool], bool)
    x, y = np.vstack([e.rows for e in exs])[keep], np.concatenate([e.labels for e in exs])[keep]
    return HistGradientBoostingClassifier(max_iter=trees, max_depth=depth,
                                          max_leaf_nodes=2 ** depth, early_stopping=False,
                                          random_state=0).fit(x, y)


def tag_all(exs: list[Example], variant: Variant | None, model=None) -> dict[str, list[str]]:
    """Doc id -> tags read as words; ``variant`` None is ``tags.hashtags`` as it is."""
    out = {}
    for e in exs:
        scores = [s for _, s, _ in e.pool]
        if variant is not None and e.pool:
            scores = final_scores(e.pool, model.predict_proba(e.rows)[:, 1], variant)
        shown = choose(e.pool, scores, e.shares, variant.strict if variant else True)
        out[e.id] = [" ".join(tag_words(d)) or d[1:] for d in shown]
    return out


def cross_validate(exs: list[Example], variant: Variant, trees: int, depth: int):
    preds: dict[str, list[str]] = {}
    for k in range(FOLDS):
        train = [e for i, e in enumerate(exs) if i % FOLDS != k]
        model = fit(train, variant, trees, depth)
        preds.update(tag_all([e for i, e in enumerate(exs) if i % FOLDS == k], variant, model))
    return preds


def trained(docs: list[Doc]) -> tuple[list[Example], dict[str, tuple[Variant, object, str]]]:
    """All documents' examples, and each variant fitted on the tuning part with its setting
    chosen by cross-validation there (printed)."""
    exs = examples(docs)
    parts = split(docs, key=lambda d: d.id)
    tune_ids = {d.id for d in parts["tune"]}
    tune = [e for e in exs if e.id in tune_ids]
    p, _, f = score(tag_all(tune, None), parts["tune"])
    print(f"tuning part, {FOLDS}-fold CV by document ({len(tune)} documents)")
    print(f"  {'tags.hashtags as it is':<28} P@10 {p:.3f}  F1@10 {f:.3f}")
    fitted = {}
    for name, variant in VARIANTS.items():
        results = {s: score(cross_validate(tune, variant, *s), parts["tune"]) for s in SETTINGS}
        for s, (p, _, f) in results.items():
            print(f"  {name:<12} {s[0]:>3} trees of depth {s[1]}  P@10 {p:.3f}  F1@10 {f:.3f}")
        best = max(SETTINGS, key=lambda s: (results[s][2], results[s][0]))
        fitted[name] = (variant, fit(tune, variant, *best), f"{best[0]} trees of depth {best[1]}")
    return exs, fitted


def report(docs: list[Doc]) -> None:
    exs, fitted = trained(docs)
    parts = split(docs, key=lambda d: d.id)
    yake = score(_yake(parts["report"]), parts["report"])
    print(f"\nreporting part ({len(parts['report'])} documents), models fitted on the tuning part")
    rows = [("tags.hashtags as it is", None, None)] + [
        (f"{name} ({setting})", variant, model)
        for name, (variant, model, setting) in fitted.items()]
    for label, variant, model in rows:
        p, _, f = score(tag_all(exs, variant, model), parts["report"])
        print(f"  {label:<36} P@10 {p:.3f}  F1@10 {f:.3f}   /YAKE n=1: {p / yake[0]:.2f}x "
              f"{f / yake[2]:.2f}x")


def _yake(docs: list[Doc]) -> dict[str, list[str]]:
    from hashtag_eval import run_yake

    return run_yake(docs, 1)  # n = 1: the best of 1-3 on the tuning part (hashtag_eval.py)


def sample(docs: list[Doc], n: int, seed: int = 18) -> None:
    """``hashtag_eval.py --sample``'s demo articles, tagged as it is and by each variant."""
    from hashtag_eval import tag_demo_sample

    _, fitted = trained(docs)

    def each_variant(article, background, language):
        pool = candidate_pool(article.title, article.text, background, language)
        shares = {c.key: background.share(c.key) for c, _, _ in pool}
        rows = features(pool, background)
        out = [("as it is", choose(pool, [s for _, s, _ in pool], shares, True))]
        for name, (variant, model, _) in fitted.items():
            learned = model.predict_proba(rows)[:, 1] if pool else []
            out.append((name, choose(pool, final_scores(pool, learned, variant) if pool
                                     else [], shares, variant.strict)))
        return out

    for article, out in tag_demo_sample(n, each_variant, seed):
        print(f"\n{article.title[:90]}")
        for name, shown in out:
            print(f"  {name:<11} {' '.join(shown)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, metavar="N",
                        help="tag N random demo articles (hashtag_eval.py's seed) by each variant")
    args = parser.parse_args(argv)
    if not KPCROWD.exists():
        print(f"evaluation data not found: {KPCROWD}", file=sys.stderr)
        return 2
    docs = load_kpcrowd()
    if args.sample:
        sample(docs, args.sample)
    else:
        report(docs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
