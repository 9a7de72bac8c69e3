"""extract_article and decode_html on fixture pages, plus an F1 floor on the evaluation corpus."""

import gzip
import json
import logging
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from newsdesk.ingest.encoding import decode_html, sniff_meta_charset
from newsdesk.ingest.extract import Extracted, extract_article
from newsdesk.ingest.signals import link_runs, missing_lead

PAGES = Path(__file__).resolve().parent / "fixtures" / "pages"
SHARED = Path(__file__).resolve().parents[2] / "shared"
EVAL = SHARED / "eval" / "trafilatura-eval"
URL = "https://ledger.example/news/2024/03/harbour-flood-wall?utm_source=feed"


def page(name: str) -> bytes:
    return (PAGES / name).read_bytes()


@pytest.fixture(scope="module")
def article() -> Extracted:
    result = extract_article(page("news_article.html"), url=URL)
    assert result is not None
    return result


def test_news_page_text_is_the_article_only(article):
    paragraphs = article.text.split("\n\n")
    assert article.title == "Harbour town votes to rebuild its flood wall"
    assert paragraphs[0].startswith("Councillors in the harbour town of Westmere voted on Tuesday")
    assert paragraphs[-1].endswith("will be held next month.")
    assert len(paragraphs) == 5    # the <h1> inside <article> is the title, shown apart
    assert article.title not in article.text and not article.html.startswith("<h2>")
    for boilerplate in ("Home", "Sport", "Share on Facebook", "Tweet", "Related Articles",
                        "Storm damage bill", "Comments", "No comments yet", "newsletter", "cookies",
                        "All rights reserved", "By Maria Jensen", "window.tracker", "font-family"):
        assert boilerplate not in article.text, boilerplate


def test_glued_sentence_is_repaired_in_text(article):
    assert "closed their businesses for weeks. A new survey" in article.text


def test_news_page_metadata(article):
    assert article.title == "Harbour town votes to rebuild its flood wall"
    assert article.authors == ["Maria Jensen"]
    assert article.date == datetime(2024, 3, 5, 14, 22, tzinfo=timezone(timedelta(hours=1)))
    assert article.language == "en"
    assert article.lead_image == "https://ledger.example/media/flood-wall.jpg"
    assert article.canonical_url == "https://ledger.example/news/2024/03/harbour-flood-wall"
    assert article.description == "Councillors approved a new sea defence after two winters of flooding."
    assert article.sitename == "The Coastal Ledger"


def test_news_page_html_is_sanitized_content(article):
    html = article.html
    assert html.startswith("<p>Councillors")   # the headline is the title, shown apart
    assert html.count("<p>") == 5
    for forbidden in ("<script", "javascript:", "onerror", "<nav", "<form", "Related Articles",
                      "No comments yet", "style="):
        assert forbidden not in html, forbidden


def test_windows_1251_page_without_declared_charset():
    result = extract_article(page("cp1251_undeclared.html"))
    assert result is not None
    assert result.title == "Новый мост через реку откроют весной"
    assert "Строительство нового моста через реку в центре города почти закончено" in result.text
    assert "\ufffd" not in result.text


def test_latin1_page_without_declared_charset():
    result = extract_article(page("latin1_undeclared.html"))
    assert result is not None
    assert result.title == "Le marché de Noël ouvre ses portes"
    assert "installés sur la place de l'église" in result.text
    assert "Ã" not in result.text


def test_str_input_gives_the_same_result_as_bytes():
    from_bytes = extract_article(page("news_article.html"), url=URL)
    from_str = extract_article(page("news_article.html").decode("utf-8"), url=URL)
    assert from_str == from_bytes


@pytest.mark.parametrize("html", [page("empty_body.html"), b"", "", "   \n", b"\x00\x00"])
def test_empty_pages_have_no_article(html):
    assert extract_article(html) is None


def test_page_without_article_text():
    assert extract_article(page("no_article.html"), url="https://portal.example/login") is None


def test_naive_dates_are_read_as_utc():
    html = ("<html><head><meta property='article:published_time' content='2023-11-02T08:30:00'></head>"
            "<body><article><p>" + "A sentence of the article body that goes on for a while. " * 5
            + "</p></article></body></html>")
    result = extract_article(html)
    assert result is not None
    assert result.date == datetime(2023, 11, 2, 8, 30, tzinfo=timezone.utc)


# ----------------------------------------------------------------------- page signals
LEAD = "The council approved the sea defence after two winters of flooding in the old harbour."
BODY = "A sentence of the article body that goes on for a while. " * 6


def _page(description, body_html):
    from lxml import html as lxml_html
    return lxml_html.fromstring(f'<html><head><meta name="description" content="{description}">'
                                f"<script>var d = '{description}';</script></head>"
                                f"<body>{body_html}</body></html>")


def test_lead_shown_in_the_page_but_missed_by_extraction_is_returned():
    tree = _page(LEAD, f"<div class='standfirst'>{LEAD}</div><article><p>{BODY}</p></article>")
    assert missing_lead(tree, LEAD, BODY) == LEAD
    assert missing_lead(tree, LEAD[:60] + "...", BODY) == LEAD[:60].strip()  # cut descriptions
    assert missing_lead(tree, LEAD, LEAD + " " + BODY) is None  # already extracted


def test_description_not_shown_in_the_body_is_not_a_lead():
    tree = _page(LEAD, f"<article><p>{BODY}</p></article>")  # only in <head> and a script
    assert missing_lead(tree, LEAD, BODY) is None
    assert missing_lead(_page("Short label", "<p>Short label</p>"), "Short label", BODY) is None


def test_extracted_text_gains_the_lead_after_the_heading():
    html = (f'<html><head><title>Flood wall rebuilt | The Ledger</title>'
            f'<meta name="description" content="{LEAD}"></head><body>'
            f"<header><p class='teaser'>{LEAD}</p></header><article><h1>Flood wall rebuilt</h1>"
            "<h2>The vote</h2>" + "".join(f"<p>{BODY}{n}</p>" for n in range(4)) + "</article></body></html>")
    result = extract_article(html)
    assert result is not None
    assert result.text.split("\n\n")[:2] == ["The vote", LEAD]  # trafilatura alone drops it
    assert result.html.startswith(f"<h2>The vote</h2><p>{LEAD}</p>")
    assert result.text.count(LEAD) == 1 and result.html.count(LEAD) == 1


@pytest.mark.parametrize("title, heading, dropped", [
    ("Flood wall rebuilt", "Flood wall rebuilt", True),
    ("Flood wall rebuilt | The Ledger", "Flood wall rebuilt", True),      # site name apart
    ("The Ledger - Flood wall rebuilt", "Flood Wall Rebuilt!", True),     # case, punctuation
    ("Flood wall rebuilt", "Flood wall rebuilt after two winters of floods", False),
    ("Flood wall rebuilt | Ledger", "Ledger", False),            # a one-word part is no headline
    ("Budget", "Flood wall rebuilt", False),
])
def test_a_first_paragraph_repeating_the_headline_is_dropped(title, heading, dropped):
    html = (f'<html><head><meta property="og:title" content="{title}"></head>'
            f"<body><article><h1>{heading}</h1>"
            + "".join(f"<p>{BODY}{n}</p>" for n in range(3)) + "</article></body></html>")
    result = extract_article(html)
    first = result.text.split("\n\n")[0]
    assert (first != heading) == dropped
    assert result.text.startswith(BODY.strip()) == dropped
    assert result.html.startswith("<p>") == dropped


def test_runs_of_linked_blocks_are_teasers_but_a_single_link_is_kept():
    tree = _page("", "<a href='/a'>Storm damage bill rises again</a><a href='/b'>Ferry returns</a>"
                     "<a href='/c'>Read the full council report</a>")
    texts = ["Long paragraph " * 20, "Read the full council report", "More text " * 30,
             "Storm damage bill rises again", "Ferry returns", "Not a link"]
    assert link_runs(tree, texts) == {3, 4}
    assert link_runs(tree, ["Storm damage bill rises again", "Long paragraph " * 20]) == set()


# ----------------------------------------------------------------------- decoding
def test_decode_prefers_a_bom():
    assert decode_html("\ufeffZürich".encode("utf-8"), "iso-8859-1") == "Zürich"
    assert decode_html("Zürich".encode("utf-16"), None) == "Zürich"


def test_decode_uses_a_declared_charset_that_fits():
    assert decode_html("Привет, мир".encode("koi8-r"), "koi8-r") == "Привет, мир"


def test_decode_ignores_a_latin1_label_on_utf8_bytes():
    assert decode_html("Grüße aus Köln".encode("utf-8"), "ISO-8859-1") == "Grüße aus Köln"


def test_decode_falls_back_when_the_declared_charset_is_wrong():
    body = "<p>Grüße</p>".encode("cp1252")
    assert decode_html(body, "utf-8") == "<p>Grüße</p>"


def test_decode_reads_meta_charset():
    body = '<html><head><meta charset="windows-1251"></head><body>Мост</body></html>'.encode("cp1251")
    assert sniff_meta_charset(body) == "windows-1251"
    assert "Мост" in decode_html(body)
    http_equiv = b'<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-2">'
    assert sniff_meta_charset(http_equiv) == "iso-8859-2"


def test_decode_unknown_labels_do_not_crash():
    assert decode_html(b"plain ascii", "no-such-charset") == "plain ascii"


# ----------------------------------------------------------------------- quality floor
# Deterministic subset: every third document of evaldata.json, 330 documents.
# Measured on this subset (trafilatura 2.3.1): P 0.936 R 0.962 F1 0.949 (bare trafilatura
# scores F1 0.926 on the whole corpus). Floor = measured - 0.01.
F1_FLOOR = 0.939


def _normalize(text):
    return re.sub(r"\s+", " ", text or "").strip()


@pytest.mark.slow
def test_f1_floor_on_eval_subset():
    if not (EVAL / "evaldata.json").exists():
        pytest.skip(f"evaluation corpus not found at {EVAL} (../shared is absent)")
    logging.disable(logging.CRITICAL)
    try:
        items = list(json.loads((EVAL / "evaldata.json").read_text(encoding="utf-8")).items())[::3]
        tp = fp = fn = 0
        for url, item in items:
            raw = gzip.decompress((EVAL / "html" / (item["file"] + ".gz")).read_bytes())
            result = extract_article(raw, url=url)
            found = _normalize(result.text if result else "")
            hits = sum(1 for s in item["with"] if found and _normalize(s) in found)
            tp, fn = tp + hits, fn + len(item["with"]) - hits
            fp += sum(1 for s in item["without"] if found and _normalize(s) in found)
    finally:
        logging.disable(logging.NOTSET)
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    f1 = 2 * precision * recall / (precision + recall)
    assert f1 >= F1_FLOOR, f"F1 {f1:.4f} (P {precision:.4f} R {recall:.4f}) below the floor {F1_FLOOR}"


def test_a_headline_glued_to_the_first_paragraph_is_cut_but_a_lede_repeating_it_is_kept():
    """Extraction sometimes merges the <h1>, the date line and the lede into one block
    (7 of the 484 demo pages): the title is cut from its front. A lede that starts with
    the headline's words is one text of the page, and stays whole."""
    after = "".join(f"<p>{BODY}{n}</p>" for n in range(3))
    head = "<html><head><meta property='og:title' content='Earthquake hits northern Japan'></head>"
    glued = extract_article(f"{head}<body><article><h1>Earthquake hits northern Japan</h1>"
                            "<span>10 March 2022, 14:20</span> <span>Officials said trains "
                            "stopped across the region after the first shock.</span>"
                            f"{after}</article></body></html>")
    assert glued.text.startswith("10 March 2022, 14:20 Officials said trains stopped")
    lede = ("Earthquake hits northern Japan in the early morning, officials said, and trains "
            "stopped across the region.")
    kept = extract_article(f"{head}<body><article><p>{lede}</p>{after}</article></body></html>")
    assert kept.text.startswith(lede)
