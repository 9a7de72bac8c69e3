"""The AI panel's view of results: citations become links to the cited sentence, and a
result that says "not enough coverage" renders as that note, not as an error."""

from datetime import date

from newsdesk.ai import Doc, run
from newsdesk.web.ai_panel import view

DOCS = [Doc("7", date(2022, 2, 12), "Outlet A", "Call", "The leaders spoke by phone. They agreed to meet.")]


def test_citations_link_to_the_stored_sentence():
    result = view(run("summary", DOCS, min_outlets=1), {"7": "Outlet A"})
    assert result["status"] == "ok"
    cite = result["items"][0]["cites"][0]
    assert cite["href"] in ("/articles/7#s0", "/articles/7#s1") and cite["label"].startswith("Outlet A")


def test_not_enough_coverage_is_a_note_not_a_crash():
    result = view(run("compare", DOCS, min_outlets=2), {"7": "Outlet A"})
    assert result["status"] == "not_enough_coverage" and result["outlets"] == []
    assert "2" in result["note"]
