"""Names in running text: capitalised runs become names, persons fold to their surname.

A capitalised run ("South Dakota National Guard", "Vladimir Putin") counts as a name when
it is not just a sentence-initial capital: a lone word at the start of a sentence is kept
only if it is also written with a capital in the middle of some sentence. Runs break at
punctuation ("Frédéric Bernard, Head of Cabinet") and at job titles, which are dropped
("NATO Secretary General Jens Stoltenberg" -> "NATO", "Jens Stoltenberg").

A name is a **person** when its first word is a known given name (``data/given-names.txt``),
when it comes right after a title ("President Biden", "Mr Smith"), or when its last word is
also used alone ("Ilham Aliyev" ... "Aliyev"). A person is named by the surname ("Joseph R.
Biden Jr." -> "Biden"), unless two people in the text share it ("Joe Biden", "Jill Biden").

A surname keeps its particles ("Ursula von der Leyen", "von der Leyen" and a sentence-initial
"Von der Leyen" -> "von der Leyen"; "Charles de Gaulle" -> "de Gaulle"), unless the text
itself calls the person by the bare last word ("Ludwig van Beethoven" ... "Beethoven",
"Bashar al-Assad" ... "Assad"). A particle in front of a capitalised word counts as part of a
name only where it cannot be an ordinary word of another language ("la Policía", "du Gabon"):
after a given name or a title, as "von"/"van", "bin"/"ibn", written with a capital in the
middle of a sentence ("Le Monde", "Di Maio"), or when the text also writes it after a given
name.
"""

from __future__ import annotations

from dataclasses import dataclass

from .entities import (CONNECTORS, PARTICLES, Token, given_names, place_of, stopwords,
                       title_parts, word_list)

_MONTHS = {"january", "february", "march", "april", "june", "july", "august", "september",
           "october", "november", "december"}
_CLOCK = {"a.m", "p.m", "am", "pm"}
_PLACE_PREFIXES = {"north", "south", "east", "west", "northern", "southern", "eastern", "western",
                   "new", "upper", "lower", "central", "greater", "saint", "st", "san", "santa",
                   "fort", "port", "mount", "lake", "cape", "los", "las", "el"}
_GERMANIC = {"von", "van"}     # never an ordinary word in English text: "von der Leyen"
_PATRONYMIC = {"bin", "ibn"}   # "bin Salman"
_ARTICLE = ("al-", "el-")       # "al-Assad": one token


def _bare(word: str) -> str:
    """A family name without its Arabic article: "al-Assad" -> "Assad"."""
    return word[3:] if word[:3].casefold() in _ARTICLE and len(word) > 3 else word


def _particle_at(words: tuple[str, ...], k: int) -> bool:
    """Whether words[k] is a particle of the family name, not a given name ("Van Morrison")."""
    w = words[k]
    return w.casefold() in PARTICLES and (
        w[:1].islower() or w.casefold() not in given_names()
        or (k + 2 < len(words) and words[k + 1].casefold() in PARTICLES))


def surname(words: tuple[str, ...]) -> tuple[str, ...]:
    """The family name with its particles: ("Ursula", "von", "der", "Leyen") -> ("von", "der",
    "Leyen"); ("Joseph", "R", "Biden", "Jr") -> ("Biden",)."""
    core = _core(words)
    start = len(core) - 1
    while start > 0 and _particle_at(core, start - 1):
        start -= 1
    return core[start:]


def surname_tag(words: tuple[str, ...], singles: set[str]) -> str | None:
    """The slug among ``singles`` a full name's tag folds into: ("Vladimir", "Putin") ->
    "putin"; ("Charles", "De", "Gaulle") -> "degaulle" (or "gaulle"); None if neither."""
    core = _core(words)
    if not 2 <= len(core) <= 5 or core[0].casefold() not in given_names() \
            or not _personlike(words):
        return None
    start = len(core) - 1
    while start > 1 and core[start - 1].casefold() in PARTICLES:
        start -= 1
    for tail in (core[start:], (_bare(core[-1]),)):
        slug = "".join(tail).casefold()
        if slug in singles and len(tail) < len(core):
            return slug
    return None


@dataclass(frozen=True)
class Name:
    words: tuple[str, ...]     # surface words, titles dropped; a person's surname alone
    count: int
    first_sentence: int
    person: bool = False
    full: tuple[str, ...] = ()  # a person's longest full name seen ("Vladimir", "Putin")

    @property
    def key(self) -> str:
        return " ".join(w.casefold() for w in self.words)


def _connected(tokens: list[Token], i: int) -> int:
    """How many connectors from tokens[i] lead, in one sentence and without punctuation, to a
    capitalised word: 1 for "of" in "Bank of England", 2 for "von der" in "von der Leyen"."""
    j = i
    while j < len(tokens) and j - i < 3 and tokens[j].lower in CONNECTORS \
            and (j == i or (not tokens[j].gap and tokens[j].sentence == tokens[i].sentence)):
        j += 1
    if j == i or j >= len(tokens) or tokens[j].gap or tokens[j].sentence != tokens[i].sentence \
            or not tokens[j].capitalised or ("of" in {t.lower for t in tokens[i:j]} and j - i > 1):
        return 0
    return j - i


def _runs(tokens: list[Token]) -> list[list[Token]]:
    """Maximal runs of capitalised tokens in one sentence, allowing lower-case connectors
    between them and particles before them ("von der Leyen"); punctuation ends a run."""
    runs, current = [], []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        same = current and current[-1].sentence == tok.sentence and not tok.gap
        n = _connected(tokens, i) if tok.lower in CONNECTORS else 0
        if tok.capitalised and tok.lower not in _CLOCK:
            if not same:
                if current:
                    runs.append(current)
                current = []
            current.append(tok)
        elif n and (same or all(t.lower in PARTICLES for t in tokens[i:i + n])):
            if not same and current:
                runs.append(current)
            current = (current if same else []) + tokens[i:i + n]
            i += n
            continue
        else:
            if current:
                runs.append(current)
            current = []
        i += 1
    if current:
        runs.append(current)
    return runs


def _particle_surnames(runs: list[list[Token]]) -> set[str]:
    """Particle surnames the text writes after a given name: "charles de gaulle" -> "de gaulle"."""
    known = set()
    for run in runs:
        for k, tok in enumerate(run[:-2]):
            m = k + 1
            while m < len(run) and run[m].lower in PARTICLES:
                m += 1
            if tok.lower in given_names() and m > k + 1 and m < len(run) \
                    and run[m].lower not in PARTICLES:
                known.add(" ".join(t.lower for t in run[k + 1:m + 1]))
    return known


def _lead_particles(words: tuple[str, ...]) -> int:
    """How many words at the start are particles ("von", "der" of "von der Leyen")."""
    m = 0
    while m < len(words) and _particle_at(words, m):
        m += 1
    return m


def _keeps_particles(seg: list[Token], after_title: bool, known: set[str]) -> bool:
    """Whether a segment's leading particles belong to the name ("von der Leyen", "Le Monde")
    rather than to the sentence ("la Policía", "du Gabon")."""
    m = _lead_particles(tuple(t.text for t in seg))
    if m == 0 or m == len(seg):
        return False
    return (after_title or seg[0].lower in _GERMANIC | _PATRONYMIC
            or " ".join(t.lower for t in seg[:m + 1]) in known
            or (seg[0].text[:1].isupper() and not seg[0].first))


def _title_word(word: str) -> bool:
    """A title, or a hyphenated one: "President-Elect", "Ex-Minister", "Vice-Chancellor"."""
    return all(p in word_list("titles.txt") for p in title_parts(word))


def _segments(run: list[Token]) -> list[tuple[list[Token], bool]]:
    """Split a run at title words: (segment, comes right after a title)."""
    titled = [_title_word(t.lower) and t.text[:1].isupper() for t in run]
    for i in range(len(run) - 1, -1, -1):  # "National Security Advisor": all three
        nxt = run[i + 1].lower if i + 1 < len(run) else ""
        titled[i] = titled[i] or run[i].lower in word_list("titles-soft.txt") and (
            (i + 1 < len(run) and titled[i + 1]) or nxt in given_names() or nxt in CONNECTORS
            or (i > 0 and run[i - 1].lower in word_list("titles.txt")))
    out, current, after = [], [], False
    for tok, is_title_word in zip(run, titled):
        if is_title_word:
            if current:
                out.append((current, after))
            current, after = [], True
        else:
            current.append(tok)
    if current:
        out.append((current, after))
    return out


def _verbish(word: str) -> bool:
    """Looks like a participle or adverb ("Following", "Speaking", "Clearly")."""
    return len(word) > 5 and word.endswith(("ing", "ed", "ly"))


def _core(words: tuple[str, ...]) -> tuple[str, ...]:
    """A person's name without initials and suffixes: ("Joseph", "R", "Biden", "Jr") -> 2."""
    core = tuple(w for w in words if w.casefold() not in word_list("name-suffixes.txt")
                 and not (len(w) == 1 and w.isupper()))
    return core or words


def _personlike(words: tuple[str, ...]) -> bool:
    core = _core(words)
    family = surname(core)
    core = core[:len(core) - len(family)] + family[-1:]  # "Charles Gaulle" for "de Gaulle"
    heads = word_list("name-heads.txt")
    return (1 <= len(core) <= 3 and core[-1].casefold() not in heads
            and core[-1].casefold().removesuffix("s") not in heads
            and core[0].casefold() not in _PLACE_PREFIXES
            and not any(w.isupper() and len(w) > 1 or place_of(w) or not w.replace("-", "").isalpha()
                        or (w.casefold() in CONNECTORS and not (i == 0 and w[:1].isupper()
                                                                and w.casefold() in given_names()))
                        for i, w in enumerate(core)))


def _split_person(words: tuple[str, ...], alone: set[str]) -> int | None:
    """Index where a person's name starts inside a longer run ("Slovakia Eduard Heger")."""
    names = given_names()
    for i in range(len(words) - 1):
        if words[i].casefold() in names and _personlike(words[i:]) \
                and (i == 0 or words[i - 1].casefold() not in CONNECTORS):
            return i
    if len(words) >= 3 and words[-1].casefold() in alone and _personlike(words[-2:]) \
            and words[-3].casefold() not in CONNECTORS:
        return len(words) - 2
    return None


def _not_in_name(seg: list[Token], stop: frozenset[str], lower_seen: set[str],
                 capital_mid: set[str], known: set[str]) -> bool:
    """Whether a segment's first word is not part of the name: a stop word, "of", a
    particle, or a sentence-initial capital on an ordinary word (one the text writes in lower
    case; else, never capitalised mid-sentence, one that looks like a participle, or that
    is no given name and stands before a particle surname: "Meanwhile von der Leyen")."""
    tok = seg[0]
    if tok.lower in stop or tok.lower == "of" or _lead_particles(tuple(t.text for t in seg)):
        return True
    if not tok.first:
        return False
    if tok.lower in lower_seen:
        return True
    return tok.lower not in capital_mid and (
        _verbish(tok.lower)
        or (tok.lower not in given_names() and _keeps_particles(seg[1:], False, known)))


def find_names(tokens: list[Token]) -> list[Name]:
    """Named things in the text, most mentioned first, persons folded to surnames."""
    stop = stopwords()
    lower_seen = {t.lower for t in tokens if not t.capitalised}
    capital_mid = {_bare(t.text).casefold() for t in tokens if t.capitalised and not t.first}
    capital_mid |= {t.lower for t in tokens if t.capitalised and not t.first}
    # words, sentence, after a title, a family name with particles alone ("de Gaulle")
    pieces: list[tuple[tuple[str, ...], int, bool, bool]] = []
    runs = _runs(tokens)
    known = _particle_surnames(runs)
    for run in runs:
        for seg, after_title in _segments(run):
            while seg and not _keeps_particles(seg, after_title, known) \
                    and _not_in_name(seg, stop, lower_seen, capital_mid, known):
                seg, after_title = seg[1:], False
            if seg and _keeps_particles(seg, after_title, known):
                words = tuple(t.text for t in seg)
                family = len(surname(words)) == len(_core(words)) and (
                    after_title or words[0][:1].islower() or " ".join(words).casefold() in known)
                pieces.append((words, seg[0].sentence, after_title, family))
                continue
            while seg and (seg[-1].lower in CONNECTORS or seg[-1].lower in stop
                           or (len(seg) > 1 and seg[-1].lower in _MONTHS)):
                seg = seg[:-1]
            if not seg or (len(seg) == 1 and seg[0].first and seg[0].lower not in capital_mid):
                continue
            pieces.append((tuple(t.text for t in seg), seg[0].sentence, after_title, False))
    # names also used alone, never as ordinary lower-case words ("Aliyev", not "Allies")
    alone = {w[0].casefold() for w, _, _, _ in pieces if len(w) == 1} - lower_seen
    found: list[tuple[tuple[str, ...], int, bool]] = []
    for words, sentence, after_title, family in pieces:
        cut = _split_person(words, alone) if len(words) > 1 else None
        if cut and cut <= 5:
            found.append((words[:cut], sentence, False))
            words = words[cut:]
        of = next((i for i, w in enumerate(words) if w == "of"), 0)
        if of >= 2 and words[0].casefold() in given_names() and _personlike(words[:of]):
            found.append((words[of + 1:], sentence, False))  # "Olaf Scholz of Germany"
            words = words[:of]
        if len(words) > 5 or any(len(w) > 30 for w in words):
            continue  # headlines in Title Case and noise, not names
        core = _core(words)
        first, last = core[0].casefold(), core[-1].casefold()
        person = family or _personlike(words) and (  # "President Biden"; "Olaf Scholz"
            (after_title and len(core) == 1 and last not in lower_seen | _MONTHS)
            or (len(core) > 1 and (first in given_names() or (last in alone and first not in (
                lower_seen | word_list("name-heads.txt"))))))
        if person and len(core) == 2 and first in alone - given_names() - {last}:
            words = core[::-1]  # family name first, used alone: "Xi Jinping" ... "Xi"
        found.append((words, sentence, person))
    return fold_surnames(found)


def _same_person(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Two full names with one surname: the same person unless the given names differ
    ("Joe"/"Joseph R." agree on their first two letters, "Joe"/"Jill" do not)."""
    a, b = _core(a), _core(b)
    a, b = a[:len(a) - len(surname(a))], b[:len(b) - len(surname(b))]
    if not a or not b:
        return True
    return a[0][:2].casefold() == b[0][:2].casefold()


def _capitals(words: tuple[str, ...]) -> int:
    return sum(c.isupper() for w in words for c in w)


def _last(words: tuple[str, ...]) -> str:
    return _bare(_core(words)[-1]).casefold()


def fold_surnames(found: list[tuple[tuple[str, ...], int, bool]]) -> list[Name]:
    """Persons become their family name ("Vladimir Putin", "Putin" -> "Putin"; "Ursula von
    der Leyen", "von der Leyen" -> "von der Leyen"), or the bare last word where the text
    uses it alone ("Bashar al-Assad", "Assad" -> "Assad"), unless two people share it, then
    each keeps the full name; other names stay as they are."""
    people: dict[str, list[tuple[str, ...]]] = {}
    for words, _, person in found:
        if person:
            people.setdefault(_last(words), []).append(words)
    bare = {w[0].casefold() for w, _, _ in found if len(w) == 1}
    merged: dict[str, list] = {}  # key -> [words, count, first sentence, person, full]
    for words, sentence, person in found:
        last = _last(words)
        full = max(people.get(last, [words]), key=len)
        if last in people and (person or surname(words) == _core(words)):
            variants = people[last]
            if all(_same_person(v, variants[0]) for v in variants):
                family = surname(full)
                words, person = ((_bare(family[-1]),) if last in bare else family), True
            elif len(words) > 1:
                words, full = _core(words), _core(words)
        key = " ".join(w.casefold() for w in words)
        entry = merged.setdefault(key, [words, 0, sentence, person, full])
        if _capitals(words) < _capitals(entry[0]):
            entry[0] = words  # a dateline's "SAN FRANCISCO", then "San Francisco"
        entry[1] += 1
        entry[2] = min(entry[2], sentence)
        entry[3] = entry[3] or person
    names = [Name(w, c, s, p, f if p else ()) for w, c, s, p, f in merged.values()]
    return sorted(names, key=lambda n: (-n.count, n.first_sentence, n.key))
