"""Crash safety of the stories stage, on a real database.

A crash at any instruction loses at most the chunk in flight, together with the state that
produced it; the next process resumes from what was committed. So a run crashed many times
(by an exception injected at chosen points, and by a real ``kill -9`` of
``newsdesk process-stories``) must end with exactly the rows a clean run writes: the same
story and thread ids for every article, the same titles, counts, leads, tags, copies and
related lists.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import text

from newsdesk.storage import articles as store
from newsdesk.storage import sources as source_store
from newsdesk.storage import stories as story_store
from newsdesk.stories import checkpoint, lookahead
from newsdesk.stories import stage as stage_module
from newsdesk.stories.stage import StoriesStage
from newsstream import make_stream

# what a run leaves: every row the stage writes, without write times
SNAPSHOT = {
    "article_story": "SELECT article_id, story_id, round(similarity * 1e6) FROM article_story",
    "stories": "SELECT id, title, article_count, outlet_count, lead_article_id, thread_id, "
               "first_seen, last_seen FROM stories",
    "threads": "SELECT id, title, name, story_count, article_count, lead_story_id FROM threads",
    "duplicates": "SELECT article_id, canonical_id, kind FROM duplicates",
    "provenance": "SELECT article_id, kind, origin_id FROM provenance",
    "article_tags": "SELECT article_id, slug FROM article_tags",
    "story_tags": "SELECT story_id, slug FROM story_tags",
    "thread_tags": "SELECT thread_id, slug, n FROM thread_tags",
    "related": "SELECT article_id, related_id, rank, reason FROM related",
}


class Crash(BaseException):
    """What an injected crash raises: not an Exception, so nothing on the way catches it."""


def _archive(db, events: int = 24, seed: int = 3) -> int:
    stream = make_stream(outlets=6, events=events, seed=seed)
    ids = [source_store.add_source(db, f"http://o{n}.example/feed", title=f"Outlet {n}").id
           for n in range(stream.outlets)]
    with db.write() as conn:
        store.insert_articles(conn, [{
            "source_id": ids[i.outlet], "entry_hash": i.guid, "title": i.title, "text": i.text,
            "fetched_at": i.published, "published_at": i.published, "extraction": "page",
            "language": "en"} for i in stream.items], db.dialect)
    return len(stream.items)


def _snapshot(db) -> dict:
    with db.read() as conn:
        return {name: sorted(tuple(r) for r in conn.execute(text(sql)))
                for name, sql in SNAPSHOT.items()}


def _clean_then_reset(db, settings) -> dict:
    StoriesStage(settings, db).process_pending()
    clean = _snapshot(db)
    story_store.reset(db)
    return clean


def _crashing(monkeypatch, target, name: str, after: int, only=None) -> None:
    """Make ``target.name`` raise ``Crash`` at its ``after``-th call (``only``: calls that
    count)."""
    real = getattr(target, name)
    calls = [0]

    def wrapper(*args, **kwargs):
        if only is None or only(*args, **kwargs):
            calls[0] += 1
            if calls[0] == after:
                raise Crash(f"{name} call {after}")
        return real(*args, **kwargs)
    monkeypatch.setattr(target, name, wrapper)


# the points: inside an article's writes, inside the state's save (rows written, version
# not yet), while a process loads the state, and after the pass (chunks committed, the
# processed floor not yet): (target, name, which calls count, crash at call 1..n)
POINTS = [
    (story_store, "story_gained", None, 12),
    (checkpoint, "_reconcile", None, 1),
    (story_store, "kv_set", lambda conn, key, value: key == "stories:version", 3),
]
AFTER_PASS = (story_store, "advance_floor", None, 1)


def _run_crashing(db, settings, monkeypatch, point, rng) -> bool:
    """One process that crashes at ``point``; whether it did."""
    target, name, only, most = point
    with monkeypatch.context() as patch:
        _crashing(patch, target, name, rng.randint(1, most), only)
        try:
            StoriesStage(settings, db).process_pending()
        except Crash:
            return True
    return False


def _folds(monkeypatch) -> list[bool]:
    """The thread look-ahead made to decide within a small archive, with a ring that wraps;
    what each of its decisions was (folded or not)."""
    monkeypatch.setitem(lookahead.LOOKAHEAD, "due", 8)
    monkeypatch.setitem(lookahead.LOOKAHEAD, "small", 30)
    monkeypatch.setitem(lookahead.LOOKAHEAD, "buffer", 40)
    decided: list[bool] = []
    real = lookahead.ThreadClusterer._fold

    def fold(self, story):
        decided.append(real(self, story))
        return decided[-1]
    monkeypatch.setattr(lookahead.ThreadClusterer, "_fold", fold)
    return decided


def _splits(monkeypatch) -> list[int]:
    """Thread splits made to happen within the small archive (a loose cut, a short settle):
    the new thread of each."""
    for name, value in {"settle": 10, "split_min": 6, "split_k": 3, "split_cut": 0.3}.items():
        monkeypatch.setitem(lookahead.LOOKAHEAD, name, value)
    made: list[int] = []
    real = lookahead.ThreadClusterer._detach

    def detach(self, story, slots):
        made.append(real(self, story, slots).id)
        return self._stories[made[-1]]
    monkeypatch.setattr(lookahead.ThreadClusterer, "_detach", detach)
    return made


def test_crashes_at_chosen_points_leave_the_stories_of_a_clean_run(db, settings, monkeypatch):
    decided = _folds(monkeypatch)
    _crash_until_done(db, settings, monkeypatch,
                      lambda: sum(decided) >= 2 and not all(decided))  # folded, and left alone


def test_crashes_with_thread_splits_in_flight_leave_a_clean_run(db, settings, monkeypatch):
    splits = _splits(monkeypatch)
    _crash_until_done(db, settings, monkeypatch, lambda: len(splits) >= 1)


def _crash_until_done(db, settings, monkeypatch, decided) -> None:
    """Stories of a clean run, then the same archive through processes crashing at the
    chosen points until none is pending: the rows must be exactly the clean run's
    (``decided()``: the clean run made the decisions the test is about)."""
    monkeypatch.setattr(stage_module, "COMMIT_EVERY", 7)
    monkeypatch.setattr(stage_module, "BATCH", 30)
    monkeypatch.setattr(stage_module, "DF_SAVE_EVERY", 25)   # snapshots between the crashes
    total = _archive(db, events=40)
    clean = _clean_then_reset(db, settings)
    assert len(clean["article_story"]) == total and clean["duplicates"]
    assert decided()
    rng = random.Random(5)
    crashes, rounds = 0, 0
    while story_store.count_pending(db) and rounds < 100:
        crashes += _run_crashing(db, settings, monkeypatch, POINTS[rounds % len(POINTS)], rng)
        rounds += 1
    assert crashes >= 8
    assert _run_crashing(db, settings, monkeypatch, AFTER_PASS, rng)  # after an empty pass
    assert story_store.count_pending(db) == 0
    assert _snapshot(db) == clean
    StoriesStage(settings, db).process_pending()   # a process after all that changes nothing
    assert _snapshot(db) == clean


def _cli(db_url: str, data_dir: Path) -> subprocess.Popen:
    env = dict(os.environ, NEWSDESK_DATABASE_URL=db_url, NEWSDESK_DATA_DIR=str(data_dir),
               NEWSDESK_EMBEDDINGS="auto")
    return subprocess.Popen([sys.executable, "-m", "newsdesk", "process-stories"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _placed(db) -> int:
    with db.read() as conn:
        return int(conn.execute(text("SELECT count(*) FROM article_story")).scalar())


def test_kill_9_of_the_stories_process_mid_batch_resumes_to_a_clean_run(db, db_url, settings,
                                                                         tmp_path):
    _archive(db, events=60, seed=11)
    clean = _clean_then_reset(db, settings)
    rng = random.Random(2)
    kills, runs = 0, 0
    while story_store.count_pending(db) and runs < 40:
        runs += 1
        before = _placed(db)
        process = _cli(db_url, tmp_path)
        # kill once this run has placed something (so mid-pass), at a random moment after
        deadline = time.monotonic() + 60
        while process.poll() is None and _placed(db) == before and time.monotonic() < deadline:
            time.sleep(0.05)
        # soon after: a quiet machine places a whole chunk (20 articles) in well under 0.2 s
        time.sleep(rng.uniform(0.0, 0.15))
        if process.poll() is None and kills < 4:
            process.send_signal(signal.SIGKILL)
            kills += 1
        _, err = process.communicate(timeout=120)
        assert process.returncode in (0, -signal.SIGKILL), err.decode()[-2000:]
    assert kills >= 3, "the archive was placed before the kills: make it bigger"
    assert story_store.count_pending(db) == 0
    assert _snapshot(db) == clean
