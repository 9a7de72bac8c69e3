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

from ..words import WORD
from .guard import addresses_ai
from .quantities import NUMBER_WORDS, quantities, same_value
from .text import ALL_STOPWORDS, stem, support, terms, words

SUPPORT_MIN = 0.6
NEGATIONS = frozenset("""not no never none nobody nothing neither nor cannot nowhere
    deny denies denied denying refuse refuses refused refusing fail fails failed failing
    ni nunca jamás ningún ninguna nadie nada pas jamais aucun aucune personne rien nessun
    nessuna nessuno niente mai""".split())
REPORTING = frozenset("""said says say stated states added adds noted notes reported reports according
    announced announces claimed claims explained explains wrote writes""".split())
# outcome classes: a claim's outcome must be among its sources' outcomes (word prefixes)
OUTCOMES: dict[str, tuple[str, ...]] = {
    "death": ("die", "died", "dies", "dying", "dead", "death", "kill", "fatal", "perish", "lifeless",
              "murder", "morgue", "drown"),
    "recovery": ("recover", "discharged", "healed"),
    "promotion": ("promot", "appointed", "named as"),
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
    """Each figure of the claim must be matched by its own figure of the sources ("eight or
    eight" does not match "seven or eight")."""
    found = [q for s in sources for q in quantities(s)]
    out = []
    for q in quantities(claim):
        match = next((r for r in found if same_value(q, r)), None)
        if match is None:
            out.append(f"the number {q.text!r} is not in the cited sentences")
        else:
            found.remove(match)
    return out


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


NEIGHBOURS = 3   # content words either side of an outcome word that say whose outcome it is


def outcome_words(text: str, lang: str = "en") -> list[tuple[str, str, set[str]]]:
    """(outcome class, word, the content terms around it) of each outcome word of a text.
    Adverbs ("increasingly") are not outcomes."""
    tokens = words(text)
    content = [(i, t if t.isdigit() else stem(t, lang)) for i, t in enumerate(tokens)
               if t not in ALL_STOPWORDS and len(t) > 1]
    found = []
    for name, prefixes in OUTCOMES.items():
        for i, token in enumerate(tokens):
            two = token + " " + (tokens[i + 1] if i + 1 < len(tokens) else "")
            if not any((two.startswith(p + " ") or two == p) if " " in p else
                       (token.startswith(p) and not token.endswith("ly")) for p in prefixes):
                continue
            at = next((k for k, (j, _) in enumerate(content) if j >= i), len(content))
            around = {t for j, t in content[max(0, at - NEIGHBOURS):at + NEIGHBOURS + 1] if j != i}
            found.append((name, token, around))
    return found


def _outcomes(claim: str, joined: str) -> list[str]:
    """Every outcome of the claim must be an outcome of the same class in the sources, said
    of the same people or things when the claim names any the sources also name."""
    source = outcome_words(joined)
    source_terms = set(terms(joined))
    out = []
    claimed = outcome_words(claim)
    for name in {n for n, _, _ in claimed}:   # "3 killed and 300 killed" for "3 killed and 300 injured"
        mine = [w for n, w, _ in claimed if n == name]
        if len(mine) > sum(1 for n, _, _ in source if n == name):
            out.append(f"the outcome {mine[-1]!r} is said more often than in the cited sentences")
    for name, word, around in claimed:
        same = [s_around for s_name, _, s_around in source if s_name == name]
        known = around & source_terms
        if not same or (known and not any(known & s_around for s_around in same)):
            out.append(f"the outcome {word!r} is not in the cited sentences"
                       + ("" if not same else " about the same people or things"))
    return out


def _negated(text: str) -> bool:
    return any(t in NEGATIONS or t.endswith("n't") for t in words(text.replace("’", "'")))


SCOPE = 3   # a negation governs the first content word within this many words after it


def _scopes(text: str, lang: str) -> list[tuple[str, bool]]:
    """(content term, negated) in order: negated when a negation stands at most ``SCOPE``
    words before it with no other content word between."""
    out, pending = [], SCOPE + 1
    for token in words(text.replace("’", "'")):
        if token in NEGATIONS or token.endswith("n't"):
            pending = 0
            continue
        pending += 1
        if token in ALL_STOPWORDS or len(token) < 2:
            continue
        out.append((token if token.isdigit() else stem(token, lang), pending <= SCOPE))
        pending = SCOPE + 1
    return out


def _polarity(claim: str, sources: Sequence[str], lang: str) -> list[str]:
    """The claim must keep every negation of the words it shares with its sources, and add
    none: "did not break out" vs "broke out", "never own" vs "own"."""
    if _negated(claim) and not any(_negated(s) for s in sources):
        return ["it negates or denies what the cited sentences state"]
    claimed = _scopes(claim, lang)
    claim_terms = {t for t, _ in claimed}
    negated_in_claim = {t for t, negated in claimed if negated}
    stated = [pair for s in sources for pair in _scopes(s, lang)]
    for term in claim_terms:   # every mention kept: the negated mentions must be kept too
        mine = [negated for t, negated in claimed if t == term]
        theirs = [negated for t, negated in stated if t == term]
        if len(mine) == len(theirs) and sum(mine) != sum(theirs):
            return [f"it {'drops' if sum(mine) < sum(theirs) else 'adds'} a negation of {term!r}"]
    negated_in_source = {t for t, negated in stated if negated}
    plain_in_source = {t for t, negated in stated if not negated}
    for term in negated_in_source & claim_terms:
        if term not in negated_in_claim and term not in plain_in_source:
            return [f"it drops the negation of {term!r} in the cited sentence"]
    for term in negated_in_claim:
        if term in plain_in_source and term not in negated_in_source:
            return [f"it negates {term!r}, which the cited sentence states"]
    return []


PRONOUNS = frozenset("i he she we they it".split())   # doers, though stopwords elsewhere


def _verb_like(token: str) -> bool:
    """A lower-case past form: "arrested", "met" (a capitalised "United" is a name)."""
    return token[:1].islower() and token not in REPORTING and (
        token in IRREGULAR_PAST or (token.endswith("ed") and len(token) > 4))


def _transitive_report(text: str, match: re.Match) -> bool:
    """A reporting verb used with an object ("the city added language"), not framing a
    quote ("..., he added." / "said:")."""
    before = text[:match.start()].rstrip()[-1:]
    after = text[match.end():].lstrip()[:1]
    return match.group(0).islower() and match.group(0).endswith("ed") and before not in ",\"'”“" \
        and after.isalnum()


def _sequence(text: str, lang: str) -> list[tuple[str, bool]]:
    """(term, looks like a verb) in order: content words and personal pronouns."""
    out = []
    for match in WORD.finditer(text or ""):
        token = match.group(0)
        low = token.lower()
        verb = _verb_like(token) or (low in REPORTING and _transitive_report(text, match))
        if low in PRONOUNS:
            out.append(("pron:" + ("they" if low in ("they", "we") else low), False))
        elif (low not in ALL_STOPWORDS and len(low) > 1) or verb:   # "told" too
            out.append((low if low.isdigit() else stem(low, lang), verb))
    return out


def _roles(claim: str, sources: Sequence[str], lang: str) -> list[str]:
    """Around a verb both share, the nearest shared term before it in a source (its doer)
    must stay before it in the claim (unless exactly one of the two is in the passive
    voice, which legitimately moves the doer behind). Words after the verb may move to the
    front ("In 1879, the exchange opened"); reporting verbs may invert ("..., he said")."""
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
        for i in range(1, len(shared)):
            term, verb = shared[i]
            if not (verb and claim_seq[claim_pos[term]][1]):
                continue
            before = shared[i - 1][0]
            if claim_pos[before] > claim_pos[term]:   # the doer moved behind the deed
                return [f"who did what to whom differs around {term!r}"]
    return []
