"""A thread that held two topics is split once it stops growing (``lookahead._split``,
``graphcut.py``): the sparsest cut of its articles' nearest-neighbour graph, the newer side
leaving; the two halves are not merged again; a saved state resumes the same splits; and the
stage moves the stories, hashtags and readers' visits to the new thread in the database."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import numpy as np
from sqlalchemy import text

from newsdesk.storage import sources as source_store
from newsdesk.storage import visits
from newsdesk.stories import lookahead
from newsdesk.stories import stage as stage_module
from newsdesk.stories.graphcut import knn_graph, sparsest_cut
from newsdesk.stories.lookahead import ThreadClusterer
from newsdesk.stories.stage import StoriesStage
from test_community_support import PASSWORD, accounts
from test_threads import _add, _story, _thread
from tests.test_cluster import doc

# two Google News stories on one subject, as in News-T: words of their own, and the name
PARODY = ["kanye west bound video parody seth rogen james franco {}",
          "seth rogen james franco spoof kanye west bound video {}",
          "franco rogen bound parody kim kanye laugh {}"]
DEAL = ["kanye west leaves nike signs adidas sneaker deal {}",
        "adidas sneaker deal for kanye west after nike split {}",
        "kanye nike adidas shoe contract signed {}"]
FILLER = "parliament budget vote tax rise number {}"
WORDS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india",
         "juliet", "kilo", "lima"]
# one thread for both stories (joins at any shared word, no merges, no routine-word damping)
GLUE = {"threshold": 0.02, "embed_threshold": 0.02, "merge": 0, "body_floor": 0,
        "outlet_prior": 0}
SPLIT = {"settle": 6, "split_min": 12, "split_k": 6, "small": 0}


def stream():
    docs = [doc(f"p{i}", PARODY[i % 3].format(w), hours=i) for i, w in enumerate(WORDS)]
    docs += [doc(f"d{i}", DEAL[i % 3].format(w), hours=12 + i) for i, w in enumerate(WORDS)]
    docs += [doc(f"f{i}", FILLER.format(i), hours=24 + i) for i in range(8)]
    return docs


def members(clusterer):
    return sorted(sorted(str(m) for m in s.members) for s in clusterer.stories())


def test_two_linked_groups_are_cut_apart_and_one_group_is_not():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(20, 8)) + 4, rng.normal(size=(20, 8)) - 4
    points = np.vstack([a, b])
    unit = points / np.linalg.norm(points, axis=1, keepdims=True)
    conductance, side = sparsest_cut(knn_graph(unit @ unit.T, 4), 4)
    group = np.arange(40) < 20
    assert conductance < 0.05 and ((side == group).all() or (side == ~group).all())
    one = rng.normal(size=(40, 8))
    one /= np.linalg.norm(one, axis=1, keepdims=True)
    # one cloud has cuts too, but many times the split level (0.035)
    assert sparsest_cut(knn_graph(one @ one.T, 4), 4)[0] > 0.1
    assert sparsest_cut(knn_graph(one[:5] @ one[:5].T, 4), 4) is None   # too small to cut


def test_a_settled_thread_of_two_topics_is_split_and_the_newer_topic_leaves():
    glued = ThreadClusterer(lookahead=dict(SPLIT, split_min=10**6), **GLUE)
    for d in stream():
        glued.add(d)
    assert glued.pop_splits() == []
    kanye = [g for g in members(glued) if g[0].startswith("d")]
    assert len(kanye) == 1 and len(kanye[0]) == 24            # one thread of both stories

    split = ThreadClusterer(lookahead=SPLIT, **GLUE)
    for d in stream():
        split.add(d)
    [(old, new, moved)] = split.pop_splits()
    assert sorted(moved) == sorted(f"d{i}" for i in range(12))   # the newer story left
    assert sorted(split.story(old).members) == sorted(f"p{i}" for i in range(12))
    assert split.story(new).members == moved
    assert split.pop_splits() == []                                # reported once
    # the halves keep the centroids of their own articles, and are never merged again
    assert "adida" in split.story(new).centroid.weights   # (stemmed)
    assert abs(split.story(old).centroid.weights.get("adida", 0.0)) < 1e-9
    assert not split._merge_allowed(split.story(old), split.story(new))
    # a later article on the deal joins the deal's thread, one on the parody the parody's
    assert split.add(doc("d99", "kanye adidas nike deal shoe", hours=40)).story_id == new
    assert split.add(doc("p99", "rogen franco parody bound video", hours=41)).story_id == old


def test_a_saved_state_resumes_the_same_splits():
    docs = stream()
    whole = ThreadClusterer(lookahead=SPLIT, **GLUE)
    for d in docs:
        whole.add(d)
    expected = members(whole)
    for cut in (10, 24, 27):
        first = ThreadClusterer(lookahead=SPLIT, **GLUE)
        for d in docs[:cut]:
            first.add(d)
        first.pop_splits()
        resumed = ThreadClusterer(lookahead=SPLIT, **GLUE)
        resumed.load(json.loads(json.dumps(first.to_dict())))
        for d in docs[cut:]:
            resumed.add(d)
        assert members(resumed) == expected, cut


def test_the_stage_moves_stories_tags_and_visits_to_the_new_thread(db, settings, monkeypatch):
    """Through the real stage: the deal's stories leave the thread with their hashtags, the
    thread's counts are recounted, and a reader who had opened the thread has it as opened
    in the new one too (they saw those stories there)."""
    for name, value in SPLIT.items():
        monkeypatch.setitem(lookahead.LOOKAHEAD, name, value)
    monkeypatch.setattr(stage_module, "THREAD_PARAMS", dict(stage_module.THREAD_PARAMS, **GLUE))
    t0 = datetime(2024, 3, 1, 8, tzinfo=timezone.utc)
    outlets = [source_store.add_source(db, f"http://o{k}.example/feed", title=f"O{k}").id
               for k in range(3)]
    ids = {}
    for d in stream()[:24]:
        body = f"{d.title.capitalize()}. " * 3
        ids[d.id] = _add(db, outlets[len(ids) % 3], d.id, d.title.capitalize(), body,
                         t0 + timedelta(minutes=10 * len(ids)))
    assert StoriesStage(settings, db).process_pending() == 24
    thread = _thread(db, ids["p0"])
    assert _thread(db, ids["d11"]) == thread                       # one thread, for now
    reader = accounts(db).signup("splitreader", PASSWORD)
    opened = datetime(2024, 3, 1, 13, tzinfo=timezone.utc)
    visits.record_thread_visit(db, reader.id, thread, at=opened)
    for d in stream()[24:]:
        ids[d.id] = _add(db, outlets[0], d.id, d.title.capitalize(), f"{d.title.capitalize()}. " * 3,
                         t0 + timedelta(minutes=10 * len(ids)))
    assert StoriesStage(settings, db).process_pending() == 8      # a new process: state resumed
    new = _thread(db, ids["d0"])
    assert new != thread and _thread(db, ids["p0"]) == thread
    assert {_thread(db, ids[f"d{i}"]) for i in range(12)} == {new}
    assert {_thread(db, ids[f"p{i}"]) for i in range(12)} == {thread}
    with db.read() as conn:
        def tags(t):
            return {r[0] for r in conn.execute(text("SELECT slug FROM thread_tags WHERE thread_id = :t"),
                                               {"t": t})}
        counts = {t: tuple(conn.execute(text("SELECT story_count, article_count FROM threads WHERE id = :t"),
                                        {"t": t}).first()) for t in (thread, new)}
        stories = {t: conn.execute(text("SELECT count(*), sum(article_count) FROM stories WHERE thread_id = :t"),
                                   {"t": t}).first() for t in (thread, new)}
        assert any("adidas" in s for s in tags(new)) and not any("adidas" in s for s in tags(thread))
    assert counts[new] == tuple(stories[new]) and counts[thread] == tuple(stories[thread])
    assert counts[new][1] == 12 and counts[thread][1] == 12
    assert visits.last_thread_visit(db, reader.id, new) == opened
    assert visits.last_thread_visit(db, reader.id, thread) == opened
    assert _story(db, ids["d0"]) is not None
