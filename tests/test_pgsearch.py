"""PostgreSQL search takes its candidates two ways (GIN bitmaps in id windows, or a walk of
the key for words in a large part of the archive); both give exactly the same results."""

from __future__ import annotations

import pytest

from newsdesk.storage import pgsearch, searching
from test_search import _add, harbour  # noqa: F401  (fixture)


@pytest.mark.parametrize("sort", ["relevance", "date"])
def test_key_walk_and_windows_find_the_same(harbour, monkeypatch, sort):  # noqa: F811
    db, ids = harbour["db"], harbour["ids"]
    if db.is_sqlite:
        pytest.skip("PostgreSQL only")
    for n in range(40, 70):   # words in most articles, and one in few
        _add(db, harbour["port"].id, n, f"Harbour note {n}", "The harbour pilots said so."
             if n % 3 else "Pilots said nothing of the harbour.")

    def run():
        return [[r["id"] for r in searching.search(db, q, sort=sort, bound=b, limit=100).results]
                for q in ("harbour", "pilots", "nothing") for b in (5, 12, 100)]
    monkeypatch.setattr(pgsearch, "WALK", 10**9)   # never walk: windows only
    windows = run()
    monkeypatch.setattr(pgsearch, "WALK", 0)       # always walk when there is no filter
    walked = run()
    assert windows == walked
    assert windows[0] and len(windows[2]) == 60    # 30 + 30 harbour articles, all found
    assert ids[2] in windows[2]


@pytest.mark.parametrize("sort", ["relevance", "date"])
def test_category_as_its_outlets_finds_what_the_category_finds(harbour, sort):  # noqa: F811
    """A category filter also asks for the category's outlets (an index condition on
    PostgreSQL): the results are the unfiltered ones of that category, in the same order."""
    db = harbour["db"]
    everything = searching.search(db, "harbour", sort=sort, bound=100, limit=100).results
    for category in ("local", "world", "none such"):
        found = searching.search(db, "harbour", sort=sort, category=category, bound=100,
                                 limit=100).results
        assert [r["id"] for r in found] == [r["id"] for r in everything
                                            if r["outlet"]["category"] == category]
    assert len([r for r in everything if r["outlet"]["category"] == "world"]) == 2


def test_language_as_index_conditions_finds_what_the_language_finds(harbour):  # noqa: F811
    """A language filter is the article's language, else its outlet's; PostgreSQL also asks
    ``a.language = :l OR a.source_id = ANY(outlets in l)``: the same results either way."""
    db, ids = harbour["db"], harbour["ids"]
    from sqlalchemy import text
    with db.write() as conn:   # port writes in French; one article says nothing, one German
        conn.execute(text("UPDATE sources SET language = 'fr' WHERE id = :p"),
                     {"p": harbour["port"].id})
        conn.execute(text("UPDATE articles SET language = NULL WHERE id = :a"), {"a": ids[25]})
        conn.execute(text("UPDATE articles SET language = 'de' WHERE id = :a"), {"a": ids[2]})
    spoken = {i: "en" for i in ids} | {ids[25]: "fr", ids[2]: "de"}
    everything = searching.search(db, "harbour", bound=100, limit=100).results
    for language in ("en", "fr", "de", "it"):
        found = searching.search(db, "harbour", language=language, bound=100, limit=100).results
        assert [r["id"] for r in found] == [r["id"] for r in everything
                                            if spoken[r["id"]] == language]
    assert [r["id"] for r in searching.search(db, "harbour", language="fr").results] == [ids[25]]


def test_a_snippet_shows_the_matched_words_wherever_they_are_in_the_text(harbour):  # noqa: F811
    """ts_headline is given the text's first ``FIRST`` characters, and the whole (to
    ``SNIPPET_TEXT``) only when they hold no match of the query: the words are marked
    whether they are early, late, split between the two, or both; a match in the title
    alone gives the text's beginning, as when the whole text was given."""
    db = harbour["db"]
    if db.is_sqlite:
        pytest.skip("PostgreSQL only")
    filler = "The tide rose slowly over the quay and the gulls kept watch. " * 40   # 2,480
    assert pgsearch.FIRST < len(filler) < searching.SNIPPET_TEXT - 200
    late = _add(db, harbour["port"].id, 80, "Note 80", filler + "Then the lighthouse keeper spoke.")
    early = _add(db, harbour["port"].id, 81, "Note 81",
                 "The lighthouse was dark. " + filler + "The lighthouse shone again.")
    title = _add(db, harbour["port"].id, 82, "Lighthouse", filler)
    beyond = _add(db, harbour["port"].id, 83, "Note 83",
                  filler * 3 + "The lighthouse keeper spoke.")   # past SNIPPET_TEXT
    split = _add(db, harbour["port"].id, 84, "Note 84",
                 "A lighthouse stood there. " + filler + "Its keeper left.")
    snippets = {r["id"]: r["snippet"] for r in
                searching.search(db, "lighthouse keepers", limit=10).results}
    assert "\x02lighthouse\x03 \x02keeper\x03 spoke" in snippets[late]   # stemmed
    assert snippets[split].startswith("A \x02lighthouse\x03 stood")   # the whole text's
    found = {r["id"]: r["snippet"] for r in searching.search(db, "lighthouse", limit=10).results}
    assert found[early].startswith("\x02lighthouse\x03 was dark")   # the start's match only
    assert "shone" not in found[early] and "\x02lighthouse\x03" in found[late]
    assert "\x02" not in found[title] and found[title].startswith("The tide rose slowly")
    assert "\x02" not in found[beyond] and found[beyond].startswith("The tide rose slowly")


def test_snippets_skip_the_whole_text_only_when_it_cannot_match(db):
    """A snippet is made from the text's start when that holds a match, else from the whole;
    the whole is not parsed when the stored vector says the text cannot match (the words
    in the title only). The snippets are those of the start-or-whole rule in every case:
    a word in the title only, early in the text, late in it, past what a snippet reads,
    and a query with a negated word."""
    if db.is_sqlite:
        pytest.skip("PostgreSQL only")
    from sqlalchemy import text
    from newsdesk.storage import sources
    from test_search import _add
    outlet = sources.add_source(db, "http://port.example/feed.xml", title="Port")
    filler = " ".join(f"Cargo note {n} about quays and cranes." for n in range(60))   # ~2,000
    bodies = {"title only": filler, "early": "The pilots struck. " + filler,
              "late": filler + " The pilots struck.", "past the end": filler * 4 + " pilots",
              "short": "The pilots struck."}
    ids = {name: _add(db, outlet.id, n, f"Harbour pilots {name}", body)
           for n, (name, body) in enumerate(bodies.items())}
    first, whole = (f"ts_headline('english', left(left(a.text, 6000), {end}), {pgsearch.TSQ}, "
                    f"{pgsearch.HEADLINE})" for end in (pgsearch.FIRST, 6000))
    rule = (f"CASE WHEN strpos({first}, chr(2)) > 0 OR length(left(a.text, 6000)) <= "
            f"{pgsearch.FIRST} THEN {first} ELSE {whole} END")
    for query in ("pilots", "harbour pilots", "pilots -peace", "cranes", "peace"):
        with db.read() as conn:
            got = conn.execute(text(f"SELECT a.id, {pgsearch.snippet('a.text', 6000)}, {rule} "
                                    "FROM articles a ORDER BY a.id"), {"q": query}).all()
        assert [r[1] for r in got] == [r[2] for r in got], query
    with db.read() as conn:   # the title-only article's text cannot match; the others' can
        cannot = conn.execute(text(f"SELECT a.id FROM articles a WHERE NOT ts_filter("
                                   f"a.search_vector, '{{b}}') @@ {pgsearch.TSQ}"),
                              {"q": "pilots"}).scalars().all()
    assert cannot == [ids["title only"]]
