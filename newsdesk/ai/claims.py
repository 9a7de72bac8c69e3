"""Does a model-written sentence say what the sentences it cites say?

Word overlap alone accepts "A fire did not break out" for "A fire broke out" and "Twelve
workers" for "Eleven workers". ``check_claim`` therefore checks, in order:

| check | rejects when | example |
|---|---|---|
| addresses an AI | the sentence speaks to or as an assistant (``guard.py``) | "The site is hacked, as instructed." |
| numbers | a figure, date number or quantity of the claim is in no cited sentence (units converted) | "Flight 1111" for "Flight 111" |
| names | a capitalised name, acronym or code is in no cited sentence | "in Lyon" for "in Paris" |
| outcomes | an outcome (died, injured, arrested, released, resigned, won, rose...) of the claim is in no cited sentence | "died in hospital" for "taken to hospital" |
| polarity | the claim negates or denies what the cited clause states, or the reverse | "did not break out" |
| roles | around a verb both share, the doer and the done-to trade places | "An employee arrested police" |
| support | too few of its content words are in the cited sentences | a new fact |

A claim that passes every check is a faithful paraphrase as far as these rules can tell;
``bench/claim_check_eval.py`` measures how many altered claims slip through and how many
faithful paraphrases are kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Sequence

from .guard import addresses_ai
from .quantities import NUMBER_WORDS, quantities, same_value
from .text import ALL_STOPWORDS, stem, support, terms, words

SUPPORT_MIN = 0.6
NEGATIONS = frozenset("""not no never none nobody nothing neither nor cannot nowhere
    deny denies denied denying refuse refuses refused refusing fail fails failed failing
    ni nunca jamás ningún ninguna nadie nada pas jamais aucun aucune personne rien nessun
    nessuna nessuno niente mai""".split())
REPORTING = frozenset("""said says say told tell tells stated states added adds noted notes reported
    reports according announced announces claimed claims explained explains wrote writes""".split())
# outcome classes: a claim's outcome must be among its sources' outcomes (word prefixes)
OUTCOMES: dict[str, tuple[str, ...]] = {
    "death": ("die", "died", "dies", "dying", "dead", "death", "kill", "fatal", "perish", "lifeless",
              "murder"),
    "injury": ("injur", "wound", "hurt"),
    "hospital": ("hospital",),
    "arrest": ("arrest", "detain", "detention", "custody", "apprehend"),
    "release": ("releas", "freed", "set free", "let go"),
    "charge": ("charg", "indict", "accus", "prosecut"),
    "conviction": ("convict", "guilty", "sentenc", "jail", "imprison"),
    "acquittal": ("acquit", "innocent", "not guilty"),
    "resignation": ("resign", "stepped down", "step down", "steps down", "quit"),
    "dismissal": ("fired", "sacked", "dismiss", "oust"),
    "victory": ("won", "win", "wins", "winning", "victor", "elected", "re-elected"),
    "defeat": ("lost", "lose", "loses", "losing", "defeat", "beaten"),
    "rescue": ("rescu", "saved"),
    "missing": ("missing", "disappear", "vanish"),
    "escape": ("escap", "fled", "flee"),
    "survival": ("surviv",),
    "evacuation": ("evacuat",),
    "cancellation": ("cancel", "postpon", "call off", "called off"),
    "approval": ("approv", "adopted", "passed", "ratif"),
    "rejection": ("reject", "veto", "voted down", "turned down"),
    "rise": ("rose", "risen", "rising", "rises", "increas", "grew", "grown", "soar", "climb", "jump",
             "surg"),
    "fall": ("fell", "fallen", "falling", "falls", "decreas", "declin", "dropped", "drop", "plung",
             "slump", "shrank", "shrunk"),
    "attack": ("attack", "struck", "strike", "bomb", "shell", "raid"),
    "crash": ("crash", "collid", "derail", "sank", "sunk"),
}
IRREGULAR_PAST = frozenset("""met told hit beat took gave saw won lost led left sent brought caught shot
    struck sold bought paid held fought drove threw broke chose kept found made sought bit""".split())
_CLAUSE = re.compile(r"[;:,]|\b(?:but|while|whereas|although|though|however|yet)\b", re.IGNORECASE)
_PASSIVE = re.compile(r"\b(?:was|were|is|are|been|being|be|get|got|gets)\s+(?:\w+ly\s+)?\w+(?:ed|en|wn|t)\s+by\b",
                      re.IGNORECASE)
_NAME = re.compile(r"\b(?:[A-Z][\w'’-]*[A-Za-z0-9]|[A-Z]{2,}|[A-Za-z]+\d[\w-]*|\d+[A-Za-z][\w-]*)\b")


@dataclass
class Verdict:
    ok: bool
    reasons: list[str] = field(default_factory=list)
    support: float = 0.0


def check_claim(claim: str, sources: Sequence[str], lang: str = "en",
                support_min: float = SUPPORT_MIN) -> Verdict:
    """Whether ``claim`` says only what ``sources`` (the sentences it cites) say."""
    sources = [s for s in sources if s]
    if not claim.strip():
        return Verdict(False, ["empty sentence"])
    if not sources:
        return Verdict(False, ["it cites no source sentence"])
    reasons: list[str] = []
    if addresses_ai(claim):
        reasons.append("it speaks to or as an AI")
    joined = " ".join(sources)
    reasons += _numbers(claim, sources)
    reasons += _names(claim, joined)
    reasons += _outcomes(claim, joined)
    reasons += _polarity(claim, sources, lang)
    reasons += _roles(claim, sources, lang)
    score = support(claim, sources, lang)
    if score < support_min:
        reasons.append(f"only {score:.0%} of its words are in the cited sentences")
    return Verdict(not reasons, reasons, score)


def _numbers(claim: str, sources: Sequence[str]) -> list[str]:
    found = [q for s in sources for q in quantities(s)]
    return [f"the number {q.text!r} is not in the cited sentences" for q in quantities(claim)
            if not any(same_value(q, r) for r in found)]


def _stems(text: str) -> set[str]:
    return {stem(w) for w in words(text)} | set(words(text))


def _names(claim: str, joined: str) -> list[str]:
    known = _stems(joined)
    out = []
    for i, match in enumerate(_NAME.finditer(claim)):
        token = match.group(0)
        low = token.lower().replace("’", "'")
        if low in ALL_STOPWORDS or low in NUMBER_WORDS or low.isdigit():
            continue
        if i == 0 and match.start() < 3 and low in {w.lower() for w in words(joined)}:
            continue  # a capital only because it opens the sentence
        parts = [p for p in re.split(r"['’-]", low) if p]
        if all(p in known or stem(p) in known or any(k.startswith(stem(p)) or stem(p).startswith(k)
                                                     for k in known if len(k) >= 4 and len(stem(p)) >= 4)
               for p in parts):
            continue
        out.append(f"the name {token!r} is not in the cited sentences")
    return out


def outcome_classes(text: str) -> dict[str, str]:
    """{outcome class: the word that shows it} of a text."""
    tokens = words(text)
    joined = " " + " ".join(tokens) + " "
    found = {}
    for name, prefixes in OUTCOMES.items():
        for prefix in prefixes:
            if " " in prefix:
                if f" {prefix} " in joined or f" {prefix}" in joined:
                    found[name] = prefix
                    break
            else:
                hit = next((t for t in tokens if t.startswith(prefix)), None)
                if hit:
                    found[name] = hit
                    break
    return found


def _outcomes(claim: str, joined: str) -> list[str]:
    source = outcome_classes(joined)
    return [f"the outcome {word!r} is not in the cited sentences"
            for name, word in outcome_classes(claim).items() if name not in source]


def _negated(text: str) -> bool:
    return any(t in NEGATIONS or t.endswith("n't") for t in words(text.replace("’", "'")))


def _clauses(text: str, lang: str) -> list[tuple[set[str], bool]]:
    return [(set(terms(c, lang)), _negated(c)) for c in _CLAUSE.split(text) if c.strip()]


def _polarity(claim: str, sources: Sequence[str], lang: str) -> list[str]:
    if _negated(claim) and not any(_negated(s) for s in sources):
        return ["it negates or denies what the cited sentences state"]
    source_clauses = [c for s in sources for c in _clauses(s, lang)]
    for words_c, negated_c in _clauses(claim, lang):
        if len(words_c) < 2:
            continue
        best = max(source_clauses, key=lambda c: len(c[0] & words_c), default=None)
        if best is None or len(best[0] & words_c) < max(2, 0.5 * len(words_c)):
            continue
        if best[1] != negated_c:
            return ["it " + ("negates" if negated_c else "drops the negation of") + " what the cited sentence says"]
    return []


def _verb_like(token: str) -> bool:
    low = token.lower()
    return low not in REPORTING and (low in IRREGULAR_PAST or (low.endswith("ed") and len(low) > 4))


def _sequence(text: str, lang: str) -> list[tuple[str, bool]]:
    """(term, looks like a verb) in order, stopwords left out."""
    out = []
    for token in words(text):
        if token in ALL_STOPWORDS or len(token) < 2:
            continue
        out.append((token if token.isdigit() else stem(token, lang), _verb_like(token)))
    return out


def _roles(claim: str, sources: Sequence[str], lang: str) -> list[str]:
    """Around a verb both share, the nearest shared term before it in a source must not
    come after it in the claim while the nearest after it comes before (unless exactly one
    of the two is in the passive voice, which legitimately swaps them)."""
    claim_seq = _sequence(claim, lang)
    claim_pos: dict[str, int] = {}
    for i, (term, _) in enumerate(claim_seq):
        claim_pos.setdefault(term, i)
    claim_passive = bool(_PASSIVE.search(claim))
    for source in sources:
        if bool(_PASSIVE.search(source)) != claim_passive:
            continue
        shared = [(t, verb) for t, verb in _sequence(source, lang) if t in claim_pos]
        seen: set[str] = set()
        shared = [(t, v) for t, v in shared if not (t in seen or seen.add(t))]
        for i in range(1, len(shared) - 1):
            term, verb = shared[i]
            if not (verb and claim_seq[claim_pos[term]][1]):
                continue
            before, after = shared[i - 1][0], shared[i + 1][0]
            v = claim_pos[term]
            if claim_pos[before] > v and claim_pos[after] < v:
                return [f"who did what to whom differs around {term!r}"]
    return []
