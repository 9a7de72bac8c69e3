"""Spoken text: a transcript's speaker labels, stage directions and courtesies.

Transcripts of remarks, briefings and interviews open the way speeches open: a speaker
label ("THE PRESIDENT:", "MS. PSAKI:", "Q"), greetings and thanks ("Good morning, folks.
Sorry to keep you waiting."), the room's reactions ("(Applause.)", "(Laughter.)"). None of
it is the news, and a preview or a summary that starts there tells a reader nothing. The
forms below are general forms of spoken English (any speech, any outlet), not phrases of
one site:

- ``LABEL``: a paragraph that opens with a speaker named in capitals and a colon, or
  with "Q" (a reporter's question), perhaps after the time the remarks began ("2:29 P.M.
  EST THE VICE PRESIDENT:"), is a turn of a transcript;
- ``STAGE``: a parenthesised sentence of a few words, with no digits or capitals inside
  ("(Applause.)", "(Laughter.)", "(As interpreted.)"), or the room's usual reactions
  without a full stop ("(Laughs)", "(applause)"); a legal reference "(a)(1)", an acronym
  "(NATO)" or a wire credit "(Reuters)" is not one;
- ``courtesy``: a spoken sentence that greets, thanks, welcomes, apologises for the wait or
  asks the room to sit (``greets``: opening with such words, or "I want to thank"; in a
  speech also "thank you" anywhere in it), or says too little to be a statement (under ``MIN_WORDS`` distinct
  words of four letters or more: "Hello, hello, hello.", "I was on a couple of phone calls.").
"""

from __future__ import annotations

import re

from .sentences import split_sentences
from .words import runs

LABEL = re.compile(r"^(?:\d{1,2}:\d{2}\s*[AP]\.?M\.?\s+(?:[A-Z]{2,4}\s+)?)?"  # a time of day first
                   r"(?:(?:[A-Z][A-Z.'’\-]*\s+){0,4}[A-Z][A-Z.'’\-]*[A-Z.]\s*:|Q\s*:|Q\s+(?=[A-Z\"“]))\s*")
STAGE = re.compile(r"\((?:[A-Z][a-z]+|[a-z]{3,})(?:\s+[a-z]+){0,7}\.\)"
                   r"|\((?i:laughs|laughter|applause|cheers|inaudible|crosstalk)\)")
_COURTESY = re.compile(
    r"^\W*(?:(?:well|and|so|oh|okay|ok|all right|alright|look|now|folks|everybody|everyone)\W+)*"
    r"(?:thank(?:s(?! to\b))?|hello|hi(?!-)|hey|good (?:morning|afternoon|evening|night)|welcome|please|sorry|"
    r"excuse me|it'?s (?:great|good|nice|wonderful|an honou?r|a pleasure)|great to|nice to|good to|"
    r"(?:i'?m|we'?re|i am|we are) (?:so |very )?(?:glad|happy|delighted|honou?red|grateful|thrilled))\b"
    r"|\b(?:i|we)(?:'d| would)? (?:want|like|wish) to (?:say )?(?:thank|acknowledge|recognize|welcome|"
    r"congratulate|start by thanking)\b", re.IGNORECASE)
_THANKS = re.compile(r"\bthank (?:you|all)\b", re.IGNORECASE)  # anywhere, but only in a speech
MIN_WORDS = 4        # distinct words of 4+ letters for a spoken sentence to say something
MIN_WORDS_LATER = 8  # ... to be a preview from a later paragraph than the opening one


def is_turn(paragraph: str) -> bool:
    """True when the paragraph opens with a speaker label."""
    return bool(LABEL.match(paragraph or ""))


def is_transcript(text: str) -> bool:
    """True when the text reads as a transcript: two speaker turns, or one and a stage
    direction (a memorandum's single "SUBJECT:" line is not one)."""
    turns = sum(1 for line in (text or "").split("\n") if LABEL.match(line.strip()))
    return turns >= 2 or (turns == 1 and bool(STAGE.search(text or "")))


def spoken(sentence: str) -> bool:
    """True when the sentence carries a speaker label or a stage direction."""
    return bool(LABEL.match(sentence or "") or STAGE.search(sentence or ""))


def greets(sentence: str) -> bool:
    """True when the sentence (label and stage directions aside) greets or thanks."""
    return bool(_COURTESY.search(core(sentence)))


def core(sentence: str) -> str:
    """The sentence without its speaker label and stage directions."""
    return re.sub(r"\s{2,}", " ", STAGE.sub(" ", LABEL.sub("", (sentence or "").strip()))).strip()


def long_words(text: str) -> int:
    """Distinct words of four letters or more (``words.runs``; numbers aside)."""
    return len({w.casefold() for w in runs(text) if len(w) >= 4 and w.isalpha()})


def courtesy(sentence: str, min_words: int = MIN_WORDS) -> bool:
    """True when a spoken sentence greets, thanks or says too little to be a statement."""
    said = core(sentence)
    return not said or greets(said) or bool(_THANKS.search(said)) or long_words(said) < min_words


def after_courtesies(paragraph: str, min_words: int = MIN_WORDS) -> str:
    """The paragraph from its first sentence that is not a courtesy, with the speaker label
    and stage directions left out when one was skipped ("" when every sentence is one)."""
    said = split_sentences(LABEL.sub("", paragraph.strip()))
    for i, sentence in enumerate(said):
        if not courtesy(sentence, min_words):
            return core(" ".join(said[i:])) if i else paragraph.strip()
    return ""


def spoken_opening(paragraphs: list[str], start: int, lookahead: int = 3) -> str:
    """Where a transcript's substance starts, from its opening turn ``paragraphs[start]``:
    that turn after its courtesies, or, when the turn is all courtesies, one of the next
    ``lookahead`` paragraphs that opens with a full statement; "" when none does."""
    text = after_courtesies(paragraphs[start])
    if text:
        return text
    for paragraph in paragraphs[start + 1:start + 1 + lookahead]:
        text = after_courtesies(paragraph, MIN_WORDS_LATER)
        if text:
            return text
    return ""
