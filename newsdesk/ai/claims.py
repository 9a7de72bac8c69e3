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
from collections import Counter
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
        # a figure in a unit the sources also use must be one of theirs in that unit: a
        # conversion's rounding slack only helps a figure the sources give in another unit
        same_unit = [r for r in found if q.dim and r.dim == q.dim and r.factor == q.factor]
        match = next((r for r in same_unit or found if same_value(q, r)), None)
        if match is None:
            out.append(f"the number {q.text!r} is not in the cited sentences")
        else:
            found.remove(match)
    return out


def _stems(text: str) -> set[str]:
    return {stem(w) for w in words(text)} | set(words(text))


def _names(claim: str, joined: str) -> list[str]:
    """Each name of the claim must be a word of the sources; an inflected form ("Russia"
    for "Russian") only of one of the sources' own names: a common word sharing a prefix
    ("director") supports no name ("Directions")."""
    known = _stems(joined)
    named = {stem(w) for w in words(" ".join(_NAME.findall(joined)))} | set(words(" ".join(_NAME.findall(joined))))
    out = []
    for i, match in enumerate(_NAME.finditer(claim)):
        token = match.group(0)
        low = token.lower().replace("’", "'")
        if low in ALL_STOPWORDS or low in NUMBER_WORDS or low.isdigit():
            continue
        if i == 0 and match.start() < 3 and low in {w.lower() for w in words(joined)}:
            continue  # a capital only because it opens the sentence
        parts = [p for p in re.split(r"['’-]", low) if p and p != "s"]   # "Russia's"
        if all(p in known or stem(p) in known or any(k.startswith(stem(p)) or stem(p).startswith(k)
                                                     for k in named if len(k) >= 4 and len(stem(p)) >= 4)
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


_CONTRACTED = re.compile(r"\b(\w+)['’]t\b", re.IGNORECASE)   # "don't", "can't", "won't": no other "'t"
_CONTRACTED_STEMS = {"can": "can", "ca": "can", "won": "will", "wo": "will", "shan": "shall"}


def _spelled(match: re.Match) -> str:
    head = match.group(1)
    low = head.lower()
    if low in _CONTRACTED_STEMS:
        return _CONTRACTED_STEMS[low] + " not"
    return (head[:-1] if low.endswith("n") else head) + " not"


def _negation_words(text: str) -> list[str]:
    """``words`` with contracted negations spelled out ("don't" -> "do not", "can't" ->
    "can not"): ``words`` splits at apostrophes, which would hide them."""
    return words(_CONTRACTED.sub(_spelled, text))


def _negations(text: str) -> int:
    return sum(1 for t in _negation_words(text) if t in NEGATIONS)


def _negated(text: str) -> bool:
    return _negations(text) > 0


RESTATED = 0.9   # share of a source's content words a claim keeps to restate it whole
SCOPE = 3   # a negation governs the first content word within this many words after it
NEAR = 4    # ... and is near the content words at most this many words after it


def _scopes(text: str, lang: str) -> list[tuple[str, bool, bool]]:
    """(content term, negated, near a negation) in order: negated when a negation stands
    at most ``SCOPE`` words before it with no other content word between (or, with no
    content word after it, the one before it: "91 not out"); near when a negation stands
    within ``NEAR`` words before it, whatever lies between (a paraphrase that
    trades "about" for "around" moves the first content word, not the negation)."""
    tokens = _negation_words(text)
    marks = [i for i, t in enumerate(tokens) if t in NEGATIONS]
    out, pending = [], SCOPE + 1
    for i, token in enumerate(tokens):
        if token in NEGATIONS:
            pending = 0
            continue
        pending += 1
        if pending == SCOPE + 1 and out:   # "91 not out", "is not the same at all": the
            out[-1] = (out[-1][0], True, True)    # negation governs the word before it
        if token in ALL_STOPWORDS or len(token) < 2:
            continue
        near = any(0 < i - m <= NEAR for m in marks)
        out.append((token if token.isdigit() else stem(token, lang), pending <= SCOPE, near))
        pending = SCOPE + 1
    if pending <= SCOPE and out:            # a negation at the very end
        out[-1] = (out[-1][0], True, True)
    return out


def _polarity(claim: str, sources: Sequence[str], lang: str) -> list[str]:
    """The claim must keep every negation of the words it shares with its sources, and add
    none: "did not break out" vs "broke out", "never own" vs "own", "won't have not to"
    for "won't have to"."""
    if _negations(claim) > sum(_negations(s) for s in sources):
        return ["it negates or denies what the cited sentences state"]
    claim_words = set(terms(_CONTRACTED.sub(_spelled, claim), lang))
    for source in sources:   # a whole sentence restated with fewer negations drops one
        kept = set(terms(_CONTRACTED.sub(_spelled, source), lang)) - NEGATIONS
        if kept and len(kept & claim_words) >= RESTATED * len(kept) and _negations(claim) < _negations(source):
            return ["it drops a negation of the cited sentence"]
    claimed = _scopes(claim, lang)
    claim_terms = {t for t, _, _ in claimed}
    stated = [triple for s in sources for triple in _scopes(s, lang)]
    for term in claim_terms:   # every mention kept: the negated mentions must be kept too
        mine = [(negated, near) for t, negated, near in claimed if t == term]
        theirs = [(negated, near) for t, negated, near in stated if t == term]
        if len(mine) != len(theirs):
            continue
        if sum(near for _, near in mine) < sum(negated for negated, _ in theirs):
            return [f"it drops a negation of {term!r}"]
        if sum(negated for negated, _ in mine) > sum(near for _, near in theirs):
            return [f"it adds a negation of {term!r}"]
    near_claim = {t for t, _, near in claimed if near}
    negated_in_claim = {t for t, negated, _ in claimed if negated}
    negated_in_source = {t for t, negated, _ in stated if negated}
    near_source = {t for t, _, near in stated if near}
    plain_in_source = {t for t, negated, _ in stated if not negated}
    for term in negated_in_source & claim_terms:
        if term not in near_claim and term not in plain_in_source:
            return [f"it drops the negation of {term!r} in the cited sentence"]
    for term in negated_in_claim:
        if term in plain_in_source and term not in near_source:
            return [f"it negates {term!r}, which the cited sentence states"]
    return []


PRONOUNS = frozenset("i he she we they it".split())   # doers, though stopwords elsewhere


def _verb_like(token: str) -> bool:
    """A lower-case past form: "arrested", "met" (a capitalised "United" is a name)."""
    return token[:1].islower() and token not in REPORTING and (
        token in IRREGULAR_PAST or (token.endswith("ed") and len(token) > 4))


def _transitive_report(text: str, match: re.Match) -> bool:
    """A reporting verb used with an object ("the city added language", "the report
    "Jobs 2011" reported the number"), not framing a quote ("..., he added.", ""...,"
    reported Smith", "said:"): a quote frames only when it closes a clause (``,"`` ``."``)."""
    head = text[:match.start()].rstrip()
    quoted = head[-1:] in "\"'”“’"
    framing = head[-1:] == "," or (quoted and head.rstrip("\"'”“’ ")[-1:] in ",.!?;:")
    after = text[match.end():].lstrip()[:1]
    return match.group(0).islower() and match.group(0).endswith("ed") and not framing and after.isalnum()


def _initial(token: str) -> bool:
    """A capital letter standing alone ("K-V", "J. M."): part of a name, never a stopword."""
    return len(token) == 1 and token.isupper() and token not in ("A", "I")


def _sequence(text: str, lang: str) -> list[tuple[str, bool]]:
    """(term, looks like a verb) in order: content words and personal pronouns."""
    out = []
    for match in WORD.finditer(text or ""):
        token = match.group(0)
        low = token.lower()
        verb = _verb_like(token) or (low in REPORTING and _transitive_report(text, match))
        if low in PRONOUNS:
            out.append(("pron:" + ("they" if low in ("they", "we") else low), False))
        elif (low not in ALL_STOPWORDS and len(low) > 1) or verb or _initial(token):   # "told", "K-V" too
            out.append((low if low.isdigit() else stem(low, lang), verb))
    return out


def _roles(claim: str, sources: Sequence[str], lang: str) -> list[str]:
    """Around a verb both share (a verb in either sentence: a claim using "reported" with
    an object asserts who reported what), the shared terms just before it in a source (its
    doer) must stay before it in the claim, unless exactly one of the two is in the passive
    voice, which legitimately moves the doer behind. A term said more than once is matched
    occurrence by occurrence and says little about who ("the Suns' bench outpointed the
    Clippers' bench"), so the walk back goes on to the nearest term said once. Words after
    the verb may move to the front ("In 1879, the exchange opened"); reporting verbs that
    frame a quote may invert ("..., he said")."""
    claim_seq = _sequence(claim, lang)
    claim_at: dict[str, list[int]] = {}
    for i, (term, _) in enumerate(claim_seq):
        claim_at.setdefault(term, []).append(i)
    claim_passive = bool(_PASSIVE.search(claim))
    for source in sources:
        if bool(_PASSIVE.search(source)) != claim_passive:
            continue
        sequence = _sequence(source, lang)
        counts = Counter(t for t, _ in sequence)
        shared, nth = [], Counter()   # (term, verb, position in the claim) in source order
        for term, verb in sequence:
            k = nth[term]
            nth[term] += 1
            if k < len(claim_at.get(term, ())):
                shared.append((term, verb, claim_at[term][k]))
        for i in range(1, len(shared)):
            term, verb, at = shared[i]
            if not (verb or claim_seq[at][1]):
                continue
            for before, _, was in reversed(shared[:i]):
                if was > at:   # the doer moved behind the deed
                    return [f"who did what to whom differs around {term!r}"]
                if counts[before] == 1 and len(claim_at[before]) == 1:
                    break
    return []
