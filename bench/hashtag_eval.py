"""Keyphrase and hashtag quality on 500N-KPCrowd (500 English news articles, crowd-chosen keys).

Protocol (the same for every method, computed in this run):
- the first line of each document is the title, the rest the text; HTML character
  references left in the files ("&rsquo;") are decoded first, for every method, as
  newsdesk's ingest does before any tagging;
- a phrase is normalised by lower-casing, splitting into letter/digit runs and Snowball
  (Porter 2) stemming each word; a prediction matches when its normalised form equals a
  normalised gold key exactly (no partial credit). A hashtag is read as its words
  (#WhiteHouse -> "white house");
- the first 10 distinct normalised predictions are scored: P@10 = matches / 10 (a method
  giving fewer than 10 is not excused), R@10 = matches / distinct gold keys, averaged over
  documents; F1@10 = harmonic mean of the averaged P@10 and R@10.

Split (``evalsplit.py``, by a hash of the file name): the tuning part is where rules,
parameters and word lists may be chosen and where YAKE's n-gram size is picked (n = 1, 2, 3:
its authors' default is 3, but most gold keys here are single words); the README quotes the
reporting part. "hashtags" is what readers see (``tags.hashtags``: at most 8, filtered);
"keyphrases" is the raw ranking before the hashtag filters. Both read the general English
background and learn the archive online, as an installation does: documents are read in
file order, each tagged with what the documents before it taught (no gold is used).

    python bench/hashtag_eval.py                      # ours beside YAKE, tuning and reporting parts
    python bench/hashtag_eval.py --write-background   # rebuild data/wordfreq-en.tsv (needs wordfreq)
    python bench/hashtag_eval.py --demo               # what readers see on the demo corpus
    python bench/hashtag_eval.py --sample 20          # 20 random demo articles, tagged as the stage does
"""

from __future__ import annotations

import argparse
import html
import re
import sys
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import snowballstemmer

sys.path.insert(0, str(Path(__file__).resolve().parent))
from evalsplit import split  # noqa: E402

from newsdesk.stories import tags  # noqa: E402
from newsdesk.stories.background import (Background, default_background,  # noqa: E402
                                         write_table)
from newsdesk.stories.entities import DATA  # noqa: E402
from newsdesk.stories.storytags import tag_words  # noqa: E402
from newsdesk.stories.tags import extract_keyphrases  # noqa: E402
from newsdesk.words import runs as word_runs  # noqa: E402

SHARED = Path(__file__).resolve().parents[2] / "shared"
KPCROWD = SHARED / "eval" / "keyphrase-liaad" / "500N-KPCrowd-v1.1.zip"
GENERAL_WORDS = 50_000  # most frequent English words kept in data/wordfreq-en.tsv
YAKE_NS = (1, 2, 3)
_stemmer = snowballstemmer.stemmer("english")


@dataclass(frozen=True)
class Doc:
    id: str
    title: str
    text: str
    gold: frozenset[str]


def normalise(phrase: str) -> str:
    return " ".join(_stemmer.stemWords(word_runs(phrase.lower())))


def load_kpcrowd(path: Path = KPCROWD) -> list[Doc]:
    """Documents with their normalised gold keys, in file-name order."""
    docs = []
    with zipfile.ZipFile(path) as zf:
        names = sorted(n for n in zf.namelist() if "/docsutf8/" in n and n.endswith(".txt"))
        for name in names:
            raw = html.unescape(zf.read(name).decode("utf-8", errors="replace")).strip()
            title, _, text = raw.partition("\n")
            keys = zf.read(name.replace("/docsutf8/", "/keys/")[:-4] + ".key")
            gold = {normalise(k) for k in keys.decode("utf-8", errors="replace").splitlines()}
            gold.discard("")
            if gold:
                docs.append(Doc(Path(name).stem, title.strip(), text.strip(), frozenset(gold)))
    return docs


def score(predictions: dict[str, list[str]], docs: list[Doc]) -> tuple[float, float, float]:
    """(P@10, R@10, F1@10) of ``predictions`` (doc id -> phrases) over ``docs``."""
    precisions, recalls = [], []
    for doc in docs:
        seen: list[str] = []
        for phrase in predictions[doc.id]:
            norm = normalise(phrase)
            if norm and norm not in seen:
                seen.append(norm)
        hits = sum(1 for p in seen[:10] if p in doc.gold)
        precisions.append(hits / 10)
        recalls.append(hits / len(doc.gold))
    p = sum(precisions) / len(precisions)
    r = sum(recalls) / len(recalls)
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def shown_precision(predictions: dict[str, list[str]], docs: list[Doc]) -> tuple[float, float]:
    """(share of the first 10 distinct predictions that match, mean number shown): how
    good each shown item is, apart from how many are shown (hashtags show at most 8)."""
    hits = shown = 0
    for doc in docs:
        seen = list(dict.fromkeys(n for n in map(normalise, predictions[doc.id]) if n))[:10]
        shown += len(seen)
        hits += sum(1 for p in seen if p in doc.gold)
    return (hits / shown if shown else 0.0), shown / len(docs)


def run_yake(docs: list[Doc], n: int) -> dict[str, list[str]]:
    """YAKE as its authors ship it (English stop words, dedup 0.9, window 1), n-grams up to n."""
    import yake

    extractor = yake.KeywordExtractor(lan="en", n=n, top=10)
    return {d.id: [kw for kw, _ in extractor.extract_keywords(f"{d.title}\n{d.text}")]
            for d in docs}


def _online(docs: list[Doc], predict, learn: bool) -> dict[str, list[str]]:
    background = default_background()
    out = {}
    for doc in docs:
        out[doc.id] = predict(doc, background)
        if learn:
            background.learn(f"{doc.title}\n{doc.text}")
    return out


def run_keyphrases(docs: list[Doc], learn: bool = True) -> dict[str, list[str]]:
    return _online(docs, lambda d, bg: [p for p, _ in extract_keyphrases(
        d.title, d.text, top=10, background=bg)], learn)


def run_hashtags(docs: list[Doc], learn: bool = True) -> dict[str, list[str]]:
    """The hashtags readers see, each read as its words."""
    return _online(docs, lambda d, bg: [" ".join(tag_words(t.display)) or t.display[1:]
                                        for t in tags.hashtags(d.title, d.text, background=bg)],
                   learn)


def write_background() -> None:
    """data/wordfreq-en.tsv from the wordfreq package's English data (general text)."""
    from importlib.metadata import version

    import wordfreq

    words = [w for w in wordfreq.top_n_list("en", GENERAL_WORDS * 2)
             if re.fullmatch(r"[^\W\d_]+", w)][:GENERAL_WORDS]
    header = (f"# Word stems of the {len(words)} most frequent English words (letters only) in\n"
              f"# wordfreq {version('wordfreq')} (R. Speer, https://github.com/rspeer/wordfreq), with their frequency per word,\n"
              "# a stem's words added up. wordfreq's data comes from Wikipedia, subtitles, news,\n"
              "# books, web text, Twitter and Reddit, and is licensed CC BY-SA 4.0; so is this\n"
              "# table. Written by bench/hashtag_eval.py --write-background.\n")
    out = DATA / "wordfreq-en.tsv"
    out.write_text(write_table(((w, wordfreq.word_frequency(w, "en")) for w in words), header),
                   encoding="utf-8")
    print(f"wrote {out}: {out.stat().st_size / 1024:.0f} KiB")


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


def tag_demo_sample(n: int, tag, seed: int = 18) -> list:
    """[(article, tag(article, background, language))] for ``n`` random demo articles (fixed
    seed), in the sample's order: articles are read in publication order, each tagged with
    what the ones before taught the background, as the stories stage tags them."""
    import random
    from datetime import datetime

    from newsdesk.demo.corpus import OUTLETS, load_articles

    articles = sorted(load_articles(), key=lambda a: (datetime.fromisoformat(a.published), a.id))
    ids = sorted(a.id for a in articles)
    random.Random(seed).shuffle(ids)
    chosen, background, found = set(ids[:n]), default_background(), {}
    for article in articles:
        if article.id in chosen:
            found[article.id] = tag(article, background, OUTLETS[article.outlet_id].language)
        background.learn(f"{article.title}\n{article.text}")
    by_id = {a.id: a for a in articles}
    return [(by_id[i], found[i]) for i in ids[:n]]


def demo_sample(n: int, seed: int = 18) -> None:
    """``n`` random demo articles (fixed seed) with the tags the stories stage gives them.
    Run it on two checkouts to compare what readers see, side by side."""
    def shown(article, background, language):
        return [t.display for t in tags.hashtags(article.title, article.text,
                                                 background=background, language=language)]
    for article, found in tag_demo_sample(n, shown, seed):
        print(f"{article.outlet_id:<16} {article.title[:55]:<55} {' '.join(found)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write-background", action="store_true",
                        help="rebuild data/wordfreq-en.tsv from the wordfreq package")
    parser.add_argument("--demo", action="store_true",
                        help="print the tags readers would see on the bundled demo corpus")
    parser.add_argument("--sample", type=int, metavar="N",
                        help="the tags of N random demo articles (fixed seed), as the stage gives them")
    args = parser.parse_args(argv)
    if args.sample:
        demo_sample(args.sample)
        return 0
    if args.demo:
        demo()
        return 0
    if args.write_background:
        write_background()
        return 0
    if not KPCROWD.exists():
        print(f"evaluation data not found: {KPCROWD}", file=sys.stderr)
        return 2
    docs = load_kpcrowd()
    parts = split(docs, key=lambda d: d.id)
    print(f"500N-KPCrowd: {len(docs)} documents, {sum(len(d.gold) for d in docs) / len(docs):.1f} "
          f"distinct gold keys per document; split by id hash: {len(parts['tune'])} tuning, "
          f"{len(parts['report'])} reporting")
    print("protocol: lower-case, Snowball-stemmed words, exact phrase match, first 10 distinct "
          "predictions; P@10 = hits/10, R@10 = hits/|gold|, F1 = harmonic mean of mean P and R")
    runs: dict[str, dict[str, list[str]]] = {}
    for n in YAKE_NS:
        runs[f"YAKE n={n}"] = run_yake(docs, n)
    runs["ours: hashtags readers see"] = run_hashtags(docs)
    runs["ours: keyphrases (before filters)"] = run_keyphrases(docs)
    runs["ours: hashtags, general background only"] = run_hashtags(docs, learn=False)
    figures = {(name, label): score(preds, parts[label])
               for name, preds in runs.items() for label in ("tune", "report")}
    best_n = max(YAKE_NS, key=lambda n: figures[(f"YAKE n={n}", "tune")][2])
    print(f"YAKE's n chosen on the tuning part by F1@10: n={best_n}")
    for label in ("tune", "report"):
        print(f"\n{label} part ({len(parts[label])} documents)")
        for name in runs:
            p, r, f = figures[(name, label)]
            each, count = shown_precision(runs[name], parts[label])
            print(f"  {name:<42} P@10 {p:.3f}  R@10 {r:.3f}  F1@10 {f:.3f}   "
                  f"(per shown item {each:.3f}, {count:.1f} shown)")
        yp, _, yf = figures[(f"YAKE n={best_n}", label)]
        op, _, of = figures[("ours: hashtags readers see", label)]
        print(f"  hashtags / YAKE n={best_n}: P@10 {op / yp:.2f}x  F1@10 {of / yf:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
