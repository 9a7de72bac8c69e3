"""Keyphrase quality on 500N-KPCrowd (500 English news articles, crowd-chosen keys).

Protocol (the same for every method, computed in this run):
- the first line of each document is the title, the rest the text;
- a phrase is normalised by lower-casing, splitting into letter/digit runs and Snowball
  (Porter 2) stemming each word; a prediction matches when its normalised form equals a
  normalised gold key exactly (no partial credit);
- the first 10 distinct normalised predictions are scored: P@10 = matches / 10,
  R@10 = matches / distinct gold keys, averaged over documents; F1@10 = harmonic mean of
  the averaged P@10 and R@10.
Documents are read in file-name order: the first 250 were used for tuning, the last 250
(other news categories) are reported as held out.

    python bench/hashtag_eval.py                      # evaluate ours beside YAKE
    python bench/hashtag_eval.py --write-background   # rebuild data/background-en.tsv
    python bench/hashtag_eval.py --demo               # what readers see on the demo corpus
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
import zipfile
from pathlib import Path

import snowballstemmer

from newsdesk.stories import tags
from newsdesk.stories.entities import DATA
from newsdesk.stories.background import LOWER_MIN_DOCS, LOWER_SHARE
from newsdesk.stories.tags import Background, extract_keyphrases

SHARED = Path(__file__).resolve().parents[2] / "shared"
KPCROWD = SHARED / "eval" / "keyphrase-liaad" / "500N-KPCrowd-v1.1.zip"
DEMO = SHARED / "demo-corpus" / "demo-articles.jsonl"
_stemmer = snowballstemmer.stemmer("english")


def normalise(phrase: str) -> str:
    return " ".join(_stemmer.stemWords(re.findall(r"[^\W_]+", phrase.lower())))


def load_kpcrowd(path: Path = KPCROWD) -> list[tuple[str, str, set[str]]]:
    """(title, text, normalised gold keys) per document, in file-name order."""
    docs = []
    with zipfile.ZipFile(path) as zf:
        names = sorted(n for n in zf.namelist() if "/docsutf8/" in n and n.endswith(".txt"))
        for name in names:
            raw = zf.read(name).decode("utf-8", errors="replace").strip()
            title, _, text = raw.partition("\n")
            keys = zf.read(name.replace("/docsutf8/", "/keys/")[:-4] + ".key")
            gold = {normalise(k) for k in keys.decode("utf-8", errors="replace").splitlines()}
            gold.discard("")
            if gold:
                docs.append((title.strip(), text.strip(), gold))
    return docs


def score(predictions: list[list[str]], docs) -> tuple[float, float, float]:
    precisions, recalls = [], []
    for phrases, (_, _, gold) in zip(predictions, docs):
        seen: list[str] = []
        for phrase in phrases:
            norm = normalise(phrase)
            if norm and norm not in seen:
                seen.append(norm)
        hits = sum(1 for p in seen[:10] if p in gold)
        precisions.append(hits / 10)
        recalls.append(hits / len(gold))
    p = sum(precisions) / len(precisions)
    r = sum(recalls) / len(recalls)
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def run_yake(docs) -> list[list[str]]:
    import yake

    extractor = yake.KeywordExtractor(lan="en", n=3, top=10)
    return [[kw for kw, _ in extractor.extract_keywords(f"{title}\n{text}")]
            for title, text, _ in docs]


def run_ours(docs) -> list[list[str]]:
    return [[p for p, _ in extract_keyphrases(title, text, top=10)] for title, text, _ in docs]


def write_background() -> None:
    texts = [json.loads(line)["text"] for line in DEMO.read_text(encoding="utf-8").splitlines()
             if line.strip()]
    background = Background.from_texts(texts, min_df=2)
    out = DATA / "background-en.tsv"
    out.write_text(background.to_tsv(), encoding="utf-8")
    print(f"wrote {out}: {len(background.df)} stems from {background.n_docs} demo articles, "
          f"{out.stat().st_size / 1024:.0f} KiB")
    lower = DATA / "lower-case-en.txt"
    lower.write_text(
        f"# Words the {background.n_docs} demo articles write in lower case (in at least "
        f"{LOWER_SHARE:.0%} of the articles\n# using them mid-sentence, and at least "
        f"{LOWER_MIN_DOCS}): a capital on one of them alone is house style, not a name.\n"
        "# Written by bench/hashtag_eval.py --write-background; see stories/background.py.\n"
        + "".join(w + "\n" for w in sorted(background.lower)), encoding="utf-8")
    print(f"wrote {lower}: {len(background.lower)} lower-case words")


def demo(sample: int = 12) -> None:
    """Tags over the bundled demo corpus, for a person to judge: the most frequent tags,
    the share of articles with MIN_TAGS..MAX_TAGS tags, and every ``sample``-th article."""
    from collections import Counter

    from newsdesk.demo.corpus import load_articles

    articles = load_articles()
    counts: Counter[str] = Counter()
    sizes: Counter[int] = Counter()
    shown = []
    for i, article in enumerate(articles):
        found = [t.display for t in tags.hashtags(article.title, article.text)]
        counts.update(found)
        sizes[len(found)] += 1
        if sample and i % sample == 0:
            shown.append(f"  {article.outlet_id:<16} {article.title[:55]:<55} {' '.join(found)}")
    in_range = sum(n for size, n in sizes.items() if tags.MIN_TAGS <= size <= tags.MAX_TAGS)
    print(f"demo corpus: {len(articles)} articles, {len(counts)} distinct tags")
    print(f"articles with {tags.MIN_TAGS}-{tags.MAX_TAGS} tags: {in_range / len(articles):.1%}  "
          f"(tags per article: {dict(sorted(sizes.items()))})")
    print("25 most frequent tags:")
    print("  " + "  ".join(f"{tag} {n}" for tag, n in counts.most_common(25)))
    if shown:
        print(f"every {sample}th article:")
        print("\n".join(shown))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write-background", action="store_true",
                        help="rebuild the shipped background table from the demo corpus")
    parser.add_argument("--demo", action="store_true",
                        help="print the tags readers would see on the bundled demo corpus")
    args = parser.parse_args(argv)
    if args.demo:
        demo()
        return 0
    if args.write_background:
        if not DEMO.exists():
            print(f"demo corpus not found: {DEMO}", file=sys.stderr)
            return 2
        write_background()
        return 0
    if not KPCROWD.exists():
        print(f"evaluation data not found: {KPCROWD}", file=sys.stderr)
        return 2
    docs = load_kpcrowd()
    print(f"500N-KPCrowd: {len(docs)} documents, {sum(len(d[2]) for d in docs) / len(docs):.1f} "
          "distinct gold keys per document")
    print("protocol: lower-case, Snowball-stemmed words, exact phrase match, first 10 distinct "
          "predictions; P@10 = hits/10, R@10 = hits/|gold|, F1 = harmonic mean of mean P and R")
    runs = {}
    for name, fn in (("YAKE (n=3, top=10)", run_yake), ("ours (tags.extract_keyphrases)", run_ours)):
        start = time.perf_counter()
        runs[name] = fn(docs)
        print(f"  {name}: {time.perf_counter() - start:.1f}s")
    halves = {"tune (docs 1-250)": slice(0, 250), "held out (251-500)": slice(250, None),
              "all": slice(None)}
    for label, part in halves.items():
        print(f"\n{label}")
        figures = {}
        for name, preds in runs.items():
            figures[name] = score(preds[part], docs[part])
            p, r, f = figures[name]
            print(f"  {name:<32} P@10 {p:.3f}  R@10 {r:.3f}  F1@10 {f:.3f}")
        (yp, _, yf), (op, _, of) = figures.values()
        print(f"  ratio ours/YAKE: P@10 {op / yp:.2f}x  F1@10 {of / yf:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
