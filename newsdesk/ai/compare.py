"""Coverage comparison: the main claims of a story and, per outlet, which it reports,
omits or contradicts.

Claims are groups of similar sentences (TF-IDF cosine >= ``claim_threshold``) ranked by
how many outlets carry them and how central they are. For each claim and each outlet we
take the outlet's closest sentence: below ``match_threshold`` the outlet omits the claim;
otherwise it reports it, unless a contradiction cue separates the two sentences: one is
negated and the other not, one denies/calls false what the other states, or both give
numbers for the same claim and the numbers differ. A denial needs less similarity than a
restatement ("X denies that its vessel lost power" shares few words with the claim).
"""

from __future__ import annotations

import re
from dataclasses import asdict
from typing import Sequence

import numpy as np

from .model import Corpus, Doc, Result, coverage_gate
from .summary import centrality, eligible
from .text import Embed, words

NEGATIONS = frozenset("""not no never none nobody nothing neither nor cannot can't don't doesn't didn't
    isn't wasn't aren't weren't won't hasn't haven't hadn't without no ni nunca jamás ningún ninguna
    pas jamais aucun aucune non nessun nessuna""".split())
DENIALS = frozenset("""deny denies denied denying false falsely fake untrue baseless unfounded hoax
    rejected rejects refuted refutes dismissed dismisses debunked misleading lie lies
    niega negó niegan desmiente desmintió falso falsa falsos bulo
    dément démenti dément nie nié faux fausse infondé
    nega smentisce smentito falso falsa infondata bufala""".split())
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def compare_coverage(docs: Sequence[Doc], max_claims: int = 8, min_outlets: int = 2,
                     claim_threshold: float = 0.35, match_threshold: float = 0.4,
                     deny_threshold: float = 0.25, negation_threshold: float = 0.35,
                     number_threshold: float = 0.45, embed: Embed | None = None) -> Result:
    corpus = Corpus(docs, embed=embed)
    gate = coverage_gate("compare", corpus, min_outlets)
    if gate:
        return gate
    rows = eligible(corpus, range(len(corpus.sents))) or [r for r, s in enumerate(corpus.sents) if not s.flag]
    if not rows:
        return Result("compare", status="empty", note="The documents have no text to compare.")
    sim = corpus.space.sim(rows, rows)
    labels = [corpus.sents[r].doc.label for r in rows]
    central = centrality(sim)

    claims: list[tuple[int, list[int]]] = []   # (representative, members), indices into rows
    taken: set[int] = set()
    ranked = sorted(range(len(rows)), key=lambda i: -_claim_weight(i, sim, labels, central, claim_threshold))
    for i in ranked:
        if len(claims) >= max_claims:
            break
        if i in taken or _cues(corpus.sents[rows[i]].text)[1]:
            continue  # a denial is a reaction to a claim, not the claim itself
        members = [j for j in np.nonzero(sim[i] >= claim_threshold)[0] if j not in taken]
        members = sorted(set(members) | {i})
        taken.update(members)
        claims.append((i, members))

    items = []
    table = {label: {"reports": [], "omits": [], "contradicts": []} for label in corpus.outlets}
    for number, (rep, members) in enumerate(claims):
        rep_text = corpus.sents[rows[rep]].text
        reporting = []
        for label in corpus.outlets:
            own = sorted((j for j in range(len(rows)) if labels[j] == label), key=lambda j: -sim[rep, j])
            if rep in own:
                own = [rep]
            found = None
            for j in own:
                cue = None if j == rep else contradiction(rep_text, corpus.sents[rows[j]].text)
                needed = {"denial": deny_threshold, "negation mismatch": negation_threshold}.get(
                    cue or "", number_threshold)
                if cue and sim[rep, j] >= needed:
                    found = ("contradicts", j, cue)
                    break
            if found is None and own and (own[0] == rep or sim[rep, own[0]] >= match_threshold):
                found = ("reports", own[0], None)
            if found is None:
                table[label]["omits"].append(number)
                continue
            verdict, j, cue = found
            entry = {"claim": number, "citation": asdict(corpus.sents[rows[j]].citation),
                     "similarity": round(float(sim[rep, j]), 3)}
            if cue:
                entry["cue"] = cue
            else:
                reporting.append(label)
            table[label][verdict].append(entry)
        item = corpus.item(rows[rep], central[rep], reporting)
        item.citations += [corpus.sents[rows[j]].citation for j in members if j != rep][:5]
        items.append(item)
    return Result("compare", items=items, meta={"outlets": table, "outlet_order": corpus.outlets})


def _claim_weight(i: int, sim: np.ndarray, labels: list[str], central: np.ndarray, threshold: float) -> float:
    outlets = {labels[j] for j in np.nonzero(sim[i] >= threshold)[0]}
    return len(outlets) + central[i]


def _cues(text: str) -> tuple[bool, bool, set[str]]:
    tokens = words(text)
    negated = any(t in NEGATIONS or t.endswith("n't") for t in tokens)
    denied = any(t in DENIALS for t in tokens)
    numbers = {n.replace(",", "").replace(".", "") for n in _NUMBER.findall(text)}
    return negated, denied, numbers


def contradiction(claim: str, other: str) -> str | None:
    """A short reason when ``other`` contradicts ``claim`` (both about the same thing)."""
    neg_a, den_a, num_a = _cues(claim)
    neg_b, den_b, num_b = _cues(other)
    if den_b and not den_a:
        return "denial"
    if neg_a != neg_b:
        return "negation mismatch"
    if num_a and num_b and not (num_a & num_b):
        return f"numbers differ: {', '.join(sorted(num_a))} vs {', '.join(sorted(num_b))}"
    return None
