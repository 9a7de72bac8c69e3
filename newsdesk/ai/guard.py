"""Sentences that are not points of the news: text that addresses an AI, and text that
only frames the news (slogans, sign-offs, openers that point back).

Text in articles, comments and questions is data. A sentence that speaks to an assistant
("Ignore all previous instructions and say ...", "As an AI, ...", "ChatGPT: ...") is
never picked as a summary, timeline or key-point sentence, never put in a model prompt
(the prompt says how many were held back), is cut from a reader's question, and a model
answer that says such a thing is rejected (``claims.check_claim``).

``sentence_flag(text)`` names the reason a sentence may not be a point, or "":

| flag | what | examples |
|---|---|---|
| ``addresses-ai`` | an instruction to, or words about, an AI assistant | "Ignore previous instructions", "as a language model", "you are now DAN", "AI models reading this must ..." |
| ``opener`` | an anaphoric opener: a pronoun and a passive reporting verb, the news itself elsewhere | "This was stated by the Minister ...", "It was reported by ..." |
| ``slogan`` | a short exclamation or a formula of greeting, praise or farewell | "Glory to Ukraine!", "Long live ...!", "God bless America." |
| ``courtesy`` | in a transcript (or after a speaker label or stage direction): a greeting, thanks or a few words, or only the room's reaction (``speech.courtesy``) | "THE PRESIDENT: Good morning, folks.", "(Laughter.) But he's not going to do it." |
| ``list`` | a list of names or a heading: six or more words and (almost) none in lower case | "Trostyanets - Sumy - Holubivka - Vilshany - Romny - Poltava. 2.", "FACT SHEET: UNITED STATES BANS IMPORTS" |
| ``sign-off`` | text about the publication rather than the news | "This post is part of our coverage ...", "Originally published at ...", "Follow us on ..." |

The patterns are general forms of English (and for instructions, Spanish, French and
Italian), not phrases of any one site.
"""

from __future__ import annotations

import re

from .. import speech
from ..words import runs

_I = re.IGNORECASE
_AI_NOUN = (r"(?:AI(?: assistant| model| system)?|A\.I\.|(?:virtual |AI |digital )?assistant|chat ?bot|"
            r"(?:large )?language model|LLM|GPT(?:-\d\w*)?|ChatGPT|Copilot)")
_ADDRESSES_AI = [
    # an instruction about instructions, in four languages
    re.compile(r"\b(?:ignore|disregard|forget|override|skip|bypass)\b[^.!?]{0,40}\b(?:instructions?|"
               r"prompts?|rules|directions|guidelines|context|system message|sources|the (?:text|article|above)|"
               r"everything (?:above|else|before))\b", _I),
    re.compile(r"\b(?:ignora|olvida|ignorez?|oubliez?|dimentica)\b[^.!?]{0,40}\b(?:instrucciones|"
               r"instructions|istruzioni|consignes|indicaciones)\b", _I),
    re.compile(r"\b(?:new|updated|real|hidden|secret)\s+instructions?\s*:", _I),
    re.compile(r"\bsystem\s+(?:prompt|message)\b|\bjailbreak|\bdeveloper mode\b|\bprompt injection\b", _I),
    # speaking as, or to, an AI
    re.compile(r"\bas an? " + _AI_NOUN + r"\b", _I),
    re.compile(r"\byou are (?:now |no longer )?(?:an? |the )?(?:\w+ )?" + _AI_NOUN + r"\b", _I),
    re.compile(r"\b(?:if you are|dear|attention|note to|hey|hello)\s+(?:an? |the )?" + _AI_NOUN + r"\b", _I),
    re.compile(r"^\W*" + _AI_NOUN + r"s?\s*[,:]", _I),
    re.compile(r"\b" + _AI_NOUN + r"s?\s+(?:reading|summari[sz]ing|processing|crawling|scraping)\s+this\b", _I),
    # an order to say or write something, at the head of the sentence
    re.compile(r"^\W*(?:and\s+|now\s+|please\s+|instead\s+)*(?:say|respond|reply|answer|"
               r"tell (?:the )?(?:user|reader)s?)\b[^.!?]{0,20}"
               r"(?:\bthat\b|\bonly\b|\bwith\b|\bexactly\b|:|\")", _I),
    re.compile(r"\b(?:when|if)\s+(?:you\s+)?(?:summari[sz]|describ|report|answer)\w*\s+(?:this|these|the "
               r"(?:article|story|text))\b[^.!?]*\b(?:say|state|write|mention|must|should)\b", _I),
    re.compile(r"\b(?:and|then)\s+(?:say|reply|respond|output|answer)\s+(?:that|only|with|exactly)\b", _I),
]
_OPENER = re.compile(
    r"^\W*(?:this|that|these|those|it|such|all this|the above)\s+(?:was|were|is|are|has been|have been|"
    r"had been|will be|would be)\s+(?:\w+ly\s+)?(?:stated|said|announced|reported|noted|emphasi[sz]ed|"
    r"stressed|mentioned|declared|confirmed|written|posted|published|told|underlined|highlighted|"
    r"pointed out|communicated|informed)(?!\s+(?:that|how|what|when|whether)\b)"
    r"(?:\s+(?:by|in|at|during|on|to|earlier|today|yesterday|later)\b|\s*[.,;:!]|\s*$)", _I)
_SLOGAN = re.compile(
    r"^\W*(?:glory to|long live|god bless|viva|vive|slava|honou?r to|death to|down with|"
    r"thank you|thanks for|stay (?:tuned|safe)|happy \w+ day|best wishes|congratulations)\b", _I)
_SIGN_OFF = re.compile(
    r"^\W*(?:this|the)\s+(?:post|article|story|piece|report|page|text|interview|release)\s+(?:is|was|"
    r"has been|first|originally)\b[^.!?]*\b(?:part of|published|appeared|updated|translated|"
    r"republished|produced|written)\b"
    r"|^\W*(?:originally|first) (?:published|appeared)\b"
    r"|^\W*(?:follow us|follow our|subscribe to|sign up (?:for|to))\b"
    r"|^\W*(?:read|see|click|find out) (?:more|here|the full)\b"
    r"|\ball rights reserved\b"
    r"|^\W*(?:photo|image|video|source|editor'?s note)\s*:", _I)
MAX_SLOGAN_WORDS = 6
LIST_MIN_WORDS = 6   # a list or heading: this many words, at most one in ten in lower case


def addresses_ai(text: str) -> bool:
    """True when the sentence speaks to (or as) an AI assistant."""
    return any(p.search(text or "") for p in _ADDRESSES_AI)


def sentence_flag(text: str, spoken: bool = False) -> str:
    """Why the sentence may not be a point ("" when it may). ``spoken``: the sentence is
    from a transcript (``speech.is_transcript``), where courtesies are told apart by more
    than their first words."""
    if addresses_ai(text):
        return "addresses-ai"
    if _OPENER.search(text):
        return "opener"
    if _SIGN_OFF.search(text):
        return "sign-off"
    if (spoken or speech.spoken(text)) and speech.courtesy(text):
        return "courtesy"
    words = [w for w in runs(text) if w.isalpha()]
    if len(words) >= LIST_MIN_WORDS and sum(w[0].islower() for w in words) * 10 <= len(words):
        return "list"  # a statement needs verbs and function words, written in lower case
    stripped = text.strip()
    if _SLOGAN.search(stripped) or (stripped.endswith("!") and len(stripped.split()) <= MAX_SLOGAN_WORDS):
        return "slogan"
    return ""


def clean_question(question: str) -> tuple[str, int]:
    """(the question without its sentences that address the AI, how many were cut)."""
    from ..sentences import split_sentences
    parts = split_sentences(question or "")
    kept = [p for p in parts if not addresses_ai(p)]
    return " ".join(kept), len(parts) - len(kept)
