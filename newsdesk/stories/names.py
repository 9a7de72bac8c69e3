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
"""

from __future__ import annotations

from dataclasses import dataclass

from .entities import (_CONNECTORS, Token, given_names, place_of, stopwords, word_list)

_MONTHS = {"january", "february", "march", "april", "june", "july", "august", "september",
           "october", "november", "december"}
_CLOCK = {"a.m", "p.m", "am", "pm"}
_PLACE_PREFIXES = {"north", "south", "east", "west", "northern", "southern", "eastern", "western",
                   "new", "upper", "lower", "central", "greater", "saint", "st", "san", "santa",
                   "fort", "port", "mount", "lake", "cape", "los", "las", "el"}


def folds_to_surname(words: tuple[str, ...], singles: set[str]) -> bool:
    """Whether a full name ("Vladimir", "Putin") is the person tagged by its last word."""
    return (len(words) in (2, 3) and words[-1].casefold() in singles
            and words[0].casefold() in given_names() and _personlike(words))


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


def _runs(tokens: list[Token]) -> list[list[Token]]:
    """Maximal runs of capitalised tokens in one sentence, allowing lower-case connectors;
    punctuation ends a run."""
    runs, current = [], []
    for i, tok in enumerate(tokens):
        same = current and current[-1].sentence == tok.sentence and not tok.gap
        if tok.capitalised and tok.lower not in _CLOCK:
            if not same:
                if current:
                    runs.append(current)
                current = []
            current.append(tok)
        elif (tok.lower in _CONNECTORS and same and i + 1 < len(tokens)
              and tokens[i + 1].capitalised and tokens[i + 1].sentence == tok.sentence
              and not tokens[i + 1].gap):
            current.append(tok)
        else:
            if current:
                runs.append(current)
            current = []
    if current:
        runs.append(current)
    return runs


def _segments(run: list[Token]) -> list[tuple[list[Token], bool]]:
    """Split a run at title words: (segment, comes right after a title)."""
    titled = [t.lower in word_list("titles.txt") and t.text[:1].isupper() for t in run]
    for i in range(len(run) - 1, -1, -1):  # "National Security Advisor": all three
        nxt = run[i + 1].lower if i + 1 < len(run) else ""
        titled[i] = titled[i] or run[i].lower in word_list("titles-soft.txt") and (
            (i + 1 < len(run) and titled[i + 1]) or nxt in given_names() or nxt in _CONNECTORS
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
    heads = word_list("name-heads.txt")
    return (1 <= len(core) <= 3 and core[-1].casefold() not in heads
            and core[-1].casefold().removesuffix("s") not in heads
            and core[0].casefold() not in _PLACE_PREFIXES and not any(w.isupper() and len(w) > 1 or w.casefold() in _CONNECTORS
                        or place_of(w) or not w.replace("-", "").isalpha() for w in core))


def _split_person(words: tuple[str, ...], alone: set[str]) -> int | None:
    """Index where a person's name starts inside a longer run ("Slovakia Eduard Heger")."""
    names = given_names()
    for i in range(len(words) - 1):
        if words[i].casefold() in names and _personlike(words[i:]) \
                and (i == 0 or words[i - 1].casefold() not in _CONNECTORS):
            return i
    if len(words) >= 3 and words[-1].casefold() in alone and _personlike(words[-2:]) \
            and words[-3].casefold() not in _CONNECTORS:
        return len(words) - 2
    return None


def find_names(tokens: list[Token]) -> list[Name]:
    """Named things in the text, most mentioned first, persons folded to surnames."""
    stop = stopwords()
    lower_seen = {t.lower for t in tokens if not t.capitalised}
    capital_mid = {t.lower for t in tokens if t.capitalised and not t.first}
    pieces: list[tuple[tuple[str, ...], int, bool]] = []  # words, sentence, after a title
    for run in _runs(tokens):
        for seg, after_title in _segments(run):
            # drop sentence-initial capitals that are ordinary words, then stop words
            while seg and (seg[0].lower in stop or seg[0].lower in _CONNECTORS or (
                    seg[0].first and (seg[0].lower in lower_seen or (
                        seg[0].lower not in capital_mid and _verbish(seg[0].lower))))):
                seg, after_title = seg[1:], False
            while seg and (seg[-1].lower in _CONNECTORS or seg[-1].lower in stop
                           or (len(seg) > 1 and seg[-1].lower in _MONTHS)):
                seg = seg[:-1]
            if not seg or (len(seg) == 1 and seg[0].first and seg[0].lower not in capital_mid):
                continue
            pieces.append((tuple(t.text for t in seg), seg[0].sentence, after_title))
    # names also used alone, never as ordinary lower-case words ("Aliyev", not "Allies")
    alone = {w[0].casefold() for w, _, _ in pieces if len(w) == 1} - lower_seen
    found: list[tuple[tuple[str, ...], int, bool]] = []
    for words, sentence, after_title in pieces:
        cut = _split_person(words, alone) if len(words) > 1 else None
        if cut and cut <= 5:
            found.append((words[:cut], sentence, False))
            words = words[cut:]
        of = next((i for i, w in enumerate(words) if w in _CONNECTORS), 0)
        if of >= 2 and words[0].casefold() in given_names() and _personlike(words[:of]):
            found.append((words[of + 1:], sentence, False))  # "Olaf Scholz of Germany"
            words = words[:of]
        if len(words) > 5 or any(len(w) > 30 for w in words):
            continue  # headlines in Title Case and noise, not names
        core = _core(words)
        first, last = core[0].casefold(), core[-1].casefold()
        person = _personlike(words) and (  # "President Biden"; "Olaf Scholz"; "... Aliyev"
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
    if len(a) < 2 or len(b) < 2:
        return True
    return a[0][:2].casefold() == b[0][:2].casefold()


def fold_surnames(found: list[tuple[tuple[str, ...], int, bool]]) -> list[Name]:
    """Persons become their surname ("Vladimir Putin", "Putin" -> "Putin"), unless two
    people share it, then each keeps the full name; other names stay as they are."""
    people: dict[str, list[tuple[str, ...]]] = {}
    for words, _, person in found:
        if person:
            people.setdefault(_core(words)[-1].casefold(), []).append(words)
    merged: dict[str, list] = {}  # key -> [words, count, first sentence, person, full]
    for words, sentence, person in found:
        surname = _core(words)[-1].casefold()
        full = max(people.get(surname, [words]), key=len)
        if surname in people and (person or len(words) == 1):
            variants = people[surname]
            if all(_same_person(v, variants[0]) for v in variants):
                words, person = (_core(words)[-1],), True
            elif len(words) > 1:
                words, full = _core(words), _core(words)
        key = " ".join(w.casefold() for w in words)
        entry = merged.setdefault(key, [words, 0, sentence, person, full])
        entry[1] += 1
        entry[2] = min(entry[2], sentence)
        entry[3] = entry[3] or person
    names = [Name(w, c, s, p, f if p else ()) for w, c, s, p, f in merged.values()]
    return sorted(names, key=lambda n: (-n.count, n.first_sentence, n.key))
