"""clean_text: boilerplate paragraphs out, glued sentences repaired, whitespace normalised."""

from pathlib import Path

import pytest

from newsdesk.ingest.clean import (clean_text, drop_unfinished_end, is_boilerplate, is_edge_residue,
                                   trim_edges)

SEED_PAGE = Path(__file__).resolve().parents[2] / "shared" / "seed" / "article-page.txt"


def test_paragraphs_are_separated_by_a_blank_line():
    assert clean_text("First paragraph here.\nSecond one.\n\n\n\nThird.") == (
        "First paragraph here.\n\nSecond one.\n\nThird.")


def test_whitespace_is_normalised():
    text = "Prices\u00a0rose   by\t3%\u200b today.\r\nZero\u2060width\ufeff gone."
    assert clean_text(text) == "Prices rose by 3% today.\n\nZerowidth gone."


def test_glued_sentences_are_split():
    assert clean_text("limited by mutual restrictions.A follow-up meeting in Türkiye") == (
        "limited by mutual restrictions. A follow-up meeting in Türkiye")
    assert clean_text("It rained all day.Nobody came.Was it worth it?Yes.") == (
        "It rained all day. Nobody came. Was it worth it? Yes.")
    assert clean_text('The message reads, in part:"The Russian Federation and Korea.') == (
        'The message reads, in part: "The Russian Federation and Korea.')
    assert clean_text("He said:“We will rebuild.” Note:Nothing else.") == (
        "He said: “We will rebuild.” Note: Nothing else.")


@pytest.mark.parametrize("text", [
    "The U.S.A. and the E.U. signed it.",
    "See e.g. the annex, i.e. page 4.",
    "Inflation was 3.5 percent.",
    "Visit example.com or www.Example.org/News.Today for details.",
    "Written in Node.js and ASP.NET by Dr. Smith.",
    "Mail info@Example.Com or open https://example.com/Path.Html now.",
    "The talks began at 10:30 and see http://Example.org/A:B and mailto:Info@example.org.",
    'Ratio 3:1, "Quoted:" as written.',
])
def test_abbreviations_numbers_and_urls_are_left_alone(text):
    assert clean_text(text) == text


@pytest.mark.parametrize("line", [
    "Comments", "No comments yet...", "Related Articles", "Share on Facebook",
    "Read more", "Sign up for our newsletter", "Advertisement", "Anzeige", "Kommentare",
    "Facebook Twitter Email", "Share: Facebook | WhatsApp", "12 Comments", "Lesen Sie auch: Die Bahn streikt",
    "Foto: dpa", "© 2024 Example Media. All rights reserved.", "Bild anzeigen",
    "We use cookies to improve your experience. By continuing you accept our use of cookies.",
    "Subscribe now to our print edition for the full story.",
    "<!-- -->", "<!-- wp:paragraph --> <br/>", "</div>",
])
def test_boilerplate_paragraphs(line):
    assert is_boilerplate(line)


@pytest.mark.parametrize("line", [
    "The committee will share its findings with the public next week.",
    "Comments made by the minister on Tuesday drew criticism from the opposition.",
    "Related costs rose sharply, the report said.",
    "The bakery sells cookies and bread at the weekly market.",
    "Werbung nervt. Tracking nervt. Nerven nervt.",
    "Advertisement revenue fell by a third in the last quarter, the company said.",
    "Netflix added five million subscribers in the quarter.",
    "The union's newsletter now reaches ten thousand members.",
    "The full story is more complicated than the minister suggested.",
    "The paper introduced a paywall in 2019.",
    "Millions of people sign up for the lottery every week.",
    "The tag <br> breaks a line, the manual says.",
])
def test_real_sentences_are_kept(line):
    assert not is_boilerplate(line)
    assert clean_text(line) == line


def test_duplicate_consecutive_paragraphs_are_dropped():
    assert clean_text("Same line.\nSame line.\nOther line.\nSame line.") == (
        "Same line.\n\nOther line.\n\nSame line.")


def test_comments_heading_ends_the_article():
    body = "\n".join(["A long paragraph of the article body that tells the story in detail."] * 8)
    text = clean_text(body + "\nComments\nGreat article, thanks!\nI disagree with this.")
    assert text.endswith("tells the story in detail.")
    assert "Great article" not in text


def test_a_comments_heading_at_the_very_start_does_not_cut_the_text():
    text = clean_text("Comments\nThe council published the comments it received on the plan.")
    assert text == "The council published the comments it received on the plan."


@pytest.mark.parametrize("line", ["23.10.2018", "24. März 2004, 19:49 | Genesis", "By Maria Jensen",
                                  "Von Max Mustermann, dpa", "Updated: March 3, 2024", "aja/PAP",
                                  "Kategorie: News"])
def test_edge_residue(line):
    assert is_edge_residue(line)


@pytest.mark.parametrize("line", ["Am 3. März 2020 traf sich der Rat der Stadt.",
                                  "The meeting was held on March 3, 2020.", "Byzantine art"])
def test_not_edge_residue(line):
    assert not is_edge_residue(line)


def test_trim_edges_only_touches_the_ends():
    lines = ["12.03.2024", "By Ann Lee", "Body text with 12.03.2024 inside.", "By the way, it rained.",
             "Updated: 13.03.2024"]
    assert trim_edges(lines) == ["Body text with 12.03.2024 inside.", "By the way, it rained."]


def test_seed_article_page():
    if not SEED_PAGE.exists():
        pytest.skip(f"seed page not found at {SEED_PAGE} (../shared is absent)")
    text = clean_text(SEED_PAGE.read_text(encoding="utf-8"))
    assert "restrictions. A follow-up meeting in Türkiye" in text
    for flaw in ("Try Our AI Features", "Explore what Daily8 AI", "\n\nComments\n\n", "No comments yet",
                 "Related Articles", "Vietnam becomes BRICS"):
        assert flaw not in text
    assert text.startswith("Trump-Putin phone call: What has changed since the last time they talked?")
    assert text.endswith("a claim the US president has dismissed as 'fake news.'")


def test_short_unfinished_lines_after_the_last_sentence_are_dropped():
    """Position and form, not wording: after the last finished sentence, short lines that
    end no sentence are the page's labels ("Try Our AI Features", "Explore ... for you:")."""
    body = ["The talks ended without a deal, officials said on Friday evening. " * 8]
    assert drop_unfinished_end(body + ["Try Our AI Features", "Explore what X can do for you:"]) \
        == body
    assert drop_unfinished_end(body + ["Ein Satz endet so."]) == body + ["Ein Satz endet so."]
    # a short text is left alone (nothing shows where its body ends), as is a long last line
    assert drop_unfinished_end(["Short note", "Weather warning"]) == ["Short note", "Weather warning"]
    long_line = "a closing paragraph without a full stop that runs on and on, well past eighty characters"
    assert drop_unfinished_end(body + [long_line]) == body + [long_line]
    # at most three lines are dropped
    assert drop_unfinished_end(body + ["a", "b", "c", "d"]) == body + ["a"]


def test_a_transcripts_dateline_block_is_not_text():
    from newsdesk.ingest.clean import trim_edges
    lines = ["Washington Hilton", "", "Washington, D.C.", "", "7:27 P.M. EST", "",
             "THE PRESIDENT: Hello, hello. Great to see you all.", "Thank you so much."]
    assert trim_edges(lines)[0] == "THE PRESIDENT: Hello, hello. Great to see you all."
    assert trim_edges(["East Room", "10:05 a.m. ET", "Good morning.", "We begin."])[0] == "Good morning."


@pytest.mark.parametrize("lines", [
    ["The meeting began at noon.", "7:30 PM", "It ended late.", "More."],   # text before the time
    ["Results", "The vote was 7:2 in favour.", "More text follows here."],  # no time line
    ["Kyiv, Ukraine", "Shelling resumed overnight in the east.", "More."],  # no time line: kept
])
def test_short_openings_without_a_dateline_time_stay(lines):
    from newsdesk.ingest.clean import trim_edges
    assert trim_edges(lines)[0] == lines[0]
