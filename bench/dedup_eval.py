"""Near-duplicate detection quality on real article texts.

Originals: whole texts extracted with trafilatura from /work/shared/eval/trafilatura-eval
(the first N pages, in file-name order, that give at least MIN_WORDS words) plus the 220
full articles of WikiRef220 (5 stories covered by ~35 outlets each: hard negatives).

Protocol
1. Every original is added to one DuplicateIndex. Originals are all different articles, so
   any match reported here is a false positive (this covers ~3,000 same-story pairs).
2. From each original, seeded variants are queried against the index:
     exact        the same text
     boilerplate  navigation, share lines, "Read more", newsletter and copyright lines added
     rewrite      ~2% of words substituted, ~1% dropped, two sentences swapped, and one
                  paragraph cut or a paragraph of another article added
     truncated    the first 80% of the words
     syndicated   boilerplate + ~1% of words substituted + a new headline line
   A variant counts as a true positive when the best match is its own original, as a
   false positive (and a miss) when it is another article, as a miss when none is found.
Baselines under the same protocol: exact hash of the normalised text, and the Jaccard of
plain word sets against every original (brute force), its threshold the best (by F1) of
WORDSET_THRESHOLDS on the tuning part, printed.

Split (``evalsplit.py``, by a hash of each original's file name; a WikiRef story's articles
are split by article, so hard negatives fall in both parts): the protocol runs on each part
separately (its own index). The shingle size, the threshold and the LSH bands may be chosen
on the tuning part only; the README quotes the reporting part.

    python bench/dedup_eval.py [--docs 300] [--seed 13]
"""

from __future__ import annotations

import argparse
import gzip
import random
import re
import sys
import time
from pathlib import Path

import trafilatura

sys.path.insert(0, str(Path(__file__).resolve().parent))
from evalsplit import split  # noqa: E402

from newsdesk.stories.dedup import DuplicateIndex, overlap, words  # noqa: E402

SHARED = Path(__file__).resolve().parents[2] / "shared"
TRAF = SHARED / "eval" / "trafilatura-eval" / "html"
WIKIREF = SHARED / "eval" / "wikiref-news-clustering" / "wikiref" / "WikiRef220"
MIN_WORDS = 120
KINDS = ("exact", "boilerplate", "rewrite", "truncated", "syndicated")
WORDSET_THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)

NAV = ["Home | World | Politics | Business | Sport | Culture", "Menu Search Subscribe Log in",
       "Skip to main content", "You are here: Home > News > Latest",
       "Startseite | Politik | Wirtschaft | Sport"]
SHARE = ["Share on Facebook Share on Twitter Share via Email", "Share this article",
         "Tweet Share Pin Email Print", "Follow us on Instagram and X"]
FOOT = ["Copyright {y} {o}. All rights reserved.", "© {y} {o}. This material may not be "
        "published, broadcast, rewritten or redistributed.", "Sign up for the {o} newsletter "
        "and get the day's top stories in your inbox every morning.",
        "Comments are closed for this article.", "Related topics: news, world, politics"]
OUTLETS = ["The Daily Courier", "Metro Herald", "Nordkurier Online", "Valley News Network",
           "Wire Service Today"]


def load_texts(n_docs: int) -> list[tuple[str, str]]:
    """(name, text) pairs: trafilatura extractions, then WikiRef220 articles."""
    texts = []
    for path in sorted(TRAF.glob("*.gz")):
        if len(texts) >= n_docs:
            break
        try:
            text = trafilatura.extract(gzip.decompress(path.read_bytes()),
                                       include_comments=False, include_tables=True)
        except Exception:  # a page trafilatura cannot read is simply not used
            text = None
        if text and len(words(text)) >= MIN_WORDS:
            texts.append((path.name, text))
    for path in sorted(WIKIREF.glob("*.txt")):
        text = path.read_bytes().decode("cp1252", errors="replace").replace("\r\n", "\n")
        if len(words(text)) >= MIN_WORDS:
            texts.append(("wikiref/" + path.name, text))
    return texts


def _paragraphs(text: str) -> list[str]:
    return [p for p in re.split(r"\n+", text) if p.strip()]


def boilerplate(text: str, rng: random.Random) -> str:
    outlet = rng.choice(OUTLETS)
    head = rng.sample(NAV, 2) + [rng.choice(SHARE)]
    tail = [rng.choice(SHARE), f"Read more: {rng.choice(OUTLETS)} weekly briefing"] + [
        f.format(y=rng.randint(2010, 2025), o=outlet) for f in rng.sample(FOOT, 3)]
    return "\n".join(head + [text] + tail)


def rewrite(text: str, other: str, rng: random.Random, edit: float = 0.03,
            paragraphs: bool = True) -> str:
    paras = _paragraphs(text)
    if paragraphs and len(paras) > 2 and rng.random() < 0.5:
        del paras[rng.randrange(1, len(paras))]
    elif paragraphs:
        added = " ".join(rng.choice(_paragraphs(other)).split()[:50])  # at most 50 words
        paras.insert(rng.randrange(1, len(paras) + 1), added)
    pool = words(other)
    out = []
    for para in paras:
        sentences = re.split(r"(?<=[.!?])\s+", para)
        if len(sentences) > 3 and rng.random() < 0.3:
            i = rng.randrange(len(sentences) - 1)
            sentences[i], sentences[i + 1] = sentences[i + 1], sentences[i]
        tokens = []
        for token in " ".join(sentences).split():
            r = rng.random()
            if r < edit * 2 / 3:
                tokens.append(rng.choice(pool))
            elif r < edit:
                continue
            else:
                tokens.append(token)
        out.append(" ".join(tokens))
    return "\n".join(out)


def truncated(text: str) -> str:
    tokens = text.split(" ")
    return " ".join(tokens[: int(len(tokens) * 0.8)])


def make_variants(texts: list[str], seed: int) -> list[tuple[int, str, str]]:
    rng = random.Random(seed)
    variants = []
    for i, text in enumerate(texts):
        other = texts[(i + 1 + rng.randrange(len(texts) - 1)) % len(texts)]
        variants.append((i, "exact", text))
        variants.append((i, "boilerplate", boilerplate(text, rng)))
        variants.append((i, "rewrite", rewrite(text, other, rng)))
        variants.append((i, "truncated", truncated(text)))
        headline = f"{rng.choice(OUTLETS)}: {' '.join(words(other)[:8]).title()}\n"
        light = rewrite(text, other, rng, edit=0.01, paragraphs=False)
        variants.append((i, "syndicated", headline + boilerplate(light, rng)))
    return variants


def _report(name: str, tp: int, fp: int, fn_by_kind: dict, n_by_kind: dict, seconds: float):
    positives = sum(n_by_kind.values())
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / positives
    per_kind = " ".join(f"{k}={1 - fn_by_kind[k] / n_by_kind[k]:.3f}" for k in KINDS)
    print(f"{name:<28} precision {precision:.4f}  recall {recall:.4f}  (TP {tp}, FP {fp}, "
          f"missed {positives - tp})  {seconds:5.1f}s")
    print(f"{'':<28} recall by kind: {per_kind}")
    return precision, recall


def source_copies(texts: list[str], threshold: float) -> list[set[int]]:
    """Groups of originals that are already copies of each other in the source data.

    Ground truth independent of the methods under test: brute-force exact containment of
    5-word runs (stricter than the 3-word shingles the index uses) at the threshold.
    """
    def runs(text: str) -> set[tuple[str, ...]]:
        w = words(text)
        return {tuple(w[i:i + 5]) for i in range(len(w) - 4)}

    sets = [runs(t) for t in texts]
    same = [{i} for i in range(len(texts))]
    for i in range(len(texts)):
        for j in range(i):
            if len(sets[i] & sets[j]) >= threshold * min(len(sets[i]), len(sets[j])):
                merged = same[i] | same[j]
                for k in merged:
                    same[k] = merged
    return same


class Tally:
    def __init__(self, same: list[set[int]]):
        self.same, self.tp, self.fp = same, 0, 0
        self.fn_by_kind = dict.fromkeys(KINDS, 0)
        self.examples: list[tuple[int, int]] = []

    def original(self, i: int, hit: int | None) -> None:
        """Adding original i matched earlier original ``hit`` (or nothing)."""
        if hit is not None and hit not in self.same[i]:
            self.fp += 1
            self.examples.append((i, hit))

    def variant(self, i: int, kind: str, hit: int | None) -> None:
        if hit is not None and hit in self.same[i]:
            self.tp += 1
            return
        self.fn_by_kind[kind] += 1
        if hit is not None:
            self.fp += 1
            self.examples.append((i, hit))


def evaluate(texts: list[str], threshold: float, seed: int, baselines: bool = True,
             wordset_threshold: float | None = None) -> dict[str, tuple[float, float]]:
    variants = make_variants(texts, seed)
    n_by_kind = {k: sum(1 for v in variants if v[1] == k) for k in KINDS}
    same = source_copies(texts, threshold)
    groups = {frozenset(g) for g in same if len(g) > 1}
    print(f"copies already in the source data (5-word containment >= {threshold}): "
          f"{[sorted(g) for g in groups]}")
    results = {}

    # ours: MinHash + LSH index
    start = time.perf_counter()
    index = DuplicateIndex(threshold=threshold)
    tally = Tally(same)
    for i, text in enumerate(texts):
        match = index.add(str(i), text)
        tally.original(i, None if match is None else int(match.canonical_id))
    for i, kind, text in variants:
        found = index.query(text)
        tally.variant(i, kind, int(found[0].canonical_id) if found else None)
    results["ours"] = _report("ours (MinHash+LSH, 3-sh)", tally.tp, tally.fp,
                              tally.fn_by_kind, n_by_kind, time.perf_counter() - start)
    for i, j in tally.examples[:5]:
        print(f"    false positive: doc {i} ~ doc {j}, exact overlap "
              f"{overlap(texts[i], texts[j]):.2f}")

    if not baselines:
        return results

    # baseline 1: exact hash of the normalised text
    start = time.perf_counter()
    keys: dict[str, int] = {}
    tally = Tally(same)
    for i, text in enumerate(texts):
        key = " ".join(words(text))
        tally.original(i, keys.get(key))
        keys.setdefault(key, i)
    for i, kind, text in variants:
        tally.variant(i, kind, keys.get(" ".join(words(text))))
    results["exact"] = _report("baseline: exact hash", tally.tp, tally.fp, tally.fn_by_kind,
                               n_by_kind, time.perf_counter() - start)

    results["wordset"] = wordset_baseline(texts, variants, same, n_by_kind,
                                          wordset_threshold or threshold)
    return results


def wordset_baseline(texts, variants, same, n_by_kind, threshold: float) -> tuple[float, float]:
    """Jaccard of plain word sets against every original, brute force."""
    start = time.perf_counter()
    sets = [set(words(t)) for t in texts]

    def best(candidate: set, upto: int) -> int | None:
        top, top_j = None, threshold
        for j in range(upto):
            small, large = sorted((len(candidate), len(sets[j])))
            if small < threshold * large:  # Jaccard cannot reach the threshold: exact pruning
                continue
            jac = len(candidate & sets[j]) / len(candidate | sets[j])
            if jac >= top_j:
                top, top_j = j, jac
        return top

    tally = Tally(same)
    for i in range(len(texts)):
        tally.original(i, best(sets[i], i))
    for i, kind, text in variants:
        tally.variant(i, kind, best(set(words(text)), len(texts)))
    return _report(f"baseline: word-set J>={threshold}", tally.tp, tally.fp,
                   tally.fn_by_kind, n_by_kind, time.perf_counter() - start)


def best_wordset_threshold(texts: list[str], seed: int) -> float:
    """The word-set baseline's best threshold (F1) on these texts."""
    variants = make_variants(texts, seed)
    n_by_kind = {k: sum(1 for v in variants if v[1] == k) for k in KINDS}
    same = source_copies(texts, 0.8)
    scores = {}
    for t in WORDSET_THRESHOLDS:
        p, r = wordset_baseline(texts, variants, same, n_by_kind, t)
        scores[t] = 2 * p * r / (p + r) if p + r else 0.0
    return max(WORDSET_THRESHOLDS, key=lambda t: (scores[t], t))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=300, help="trafilatura-eval texts to use")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--threshold", type=float, default=0.8)
    args = parser.parse_args(argv)
    if not TRAF.is_dir() or not WIKIREF.is_dir():
        print(f"evaluation data not found under {SHARED}", file=sys.stderr)
        return 2
    start = time.perf_counter()
    named = load_texts(args.docs)
    texts = [t for _, t in named]
    n_wiki = sum(1 for n, _ in named if n.startswith("wikiref/"))
    topics = [re.sub(r"[ .(]*\d+\)?\.txt$", "", n) for n, _ in named if n.startswith("wikiref/")]
    hard = sum(topics.count(t) * (topics.count(t) - 1) // 2 for t in set(topics))
    print(f"{len(texts)} originals ({len(texts) - n_wiki} trafilatura-eval, {n_wiki} WikiRef220), "
          f"{len(texts) * len(KINDS)} variants, threshold {args.threshold}, seed {args.seed} "
          f"(texts loaded in {time.perf_counter() - start:.1f}s)")
    print(f"negative pairs among originals: {len(texts) * (len(texts) - 1) // 2}, of which "
          f"{hard} are hard (same WikiRef story, different outlets)")
    parts = split(named, key=lambda nt: nt[0])
    print(f"\nchoosing the word-set baseline's threshold on the tuning part ({len(parts['tune'])} "
          "originals):")
    chosen = best_wordset_threshold([t for _, t in parts["tune"]], args.seed)
    print(f"word-set baseline threshold chosen on the tuning part: {chosen}")
    for label, part in parts.items():
        print(f"\n{label} part: {len(part)} originals")
        evaluate([t for _, t in part], args.threshold, args.seed, wordset_threshold=chosen)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
