"""Timeline quality on ML-Crisis (es/fr/it), beside two baselines computed in the same run.

Setup (the standard TLS one, Martschat & Markert 2018, Ghalandari & Ifrim 2020):
- the documents of a topic are restricted to the reference timeline's date range
  [first reference date, last reference date];
- T = number of distinct reference dates (duplicate date blocks are merged), N = mean number of
  reference sentences per date, rounded (at least 1): every method returns T dates, <= N
  sentences each.

Metrics: date-selection F1, and ROUGE-1/2 F1 in the tilse variants concat, agreement and
align+ m:1 (date-and-content-cost many-to-one alignment, scores discounted by
1/(1 + |date difference|)). tilse itself (pip install tilse==0.2.1) pulls in spaCy,
textacy and numba and scores through the Perl ROUGE-1.5.5 with an *English* stemmer and
stopword list, so the formulas are re-implemented here on our own n-gram counts:
lower-cased word tokens, es/fr/it stopwords removed, Snowball stemming for the topic's language.

Baselines: ``random`` (T random days among those with documents, N random sentences of that
day, seed 13), ``first-sent`` (the T days with most documents, the first sentence of
each of that day's documents, up to N) and ``lead`` (the dates *ours* chose, each with the
leading sentences of that day's documents, as many as ours gave for the date: the same
length, so only the choice of sentences differs).

Split (``evalsplit.py``, by a hash of "lang/topic": a topic's documents and its reference
stay together): the timeline's parameters may be chosen on the tuning topics only; the
README quotes the reporting topics. Averages are printed per part and per language.

Usage: python bench/timeline_eval.py [--langs es,fr,it] [--topics egypt,libya,syria,yemen]
"""

from __future__ import annotations

import argparse
import random
import sys
import tarfile
import tempfile
from collections import Counter, defaultdict
from datetime import date, timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from evalsplit import PARTS, part  # noqa: E402

from newsdesk.ai.model import Doc  # noqa: E402
from newsdesk.sentences import split_sentences  # noqa: E402
from newsdesk.ai.text import ALL_STOPWORDS, stem, words  # noqa: E402
from newsdesk.ai.timeline import build_timeline  # noqa: E402

ARCHIVE = Path(__file__).resolve().parents[2] / "shared" / "eval" / "ml-crisis-tls" / \
    "ml-crisis-txt-and-references.tar.gz"
LANGS = ("es", "fr", "it")
TOPICS = ("egypt", "libya", "syria", "yemen")
METRICS = ("date_f1", "concat_r1", "concat_r2", "agree_r1", "agree_r2", "align_r1", "align_r2")

Timeline = dict  # date -> list[str]


# ----------------------------------------------------------------------------- data
def extract(archive: Path, target: Path) -> Path:
    with tarfile.open(archive) as tar:
        tar.extractall(target, filter="data")
    return target


def load_docs(root: Path, lang: str, topic: str) -> list[Doc]:
    docs = []
    for path in sorted((root / lang / topic).glob("*/*.txt")):
        day = date.fromisoformat(path.parent.name)
        outlet = path.stem.split("_")[0]
        docs.append(Doc(id=f"{path.parent.name}/{path.stem}", date=day, outlet=outlet, title="",
                        text=path.read_text(encoding="utf-8", errors="replace")))
    return docs


def load_reference(path: Path) -> Timeline:
    timeline: Timeline = defaultdict(list)
    current = None
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line:
            continue
        if line.startswith("-----"):
            current = None
        elif current is None:
            current = date.fromisoformat(line[:10])
        else:
            timeline[current].append(line)
    return dict(timeline)


# ----------------------------------------------------------------------------- ROUGE
def ngrams(sentences: list[str], n: int, lang: str) -> Counter:
    tokens = [stem(w, lang) for s in sentences for w in words(s) if w not in ALL_STOPWORDS]
    return Counter(tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1))


def counts(pred: list[str], ref: list[str], n: int, lang: str) -> tuple[float, float, float]:
    """(hits, predicted n-grams, reference n-grams)."""
    p, r = ngrams(pred, n, lang), ngrams(ref, n, lang)
    return sum((p & r).values()), sum(p.values()), sum(r.values())


def f1(prec: float, rec: float) -> float:
    return 0.0 if prec + rec == 0 else 2 * prec * rec / (prec + rec)


def concat(pred: Timeline, ref: Timeline, n: int, lang: str) -> float:
    h, p, r = counts([s for d in sorted(pred) for s in pred[d]], [s for d in sorted(ref) for s in ref[d]], n, lang)
    return f1(h / p if p else 0, h / r if r else 0)


def agreement(pred: Timeline, ref: Timeline, n: int, lang: str) -> float:
    hp = hr = pd = rd = 0.0
    for day in set(pred) | set(ref):
        h, p, r = counts(pred.get(day, []), ref.get(day, []), n, lang)
        if day in pred:
            hp, pd = hp + h, pd + p
        if day in ref:
            hr, rd = hr + h, rd + r
    return f1(hp / pd if pd else 0, hr / rd if rd else 0)


def _rouge1_approx(pred: list[str], ref: list[str]) -> float:
    p = Counter(w for s in pred for w in s.split())
    r = Counter(w for s in ref for w in s.split())
    match = sum((p & r).values())
    prec = match / sum(p.values()) if p else 0
    rec = match / sum(r.values()) if r else 0
    return f1(prec, rec)


def align_m1(pred: Timeline, ref: Timeline, n: int, lang: str) -> float:
    """tilse align+ m:1: each date of one side goes to its cheapest date on the other,
    cost = date factor * (1 - approximate ROUGE-1); hits discounted by date distance."""
    pdates, rdates = sorted(pred), sorted(ref)

    def cost(a: date, b: date, pa: Timeline, pb: Timeline) -> float:
        return (1 - 1 / (abs(a.toordinal() - b.toordinal()) + 1)) * (1 - _rouge1_approx(pa[a], pb[b]))

    num_p = den_p = num_r = den_r = 0.0
    for d in pdates:
        best = min(rdates, key=lambda r: cost(d, r, pred, ref))
        h, p, _ = counts(pred[d], ref[best], n, lang)
        num_p += h / (abs(d.toordinal() - best.toordinal()) + 1)
        den_p += p
    for d in rdates:
        best = min(pdates, key=lambda q: cost(d, q, ref, pred))
        h, _, r = counts(pred[best], ref[d], n, lang)
        num_r += h / (abs(d.toordinal() - best.toordinal()) + 1)
        den_r += r
    return f1(num_p / den_p if den_p else 0, num_r / den_r if den_r else 0)


def date_f1(pred: Timeline, ref: Timeline) -> float:
    both = len(set(pred) & set(ref))
    return f1(both / len(pred) if pred else 0, both / len(ref) if ref else 0)


def score(pred: Timeline, ref: Timeline, lang: str) -> dict[str, float]:
    if not pred:
        return dict.fromkeys(METRICS, 0.0)
    return {"date_f1": date_f1(pred, ref),
            "concat_r1": concat(pred, ref, 1, lang), "concat_r2": concat(pred, ref, 2, lang),
            "agree_r1": agreement(pred, ref, 1, lang), "agree_r2": agreement(pred, ref, 2, lang),
            "align_r1": align_m1(pred, ref, 1, lang), "align_r2": align_m1(pred, ref, 2, lang)}


# ----------------------------------------------------------------------------- methods
def _days(docs: list[Doc], start: date, end: date) -> dict[date, list[Doc]]:
    out: dict[date, list[Doc]] = defaultdict(list)
    for doc in docs:
        if start <= doc.day <= end:
            out[doc.day].append(doc)
    return out


def ours(docs: list[Doc], start: date, end: date, t: int, n: int) -> Timeline:
    result = build_timeline(docs, since=start - timedelta(days=1), until=end, max_dates=t, per_date=n)
    out: Timeline = defaultdict(list)
    for item in result.items:
        out[date.fromisoformat(item.date)].append(item.text)
    return dict(out)


def random_baseline(docs: list[Doc], start: date, end: date, t: int, n: int, seed: int = 13) -> Timeline:
    rng = random.Random(seed)
    by_day = _days(docs, start, end)
    days = rng.sample(sorted(by_day), min(t, len(by_day)))
    out = {}
    for day in days:
        sentences = [s for doc in by_day[day] for s in split_sentences(doc.text)]
        out[day] = rng.sample(sentences, min(n, len(sentences)))
    return out


def first_sentence_baseline(docs: list[Doc], start: date, end: date, t: int, n: int) -> Timeline:
    by_day = _days(docs, start, end)
    days = sorted(by_day, key=lambda d: (-len(by_day[d]), d))[:t]
    out = {}
    for day in days:
        firsts = [split_sentences(doc.text)[:1] for doc in sorted(by_day[day], key=lambda d: d.id)]
        out[day] = [s[0] for s in firsts if s][:n]
    return out


def lead_baseline(docs: list[Doc], start: date, end: date, t: int, n: int,
                  chosen: Timeline | None = None) -> Timeline:
    """Ours' dates, each with the first sentence of each of that day's documents (then their
    second sentences...), as many sentences as ours gave for the date."""
    chosen = chosen if chosen is not None else ours(docs, start, end, t, n)
    by_day = _days(docs, start - timedelta(days=3650), end)
    out = {}
    for day, sentences in chosen.items():
        leads = [split_sentences(doc.text) for doc in sorted(by_day.get(day, []), key=lambda d: d.id)]
        ranked = [lead[k] for k in range(max((len(x) for x in leads), default=0)) for lead in leads if k < len(lead)]
        out[day] = ranked[:len(sentences)] or sentences
    return out


METHODS = {"ours": ours, "random": random_baseline, "first-sent": first_sentence_baseline, "lead": lead_baseline}
BASELINES = ("random", "first-sent", "lead")


def evaluate(root: Path, langs=LANGS, topics=TOPICS) -> dict[str, dict[tuple[str, str], dict[str, float]]]:
    """{method: {(lang, topic): {metric: value}}}"""
    results: dict[str, dict] = {m: {} for m in METHODS}
    for lang in langs:
        for topic in topics:
            ref_path = root / lang / "reference" / f"{topic}.txt"
            if not ref_path.exists() or not (root / lang / topic).exists():
                continue
            ref = load_reference(ref_path)
            docs = load_docs(root, lang, topic)
            start, end = min(ref), max(ref)
            t = len(ref)
            n = max(1, round(sum(len(v) for v in ref.values()) / t))
            mine = ours(docs, start, end, t, n)
            for name, method in METHODS.items():
                if name == "ours":
                    predicted = mine
                elif name == "lead":
                    predicted = lead_baseline(docs, start, end, t, n, chosen=mine)
                else:
                    predicted = method(docs, start, end, t, n)
                results[name][(lang, topic)] = score(predicted, ref, lang)
    return results


def averages(per_topic: dict[tuple[str, str], dict[str, float]], lang: str | None = None,
             split_part: str | None = None) -> dict[str, float]:
    rows = [v for (lg, tp), v in per_topic.items() if (lang is None or lg == lang)
            and (split_part is None or part(f"{lg}/{tp}") == split_part)]
    return {m: float(np.mean([r[m] for r in rows])) if rows else 0.0 for m in METRICS}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--langs", default=",".join(LANGS))
    parser.add_argument("--topics", default=",".join(TOPICS))
    args = parser.parse_args()
    if not ARCHIVE.exists():
        print(f"ML-Crisis archive not found at {ARCHIVE}; nothing to evaluate")
        return 1
    langs, topics = args.langs.split(","), args.topics.split(",")
    with tempfile.TemporaryDirectory() as tmp:
        results = evaluate(extract(ARCHIVE, Path(tmp)), langs, topics)
    for split_part in PARTS:
        pairs = sorted(k for k in results["ours"] if part(f"{k[0]}/{k[1]}") == split_part)
        print(f"\n{split_part} part: {', '.join(f'{lg}/{tp}' for lg, tp in pairs)}")
        header = f"{'method':<11} {'scope':<5} " + " ".join(f"{m:>9}" for m in METRICS)
        print(header)
        for scope in [None, *langs]:
            for name in METHODS:
                avg = averages(results[name], scope, split_part)
                print(f"{name:<11} {scope or 'all':<5} " + " ".join(f"{avg[m]:9.4f}" for m in METRICS))
        part_avg = {name: averages(results[name], None, split_part) for name in METHODS}
        wins = all(part_avg["ours"][m] > part_avg[b][m] for b in ("random", "first-sent") for m in METRICS)
        print(f"ours beats random and first-sent on every average figure: {'yes' if wins else 'no'}")
        content = [m for m in METRICS if m != "date_f1"]
        ahead = [m for m in content if part_avg["ours"][m] > part_avg["lead"][m]]
        print(f"ours vs lead at the same dates and length: ahead on {len(ahead)} of {len(content)} "
              f"content figures ({', '.join(ahead) or 'none'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
