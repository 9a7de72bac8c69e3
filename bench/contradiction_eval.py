"""Precision of "contradicts" on labelled pairs of sentences from different outlets,
beside the cue rule it replaced (measured in the same run).

The labelled set (``bench/data/contradiction_pairs.jsonl``) points at sentence pairs of
WikiRef220 (../shared/eval/wikiref-news-clustering: several outlets covering the Paris
attacks, MH370, the Galaxy S5, Michelle Obama and the Premier League). Pairs were drawn
from cross-outlet sentence pairs of one topic with TF-IDF cosine >= 0.35 (what the
comparison considers): 60 that the old cue rule flagged, 30 that neither rule flagged,
and every pair the new rule flagged; each was labelled by hand: *contradicts* when both
sentences state the same fact and disagree (a death toll of 130 vs 129; "no Galaxy S5
Active" vs the S5 Active exists). Texts are not copied: each pair names its files and
sentence numbers and the SHA-1 of each sentence, checked on load.

Constructed pairs add known positives: a labelled pair's first sentence against itself
with one figure changed, or with "not" added after its first auxiliary.

Usage: python bench/contradiction_eval.py
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from newsdesk.ai.compare import DENIALS, NEGATIONS, contradiction  # noqa: E402
from newsdesk.sentences import split_sentences  # noqa: E402
from newsdesk.ai.text import words  # noqa: E402

ROOT = Path(__file__).resolve().parents[2] / "shared" / "eval" / "wikiref-news-clustering" / "wikiref" / "WikiRef220"
LABELS = Path(__file__).resolve().parent / "data" / "contradiction_pairs.jsonl"
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_AUX = re.compile(r"\b(is|are|was|were|has|have|had|will|would|can|could)\b")


def old_rule(claim: str, other: str) -> str | None:
    """The cue rule before this change: any negation or denial on one side only, or two
    numbers that differ, in sentences similar enough to be compared."""
    def cues(text):
        tokens = words(text)
        return (any(t in NEGATIONS or t.endswith("n't") or t == "without" for t in tokens),
                any(t in DENIALS for t in tokens),
                {n.replace(",", "").replace(".", "") for n in _NUMBER.findall(text)})
    neg_a, den_a, num_a = cues(claim)
    neg_b, den_b, num_b = cues(other)
    if den_b and not den_a:
        return "denial"
    if neg_a != neg_b:
        return "negation mismatch"
    if num_a and num_b and not (num_a & num_b):
        return "numbers differ"
    return None


def load() -> list[dict]:
    cache: dict[str, list[str]] = {}

    def sentence(ref, digest):
        name, index = ref
        if name not in cache:
            cache[name] = split_sentences((ROOT / name).read_bytes().decode("cp1252", errors="replace"))
        text = cache[name][index]
        if hashlib.sha1(text.encode()).hexdigest()[:12] != digest:
            raise SystemExit(f"{name} sentence {index} is not the labelled one (splitter changed?)")
        return text
    rows = []
    for line in LABELS.read_text().splitlines():
        row = json.loads(line)
        rows.append({**row, "ta": sentence(row["a"], row["a_sha1"]), "tb": sentence(row["b"], row["b_sha1"])})
    return rows


def constructed(rows: list[dict]) -> list[tuple[str, str]]:
    out = []
    for row in rows:
        text = row["ta"]
        match = re.search(r"(?<![\w.,/])(\d+)(?![\w.,/])", text)
        if match and not (1900 <= int(match.group(1)) <= 2100):
            out.append((text, text[:match.start()] + str(int(match.group(1)) + 7) + text[match.end():]))
        aux = _AUX.search(text)
        if aux and not any(t in NEGATIONS or t.endswith("n't") for t in words(text)):
            out.append((text, text[:aux.end()] + " not" + text[aux.end():]))
    return out


def score(rule, pairs: list[tuple[str, str, bool]]) -> tuple[int, int, int]:
    """(true positives, flagged, positives)."""
    flagged = [(a, b, label) for a, b, label in pairs if rule(a, b)]
    return sum(label for *_, label in flagged), len(flagged), sum(label for *_, label in pairs)


def main() -> int:
    if not ROOT.exists():
        print(f"WikiRef220 not found at {ROOT}; nothing to evaluate")
        return 1
    rows = load()
    real = [(r["ta"], r["tb"], r["contradicts"]) for r in rows]
    made = [(a, b, True) for a, b in constructed(rows)]
    print(f"labelled pairs: {len(real)} from {len({r['topic'] for r in rows})} topics, "
          f"{sum(l for *_, l in real)} contradictions; constructed contradictions: {len(made)}")
    print(f"{'set':<13} {'rule':<9} {'flagged':>7} {'correct':>7} {'precision':>9} {'recall':>7}")
    for name, pairs in (("labelled", real), ("constructed", made), ("both", real + made)):
        for rule_name, rule in (("new", contradiction), ("old cues", old_rule)):
            tp, flagged, positives = score(rule, pairs)
            precision = f"{tp / flagged:.3f}" if flagged else "-"
            print(f"{name:<13} {rule_name:<9} {flagged:>7} {tp:>7} {precision:>9} {tp / max(positives, 1):>7.3f}")
    for a, b, label in real:
        if contradiction(a, b):
            print(f"  flagged ({'right' if label else 'WRONG'}): {contradiction(a, b)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
