"""Coverage comparison: the main claims of a story and, per outlet, which it reports,
omits or contradicts.

Claims are groups of similar sentences (TF-IDF cosine >= ``claim_threshold``) ranked by
how many outlets carry them and how central they are. For each claim and each outlet we
take the outlet's closest sentence: below ``match_threshold`` the outlet omits the claim;
otherwise it reports it, unless the two sentences are about the same fact and disagree
(``contradiction``): they give different numbers for the same thing, in the same unit after
conversion ("5.2 million km2" and "2 million square miles" agree; dates and years are not
such numbers); or one negates a clause the other states, the clauses sharing most of their
content words ("there were no survivors" does not contradict "239 people were on board";
"were without electricity" does not contradict "lost electricity"); or one denies what the
other states. A denial needs less similarity than a restatement ("X denies that its vessel
lost power" shares few words with the claim). ``bench/contradiction_eval.py`` measures the
precision on a labelled set of outlet sentence pairs.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Sequence

import numpy as np

from .model import Corpus, Doc, Result, coverage_gate
from .quantities import UNITS, quantities, same_value
from .summary import centrality, eligible
from .text import ALL_STOPWORDS, Embed, stem, words

ORDINALS = frozenset("first second third fourth fifth sixth seventh eighth ninth tenth".split())
NEGATIONS = frozenset("""not no never none nobody nothing neither nor cannot can't don't doesn't didn't
    isn't wasn't aren't weren't won't hasn't haven't hadn't ni nunca jamás ningún ninguna
    pas jamais aucun aucune non nessun nessuna""".split())
DENIALS = frozenset("""deny denies denied denying false falsely fake untrue baseless unfounded hoax
    rejected rejects refuted refutes dismissed dismisses debunked misleading lie lies
    niega negó niegan desmiente desmintió falso falsa falsos bulo
    dément démenti dément nie nié faux fausse infondé
    nega smentisce smentito falso falsa infondata bufala""".split())


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
    return negated, denied, set()


PLACE_WORDS = frozenset({"there", "here"})   # "80 died there": a part, not the whole
SCOPE = 3             # a negation governs the first content word within this many words
_CLAUSES = re.compile(r"[;:]|,\s|\s[-–—]\s|\b(?:but|while|whereas|although|though|however|and said|"
                      r"and says|and that|where|when|which|who)\b", re.IGNORECASE)


@dataclass
class _Clause:
    text: str
    terms: set[str]          # content words, stemmed (figures left out)
    negated: set[str]        # the words a negation governs
    denied: set[str] | None  # what a denial covers, or None


def _clauses(text: str) -> list[_Clause]:
    out = []
    for part in _CLAUSES.split(text):
        tokens = words(part)
        content, negated, denied, pending = set(), set(), None, SCOPE + 1
        for i, token in enumerate(tokens):
            if token in NEGATIONS or token.endswith("n't"):
                pending = 0
                continue
            if token in DENIALS and denied is None:
                denied = {stem(t) for t in tokens[i + 1:] if t not in ALL_STOPWORDS and not t.isdigit()
                          and t not in DENIALS and len(t) > 1}
                continue
            pending += 1
            if (token in ALL_STOPWORDS and token not in PLACE_WORDS) or len(token) < 2 or token.isdigit() \
                    or token in UNITS:
                continue
            term = stem(token)
            content.add(term)
            if pending <= SCOPE:   # "no specific or credible threat": all three
                negated.add(term)
        if content:
            out.append(_Clause(part, content, negated, denied))
    return out


def _same_proposition(a: set[str], b: set[str], least: int = 2) -> bool:
    """Two clauses state the same proposition: they share at least ``least`` content words
    and differ in at most one, or one says all the other says and more; never when one
    is narrowed to a place ("at least 80 people died there" is not "at least 130 people
    have died")."""
    shared, differ = a & b, a ^ b
    if len(shared) < least or differ & PLACE_WORDS:
        return False
    return len(differ) <= 1 or (len(shared) >= 3 and (a <= b or b <= a))


def _figures(clause: _Clause) -> list:
    """Cardinal figures of a clause, with what they count (no dates, years or ordinals)."""
    return [q for q in quantities(clause.text) if not q.is_date and q.head
            and q.text.lower() not in ORDINALS]


def _numbers_differ(mine: list[_Clause], theirs: list[_Clause]) -> str | None:
    """Different figures for the same thing counted, in clauses that state the same fact."""
    for ca in mine:
        for cb in theirs:
            if not _same_proposition(ca.terms, cb.terms):
                continue
            fa, fb = _figures(ca), _figures(cb)
            for a in fa:
                for b in fb:
                    if a.dim != b.dim or stem(a.head) != stem(b.head):
                        continue
                    if any(same_value(a, x, 0.02) for x in fb) or any(same_value(b, y, 0.02) for y in fa):
                        continue   # the same figure is there too: the other is a second fact
                    return f"numbers differ: {a.text} {a.head} vs {b.text} {b.head}"
    return None


def contradiction(claim: str, other: str) -> str | None:
    """A short reason when ``other`` contradicts ``claim``: the same fact, disagreeing."""
    mine, theirs = _clauses(claim), _clauses(other)
    differ = _numbers_differ(mine, theirs)
    if differ:
        return differ
    for a in mine:
        for b in theirs:
            if b.denied is not None and a.denied is None and not a.negated \
                    and len(b.denied & a.terms) >= max(2, 0.5 * len(b.denied)):
                return "denial"     # what is denied is (most of) what the claim states
            if a.denied is None and b.denied is None and _same_proposition(a.terms, b.terms, least=3):
                # a negation counts only on a word the other clause states plainly
                if (a.negated - b.negated) & b.terms or (b.negated - a.negated) & a.terms:
                    return "negation mismatch"
    return None
