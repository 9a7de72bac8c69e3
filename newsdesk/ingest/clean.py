"""Plain-text cleaning after extraction: whitespace, glued sentences, boilerplate paragraphs.

Each line of the input is one paragraph (that is how extractors emit block elements);
the output separates paragraphs with a blank line. Rules are conservative and judge whole
short paragraphs only (at most 300 characters), never cutting inside one:

- labels that are the entire paragraph: "Comments", "Related Articles", "Share on Facebook",
  "Advertisement", "Facebook Twitter Email", "12 Comments"...;
- short paragraphs that are plainly not article text: "Read also: <headline>" teasers,
  "Photo: ..."/"© ..." credits and captions carrying a credit, calls to action
  ("subscribe now", "our newsletter", "click here", affiliate disclosures), copyright and
  cookie notices;
- everything after a "Comments"/"Related Articles" heading once the article has begun.

Phrases cover English, German, French, Spanish, Italian, Polish and Russian.

Why these rules are general (they are judged on the tuning part of the extraction corpus,
``bench/extraction_eval.py``, and quoted on the other part): each phrase is a label or a
pitch that many sites print in the same words (the interface vocabulary of CMSs, share
widgets, comment systems and paywalls), never a phrase seen on one site only; beyond
phrases, rules use position (what follows a "Comments" heading, ``cut_tail``; short lines
that end no sentence after the last sentence, ``drop_unfinished_end``) and form (credits,
counts, rows of share buttons). Link density, which needs the page, is judged in
``signals.py`` (rows of the page's link and button labels).
"""

from __future__ import annotations

import re
import unicodedata

from ..words import runs

# characters that are invisible or act as spaces in scraped text
_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_SPACES = re.compile(r"[ \t\f\v\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")
# the same, but leaves single plain spaces alone (most of them: faster to scan)
_ODD_SPACES = re.compile(r"[ \t\f\v\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]{2,}|[\t\f\v\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]")
_NEWLINES = re.compile(r"\r\n?|[\u2028\u2029]")
_LINE_EDGES = re.compile(r" ?\n ?")
_BLANK_LINES = re.compile(r"\n{3,}")

# phrases that are boilerplate when they are the whole paragraph (compared lower-cased,
# without trailing punctuation); English, German, French, Spanish, Italian, Polish, Russian
_PHRASES = """
comments|comment|no comments|no comments yet|leave a comment|leave a reply|post a comment|
add a comment|add comment|write a comment|show comments|view comments|join the discussion|
kommentare|kommentar|kommentieren|kommentar schreiben|keine kommentare|schreibe einen kommentar|
commentaires|commentaire|laisser un commentaire|comentarios|deja un comentario|commenti|
komentarze|komentarz|dodaj komentarz|комментарии|
related|related articles|related stories|related posts|related content|related news|
more stories|more news|more on this story|more from|read more|read next|read also|see also|
you may also like|you might also like|recommended|recommended for you|most read|most popular|
trending|top stories|latest news|
weitere artikel|weitere nachrichten|mehr zum thema|weiterlesen|mehr lesen|lesen sie auch|
lesen sie mehr|auch interessant|das könnte sie auch interessieren|ähnliche artikel|
verwandte artikel|meistgelesen|
à lire aussi|lire aussi|lire la suite|voir aussi|leer más|lee también|leggi anche|
czytaj więcej|czytaj także|zobacz też|читайте также|
share|share this|share this article|share this story|share this post|share article|
share on facebook|share on twitter|share on x|share on linkedin|share on whatsapp|
share via email|tweet|email|e-mail|print|print this page|copy link|
teilen|artikel teilen|beitrag teilen|diesen artikel teilen|auf facebook teilen|
auf twitter teilen|per e-mail teilen|drucken|seite drucken|link kopieren|
partager|partager sur facebook|compartir|condividi|udostępnij|поделиться|
sign up for our newsletter|subscribe to our newsletter|sign up to our newsletter|
subscribe|subscribe now|newsletter|newsletter abonnieren|jetzt abonnieren|
zum newsletter anmelden|abonnez-vous|s'abonner|suscríbete|
advertisement|advertising|sponsored|sponsored content|ad|anzeige|werbung|publicité|
publicidad|pubblicità|reklama|реклама|
hashtags|tags|schlagwörter|schlagworte|stichworte|temas|themen|notas relacionadas|contenido relacionado|
back to top|nach oben|zurück|zurück nach oben|skip to content|zum inhalt springen|
listen to this article|artikel anhören|show image|view image|enlarge image|
bild anzeigen|bild vergrößern|zum vergrößern klicken|weitere themen|mehr themen|empfohlene beiträge|
schon gelesen|das könnte dich auch interessieren|top-themen|beliebte artikel|

""".replace("\n", "")
_BOILERPLATE = frozenset(p.strip() for p in _PHRASES.split("|") if p.strip())

_SOCIAL = r"(facebook|twitter|x|linkedin|whatsapp|pinterest|reddit|telegram|xing|tumblr|" \
          r"email|e-mail|mail|print|drucken|messenger|flipboard|threads|bluesky|mastodon)"
_BOILERPLATE_RE = [
    # a row of share buttons: "Facebook Twitter Email", "Facebook | WhatsApp"
    re.compile(rf"^{_SOCIAL}([\s|/·•,]+{_SOCIAL})*$"),
    # counts: "12 comments", "3 Kommentare", "Comments (4)"
    re.compile(r"^(\d+\s+(comments?|kommentare?|commentaires?|comentarios?|commenti|komentarz[ey]?)"
               r"|(comments?|kommentare)\s*\(\d+\))$"),
    # "Sign up for our daily newsletter", "Subscribe to the ... newsletter"
    re.compile(r"^(sign up|subscribe|register)( now)? (for|to) (our|the) [\w\s-]{0,30}newsletters?$"),
]
# "Read also: <headline>" teaser links and "Photo: <credit>" lines, up to a short length
_TEASER = re.compile(
    r"^(read (also|more|next)|see also|related|more on this|lesen sie (auch|mehr|hier)|auch lesen|"
    r"lesetipp|mehr zum thema|weiterlesen|siehe auch|das könnte sie auch interessieren|"
    r"(à )?lire aussi|voir aussi|lea también|lee también|le puede interesar|mira|mire|"
    r"leggi anche|czytaj (też|także|więcej)|dowiedz się więcej|zobacz (też|także)|"
    r"lea( más| también)?|vea también|ver también|puedes ver|zum weiterlesen|weitere beiträge[\w ]{0,30}|"
    r"читайте также)\s*[:»>]", re.I)
_CREDIT = re.compile(
    r"^(©|\(c\)|copyright\b|(foto|fotos|bild|bilder|titelbild|beitragsbild|titelfoto|quelle|"
    r"photo|photos|image|picture|credit|credits|source|crédits? photos?|fuente|źródło)\s*:|fot\.\s)", re.I)
# calls to action: newsletter and subscription pitches, paywall notices, "click here",
# affiliate/advertising disclosures, "click to load this embedded content"
# (searched in the lower-cased paragraph: literal alternatives keep this fast)
_CALL_TO_ACTION = re.compile(
    # newsletter and subscription pitches (imperative or "our newsletter", not news about them)
    r"\b(our|unseren?|unserem|notre|nuestr[ao]|my|meinen?) [\w-]{0,20} ?newsletter|"
    r"newsletter (abonnieren|anmelden|bestellen)|sign(ing)? up (to|for) (our|the) [\w ]{0,20}newsletter|"
    r"(^|[.!?] )subscribe\b|please subscribe|subscribe (now|today|here)|already a subscriber|"
    r"abonnieren sie|jetzt abonnieren|abonnieren$|abonnez-vous|suscr[ií]b(ete|ase|irse aquí)|"
    r"sign up (here|now|today|for free|to get)|free sign up|"
    r"for the full story|(read|view) the full story|become a (member|supporter)|"
    # "click here", affiliate and advertising disclosures
    r"click here|hier klicken|klicken sie hier|cliquez ici|haga clic aquí|click to load|"
    r"affiliate[- ]?link|our advertisers|enthält werbung|"
    # copyright and comment-form notices
    r"all rights reserved|alle rechte vorbehalten|tous droits réservés|todos los derechos reservados|"
    r"must be logged in")
_CALL_TO_ACTION_START = re.compile(
    r"\W*(anzeige|werbung)\s*[:.,|–-]|"  # "Anzeige:", "*Werbung."
    r"(\d+\s*(min|minutes?|minuten)\.?\s*(read|lesezeit|de lecture)|(lesezeit|reading time)\b.{0,20})$")
# two-part pitches, tried only when both guard words are present (cheap substring tests)
_CALL_TO_ACTION_PAIRS = (
    (("inhalt", "laden"), re.compile(r"\b(um|to) (den|the) inhalt\b.{0,60}\bladen\b")),
    (("download", "app"), re.compile(r"\bdownload\b.{0,40}\bapps?\b")),
)
_FOLLOW_WORDS = ("follow", "folge", "síguenos", "suivez")
_FOLLOW = re.compile(
    r"\b(follow|folgen sie|folge|síguenos|suivez)\b.{0,60}\b(twitter|facebook|instagram|telegram|youtube)\b")
# a photo caption carrying its credit: "Marco Odermatt. © AFP", "... (Foto: Reuters)."
_CAPTION_CREDIT = re.compile(r"©|\((foto|photo|credit|bild|fot\.|source|quelle|crédit)s?\b", re.I)
_TEASER_MAX, _CREDIT_MAX, _CALL_TO_ACTION_MAX, _CAPTION_MAX = 200, 120, 250, 200
# cookie/consent notices: short and clearly about cookies
_COOKIE = re.compile(r"\bcookies?\b", re.I)
_COOKIE_CONTEXT = re.compile(
    r"\b(we use|this (web)?site uses|uses cookies|accept|consent|agree|privacy|datenschutz|"
    r"verwendet|nutzt|akzeptier|zustimm|einverstanden|utilise|acept)", re.I)
# Markup left in the text as text: an escaped HTML comment ("<!-- -->", which React pages
# put between adjacent strings) or a lone tag. No article sentence is made of tags alone,
# in any language, so the form is enough.
_MARKUP_ONLY = re.compile(r"^(?:<!--.*?-->|</?[a-zA-Z][\w:-]*(?:\s[^<>]*)?/?>|\s)+$")
# agency signatures at the end of a news item: "(dpa)", "aja/PAP", "AFP/Reuters"
_AGENCY = re.compile(r"^\(?[\w.]{2,8}(\s?/\s?[\w.]{2,8})*\)?$")
# headings after which only comments or teasers of other articles follow
_TAIL_MARKERS = frozenset("""comments|no comments|no comments yet|leave a comment|leave a reply|
join the discussion|related articles|related stories|related posts|related content|more stories|
you may also like|you might also like|recommended for you|kommentare|keine kommentare|
schreibe einen kommentar|weitere artikel|das könnte sie auch interessieren|ähnliche artikel|
verwandte artikel|weitere themen|mehr themen|empfohlene beiträge|das könnte dich auch interessieren|
schon gelesen|notas relacionadas|contenido relacionado|commentaires|laisser un commentaire|à lire aussi|comentarios|commenti|
komentarze|комментарии""".replace("\n", "").split("|"))
_TAIL_MIN_CHARS = 400
_END_MAX_LINES, _END_MAX_CHARS = 3, 80
_SENTENCE_END = tuple(".!?…\"'”’»)]。！？")
_STRUCTURE = ("|", "- ", "• ", "* ", "· ")  # table rows and list items as extractors write them
_TRAILING = " \t.:;!?…·|-–—»>›\"'"

# "restrictions.A follow-up": sentence end glued to the next sentence by extraction
# 'reads, in part:"The Russian': a colon glued to the quotation (or sentence) it introduces
_GLUED = re.compile(r"(?<=[a-zß-ÿ]{2}[.!?])(?=[A-ZÀ-Þ](?:[a-zß-ÿ'’]|$))"
                    r"|(?<=[a-zß-ÿ]{2}:)(?=[\"“„«]?[A-ZÀ-Þ][a-zß-ÿ'’])")
_GLUED_HINT = re.compile(r"[a-zß-ÿ](?:[.!?]|:[\"“„«]?)[A-ZÀ-Þ]")
_URLISH = re.compile(r"[/@\\]|www\.|\.(com|org|net|de|js|py|io)\b", re.I)


def clean_text(text: str) -> str:
    """Normalise whitespace, repair glued sentences, drop boilerplate and repeated paragraphs."""
    return clean_lines(normalize_whitespace(text).split("\n"))


def clean_lines(lines: list[str], known_good: set[str] | frozenset[str] = frozenset()) -> str:
    """``clean_text`` on whitespace-normalised lines; lines in ``known_good`` were already
    judged to be content and skip the boilerplate check."""
    paragraphs: list[str] = []
    for line in cut_tail(lines):
        if not line or (line not in known_good and is_boilerplate(line)):
            continue
        line = repair_glued_sentences(line)
        if paragraphs and paragraphs[-1] == line:
            continue
        paragraphs.append(line)
    return "\n\n".join(drop_unfinished_end(paragraphs))


def drop_unfinished_end(paragraphs: list[str]) -> list[str]:
    """Drop up to ``_END_MAX_LINES`` short paragraphs at the very end that do not end a
    sentence ("Try Our AI Features", "Explore what X can do for you:"), once the text has
    ``_TAIL_MIN_CHARS`` before them. General because of position and form, not wording: an
    article ends on a finished sentence, and what follows its last sentence without one is
    a heading or a label of the page around it, in any language."""
    end = len(paragraphs)
    while (end > 0 and len(paragraphs) - end < _END_MAX_LINES and _unfinished(paragraphs[end - 1])
           and sum(map(len, paragraphs[:end - 1])) >= _TAIL_MIN_CHARS):
        end -= 1
    return paragraphs[:end]


def _unfinished(paragraph: str) -> bool:
    """Short and ending no sentence; table rows and list items are content of their own
    form (a recipe's last ingredient, a league table's last row), never labels."""
    return (len(paragraph) <= _END_MAX_CHARS and not paragraph.rstrip().endswith(_SENTENCE_END)
            and not paragraph.startswith(_STRUCTURE))


def normalize_whitespace(text: str) -> str:
    """NFC, no zero-width characters, single spaces, stripped lines, at most one blank line."""
    text = text or ""
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    text = _ODD_SPACES.sub(" ", _ZERO_WIDTH.sub("", text))
    text = _NEWLINES.sub("\n", text)
    return _BLANK_LINES.sub("\n\n", _LINE_EDGES.sub("\n", text)).strip()


def cut_tail(lines: list[str]) -> list[str]:
    """Drop everything from a "Comments"/"Related Articles" heading on, once the article
    body has started (at least ``_TAIL_MIN_CHARS`` characters of text before it)."""
    seen = 0
    for index, line in enumerate(lines):
        if seen >= _TAIL_MIN_CHARS and _key(line) in _TAIL_MARKERS:
            return lines[:index]
        seen += len(line)
    return lines


def _key(paragraph: str) -> str:
    return _SPACES.sub(" ", paragraph.lower()).strip(_TRAILING)


def is_boilerplate(paragraph: str) -> bool:
    """True when the whole paragraph is a navigation/share/comment/ad/cookie label."""
    stripped = paragraph.strip()
    if not stripped or len(stripped) > 300:
        return False
    if _MARKUP_ONLY.match(stripped):
        return True
    key = _key(stripped)
    if len(key) <= 80:
        if key in _BOILERPLATE or any(rx.match(key) for rx in _BOILERPLATE_RE):
            return True
        # "Share: Facebook Twitter", "Kommentare: 3"
        head, sep, tail = key.partition(":")
        if sep and head.strip() in _BOILERPLATE and (not tail.strip() or _BOILERPLATE_RE[0].match(tail.strip())
                                                    or tail.strip().isdigit()):
            return True
    if len(stripped) <= _TEASER_MAX and _TEASER.match(stripped):
        return True
    if len(stripped) <= (300 if stripped.startswith("©") else _CREDIT_MAX) and _CREDIT.match(stripped):
        return True
    if len(stripped) <= _CALL_TO_ACTION_MAX and _is_call_to_action(stripped.lower()):
        return True
    if len(stripped) <= _CAPTION_MAX and _CAPTION_CREDIT.search(stripped):
        return True
    return bool(_COOKIE.search(stripped) and _COOKIE_CONTEXT.search(stripped))


def _is_call_to_action(lowered: str) -> bool:
    if _CALL_TO_ACTION.search(lowered) or _CALL_TO_ACTION_START.match(lowered):
        return True
    for (first, second), pattern in _CALL_TO_ACTION_PAIRS:
        if first in lowered and second in lowered and pattern.search(lowered):
            return True
    return any(word in lowered for word in _FOLLOW_WORDS) and bool(_FOLLOW.search(lowered))


def repair_glued_sentences(paragraph: str) -> str:
    """Insert the missing space in "word.Next" and 'said:"The' while leaving URLs, domains,
    times and "U.S.A." alone."""
    if not _GLUED_HINT.search(paragraph):
        return paragraph
    tokens = paragraph.split(" ")
    return " ".join(tok if _URLISH.search(tok) else _GLUED.sub(" ", tok) for tok in tokens)


# edge residue: date lines, bylines, "Posted in", "Updated:"... at the start or end of a text
_MONTHS = (r"jan|feb|mär|mar|apr|ma[iy]|jun|jul|aug|sep|o[ck]t|nov|de[cz]|januar|februar|märz|"
           r"janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre|"
           r"enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|noviembre|diciembre|"
           r"stycznia|lutego|marca|kwietnia|maja|czerwca|lipca|sierpnia|września|października|"
           r"listopada|grudnia|[a-zäöüé]+(ber|uary|ruar|ril|ust|une|uly|arch|embre)")
_DATE = re.compile(
    rf"\b(\d{{4}}-\d{{1,2}}-\d{{1,2}}|\d{{1,2}}[./]\d{{1,2}}[./]\d{{2,4}}|"
    rf"\d{{1,2}}\.?\s*({_MONTHS})[a-zäöüéèûśźż]*\.?\s*(\d{{4}})?|({_MONTHS})[a-zäöüéèûśźż]*\.?\s+\d{{1,2}}(st|nd|rd|th)?,?\s*(\d{{4}})?)"
    rf"(,?\s*(um|at|à|a las|o)?\s*\d{{1,2}}[:.h]\d{{2}}(\s*(uhr|am|pm|h))?)?", re.I)
_META_PREFIX = re.compile(
    r"^(by|von|par|por|autor|author|posted|published|updated|veröffentlicht|aktualisiert|"
    r"erstellt|geschrieben|letzte änderung|zuletzt|stand|last modified|publié|mis à jour|"
    r"publicado|actualizado|kategorie|category|categories|filed under|tags|schlagwörter|"
    r"themen|topics|rubrik)\b", re.I)
_EDGE_MAX_CHARS, _EDGE_MAX_LINES = 100, 4
# a time of day alone on its line: "7:27 P.M. EST", "14:00 CET", "10:05 a.m. ET"
_INITIALS_END = re.compile(r"\b(?:[A-Z]\.){2,}$")
_TIME_LINE = re.compile(r"^\d{1,2}[:.]\d{2}\s*([ap]\.?\s?m\.?)?\s*([A-Z]{2,5})?$", re.I)


def is_edge_residue(line: str) -> bool:
    """A short line that is metadata (date, byline, category) rather than article text."""
    line = line.strip(" |·•-–—")
    if not line:
        return True
    if len(line) > _EDGE_MAX_CHARS or line.endswith(("?", "!")):
        return False
    if len(line) <= 20 and "/" in line and _AGENCY.match(line):
        return True
    rest = _DATE.sub(" ", line)
    if rest != line and len(runs(rest)) <= 3:
        return True
    if _META_PREFIX.match(line) and len(runs(line)) <= 8 and not line.endswith("."):
        return True
    return False


def trim_edges(lines: list[str]) -> list[str]:
    """Drop residue lines (see ``is_edge_residue``) at the start and end of a text, and a
    dateline block at the start (``_dateline_end``)."""
    first = start = _dateline_end(lines)
    end = len(lines)
    while start < min(end, first + _EDGE_MAX_LINES) and (not lines[start].strip() or is_edge_residue(lines[start])):
        start += 1
    floor = max(start, end - _EDGE_MAX_LINES)
    while end > floor and (not lines[end - 1].strip() or is_edge_residue(lines[end - 1])):
        end -= 1
    return lines[start:end]


def _dateline_end(lines: list[str]) -> int:
    """Where the text starts after a transcript's dateline: a few short lines (a venue, a
    city) ending with the time of day, as remarks and briefings open ("Washington Hilton /
    Washington, D.C. / 7:27 P.M. EST"); 0 when the text has none. A paragraph of text
    before the time line means it is no dateline."""
    shown = [(i, line.strip()) for i, line in enumerate(lines[:2 * _EDGE_MAX_LINES]) if line.strip()]
    for n, (i, line) in enumerate(shown[:_EDGE_MAX_LINES]):
        if _TIME_LINE.match(line):
            return i + 1
        if len(runs(line)) > 6 or len(line) > 60 or line.endswith((":", "?", "!")) or (
                line.endswith(".") and not _INITIALS_END.search(line)):   # a sentence, not "D.C."
            return 0
    return 0
