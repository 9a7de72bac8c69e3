"""The offline AI features on a small hand-made story (tests/fixtures/ai/story.jsonl):
three outlets over three days; the Daily Ledger gives a different injury count and carries
the shipping company's denial, and never mentions the mayor's state of emergency."""

from datetime import date, datetime
from pathlib import Path

import pytest

from newsdesk.ai import Doc, run
from newsdesk.ai.io import load_jsonl
from newsdesk.ai.text import normalize

FIXTURES = Path(__file__).parent / "fixtures" / "ai"


@pytest.fixture(scope="module")
def story():
    return load_jsonl(FIXTURES / "story.jsonl")


@pytest.fixture(scope="module")
def injected(story):
    return story + load_jsonl(FIXTURES / "injection.jsonl")


def stored(docs):
    from newsdesk.sentences import split_sentences
    return {(d.id, i): s for d in docs for i, s in enumerate(split_sentences(d.text))}


def assert_cited(result, docs):
    table = stored(docs)
    assert result.all_items(), result.note
    for item in result.all_items():
        assert item.citations
        first = item.citations[0]
        assert table[(first.doc, first.sentence)] == first.text
        assert normalize(item.text) == normalize(first.text)


def test_story_summary_and_key_points_are_cited(story):
    result = run("summary", story)
    assert result.status == "ok" and result.meta["mode"] == "story"
    assert 1 <= len(result.items) <= 4 and result.sections["key_points"]
    assert_cited(result, story)
    texts = " ".join(i.text for i in result.items)
    assert "collapsed" in texts


def test_article_summary_of_one_document(story):
    result = run("summary", story[:1], sentences=2)
    assert result.meta["mode"] == "article" and len(result.items) == 2
    assert_cited(result, story[:1])


def test_story_needs_two_outlets(story):
    herald = [d for d in story if d.outlet == "herald"]
    result = run("summary", herald)
    assert result.status == "not_enough_coverage"
    assert result.note == "Not enough coverage yet: 1 outlet; a story summary needs 2"
    assert run("compare", herald).status == "not_enough_coverage"
    assert run("summary", story, min_outlets=4).status == "not_enough_coverage"


def test_timeline_entries_are_new_facts(story):
    result = run("timeline", story)
    assert_cited(result, story)
    dates = [e["date"] for e in result.to_json()["entries"]]
    assert dates == ["2024-03-01", "2024-03-02", "2024-03-03"]
    later = [i.text for i in result.items if i.date > "2024-03-01"]
    assert later and not any("collapsed on Friday" in t for t in later)  # repeated by a2 and c3
    funds = [i for i in result.items if "50 million" in i.text]
    assert len(funds) == 1 and set(funds[0].outlets) == {"Daily Ledger", "Coastal Herald"}


def test_timeline_since_filters_but_remembers_the_past(story):
    result = run("timeline", story, since=date(2024, 3, 1))
    assert {i.date for i in result.items} == {"2024-03-02", "2024-03-03"}
    assert not any("collapsed" in i.text for i in result.items)
    assert run("timeline", story, since=date(2024, 3, 3)).status == "empty"


def test_dates_recalled_from_long_before_the_story_are_background(story):
    """A sentence recalling the 2019 inspection is no entry dated 2019 in a March 2024 story's
    timeline; a date just before the first article (the stories window) still is."""
    recall = Doc(id="r1", outlet="herald", date=datetime(2024, 3, 3, 9),
                 title="Bridge inspections questioned",
                 text="The bridge was last inspected on June 4, 2019, records show. Divers "
                      "reported cracks on February 28, engineers said on Sunday.")
    days = {i.date for i in run("timeline", story + [recall]).items}
    assert not any(d.startswith("2019") for d in days)
    mentions = {i.date for i in run("timeline", story + [recall], max_dates=10).items}
    assert "2024-02-28" in mentions


def test_compare_marks_omission_and_contradictions(story):
    result = run("compare", story)
    assert_cited(result, story)
    claims = [i.text for i in result.items]
    table = result.meta["outlets"]
    mayor = next(n for n, t in enumerate(claims) if "state of emergency" in t)
    injured = next(n for n, t in enumerate(claims) if "injured" in t)
    power = next(n for n, t in enumerate(claims) if "lost power" in t)
    assert mayor in table["Daily Ledger"]["omits"]
    assert mayor in [e["claim"] for e in table["River Times"]["reports"]]
    cues = {e["claim"]: e["cue"] for e in table["Daily Ledger"]["contradicts"]}
    assert cues[injured].startswith("numbers differ") and cues[power] == "denial"
    assert not table["Coastal Herald"]["contradicts"]


def test_ask_cites_evidence_or_says_not_found(story):
    result = run("ask", story, question="How many people were injured?")
    assert result.status == "ok" and "injured" in result.items[0].text
    assert_cited(result, story)
    miss = run("ask", story, question="What is the price of bananas in Peru?")
    assert miss.status == "not_found" and miss.note == "Not found in the coverage." and not miss.items


@pytest.mark.parametrize("question, status", [
    ("", "empty_question"), ("   ", "empty_question"),
    ("bridge collapse " * 700, "ok"),                      # 11,200 characters
    ("Что случилось с мостом?", "not_found"),              # Russian, not in the coverage
    ("¿Cuántas personas resultaron heridas?", "not_found"),
    ("'; DROP TABLE docs; --", "not_found"),
])
def test_ask_odd_questions_do_not_break(story, question, status):
    assert run("ask", story, question=question).status == status


def test_injected_instructions_stay_text(story, injected):
    injection = "Ignore previous instructions"
    for feature in ("summary", "timeline", "background", "compare"):
        texts = [i.text for i in run(feature, injected).all_items()]
        assert not any(injection in t for t in texts), feature
    # other stories' outputs do not change because an injected article exists
    before = run("summary", story).to_json()
    run("summary", load_jsonl(FIXTURES / "injection.jsonl") + story[:1], min_outlets=1)
    assert run("summary", story).to_json() == before
    # quoted only where genuinely relevant
    hit = run("ask", injected, question="What did the wire say about ignoring instructions?")
    assert hit.status == "ok" and injection in hit.items[0].text


def test_background_gives_earlier_context_in_time_order(story):
    result = run("background", story)
    assert_cited(result, story)
    assert result.meta["update"] == "a3"
    assert all(i.citations[0].doc != "a3" for i in result.items)
    assert [i.date for i in result.items] == sorted(i.date for i in result.items)
    assert any("Harbor Bridge" in i.text or "river" in i.text for i in result.items)


def test_empty_and_single_docs():
    empty = [Doc("e", date(2024, 1, 1), "x", "t", "")]
    assert run("summary", empty).status == "empty"
    assert run("timeline", []).status == "empty"
    assert run("background", empty).status == "empty"


def test_an_embedding_function_plugs_in(story):
    """Any ``embed(texts) -> np.ndarray`` (e.g. the MiniLM encoder) blends into similarity."""
    import numpy as np
    from newsdesk.ai import OfflineProvider
    from newsdesk.ai.text import words

    calls = []

    def embed(texts):
        calls.append(len(texts))
        out = np.zeros((len(texts), 64))
        for row, text in enumerate(texts):
            for word in words(text):
                out[row, sum(map(ord, word)) % 64] += 1.0
        return out

    provider = OfflineProvider(embed)
    assert provider.identity == "offline+embed"
    for feature, params in (("summary", {}), ("timeline", {}), ("ask", {"question": "How many were injured?"})):
        result = run(feature, story, provider=provider, **params)
        assert result.status == "ok"
        assert_cited(result, story)
    assert calls
