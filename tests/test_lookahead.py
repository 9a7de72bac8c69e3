"""Threads decided with hindsight (``stories/lookahead.py``): a thread left alone is folded
where its nearest recent articles sit, a fragment merge needs the same evidence, the ring of
recent articles stays bounded and current, and a saved state resumes the same decisions.
The stage-level check (crashes and restarts with folds in flight) is in test_crash.py."""

from __future__ import annotations

import json

import numpy as np
import pytest

from newsdesk.stories.cluster import StoryClusterer
from newsdesk.stories.lookahead import RecentArticles, ThreadClusterer
from tests.test_cluster import BUDGET, QUAKE, doc

# joins held so high that every article opens a thread of its own, and no merges: what is
# put together below is put together by the look-ahead alone
ALONE = {"threshold": 0.9, "merge": 0}
EAGER = {"due": 2, "neighbours": 2, "votes": 1, "share": 0.5}


def interleaved():
    out = []
    for k, (q, b) in enumerate(zip(QUAKE, BUDGET)):
        out += [doc(f"q{k}", q, hours=2 * k), doc(f"b{k}", b, hours=2 * k + 1)]
    return out


def groups(clusterer, assigned: dict) -> list[list[str]]:
    by: dict[int, list[str]] = {}
    for doc_id, sid in assigned.items():
        by.setdefault(clusterer.resolve(sid), []).append(doc_id)
    return sorted(sorted(g) for g in by.values())


def test_a_thread_left_alone_is_folded_into_the_thread_its_neighbours_sit_in():
    plain = StoryClusterer(**ALONE)
    assigned = {d.id: plain.add(d).story_id for d in interleaved()}
    assert len(groups(plain, assigned)) == 10          # ten threads of one article

    ahead = ThreadClusterer(lookahead=EAGER, **ALONE)
    assigned = {d.id: ahead.add(d).story_id for d in interleaved()}
    found = groups(ahead, assigned)
    # every thread old enough to be looked at again went to its topic, none across topics;
    # the last article of each topic is not due yet
    assert ["q0", "q1", "q2", "q3"] in found and ["b0", "b1", "b2", "b3"] in found
    assert all(len({m[0] for m in g}) == 1 for g in found)
    merges = ahead.pop_merges()
    assert len(merges) == 6 and ahead.pop_merges() == []   # the caller applies each once
    assert all(ahead.resolve(absorbed) == ahead.resolve(into) for absorbed, into in merges)


def test_no_fold_without_agreement():
    # each member's two nearest articles sit in two different threads: no thread has the
    # share asked for, and the thread stays as it is, asked again once, then left alone
    ahead = ThreadClusterer(lookahead=dict(EAGER, votes=2, share=1.0), **ALONE)
    assigned = {d.id: ahead.add(d).story_id for d in interleaved()}
    assert len(groups(ahead, assigned)) == 10 and ahead.pop_merges() == []


def test_a_fragment_merge_needs_its_neighbours_in_the_other_thread():
    ahead = ThreadClusterer(lookahead={"due": 10 ** 6, "neighbours": 2}, **ALONE)
    thread = {d.id: ahead.add(d).story_id for d in interleaved()}
    threads = {doc_id: ahead.story(sid) for doc_id, sid in thread.items()}
    ahead.threshold = 0.2   # neighbours count when as similar as a join asks: the usual level
    # q1's two nearest articles are quake reports (q2, q4): one is half its neighbours
    assert ahead._merge_allowed(threads["q2"], threads["q1"])
    # a budget thread holds none of them, however close the centroids might come
    assert not ahead._merge_allowed(threads["b0"], threads["q1"])
    ahead.threshold = 0.9   # no neighbour that similar: nothing speaks against a merge
    assert ahead._merge_allowed(threads["b0"], threads["q1"])


def test_the_ring_is_bounded_and_follows_merges():
    ring = RecentArticles(3)
    for k in range(5):
        ring.add(f"a{k}", 10 + k, {f"t{k}": 1.0, "shared": 0.5}, np.ones(4) * (k + 1))
    assert ring.article == ["a3", "a4", "a2"] and set(ring.slot_of) == {"a2", "a3", "a4"}
    assert set(ring.postings["shared"]) == {0, 1, 2} and "t0" not in ring.postings
    assert np.allclose(np.linalg.norm(ring.emb, axis=1), 1.0)
    assert ring.nearest("a0", set(), 2, 0.5) is None        # gone from the ring
    ring.take_dirty()
    ring.relabel(13, 14)
    assert ring.thread == [14, 14, 12] and ring.by_thread == {14: {0, 1}, 12: {2}}
    assert [r[0] for r in ring.take_dirty()] == [0]          # only the relabelled slot
    near = ring.nearest("a4", {"a4"}, 2, 0.5)
    assert [t for _, t, _ in near] == [14, 12] and all(mixed for _, _, mixed in near)


def test_a_saved_state_resumes_the_same_decisions():
    stream = interleaved() + [doc(f"x{k}", t, hours=20 + k)
                              for k, t in enumerate(reversed(QUAKE + BUDGET))]
    whole = ThreadClusterer(lookahead=EAGER, **ALONE)
    expected = [whole.add(d).story_id for d in stream]
    for cut in (3, 7, 12):
        first = ThreadClusterer(lookahead=EAGER, **ALONE)
        got = [first.add(d).story_id for d in stream[:cut]]
        second = ThreadClusterer(lookahead=EAGER, **ALONE)
        second.load(json.loads(json.dumps(first.to_dict())))
        got += [second.add(d).story_id for d in stream[cut:]]
        assert got == expected, cut
        assert [second.resolve(s) for s in got[cut:]] == [whole.resolve(s) for s in expected[cut:]]


def test_unknown_lookahead_parameters_are_an_error():
    with pytest.raises(TypeError, match="look-ahead"):
        ThreadClusterer(lookahead={"neighbors": 5})
