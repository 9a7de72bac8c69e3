"""Comments: threads (two levels shown, more on demand), edit window, deletion, reports,
spam and pre-moderation, rate limits, the markdown subset, and bad input -- empty, 1 MB,
binary or control characters, replies to deleted comments, forged user ids, expired
sessions, double submits -- each refused with a clear message and nothing half-written."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import text

from newsdesk.community import CommunityError, Forbidden, RateLimited
from newsdesk.community.comments import Comments, comment_counts
from newsdesk.community.markdown import render
from newsdesk.community.spam import SpamFilter
from newsdesk.errors import NotFound
from test_community_support import (PASSWORD, LiveServer, accounts, client, csrf_of, login,
                                     make_app, make_site)


@pytest.fixture
def site(db):
    data = make_site(db)
    acc = accounts(db)
    data.update(db=db, accounts=acc, alice=acc.signup("alice", PASSWORD),
                bob=acc.signup("bob", PASSWORD))
    return data


def _count(db, where: str = "1 = 1") -> int:
    with db.read() as conn:
        return conn.execute(text(f"SELECT count(*) FROM comments WHERE {where}")).scalar()


def test_threads_show_two_levels_and_load_deeper_replies_on_demand(site):
    comments, alice, bob, art = Comments(site["db"]), site["alice"], site["bob"], site["article"]
    root = comments.post(alice, "article", art, "First!")[0]
    reply = comments.post(bob, "article", art, "A reply", parent_id=root.id)[0]
    deep = comments.post(alice, "article", art, "Deeper", parent_id=reply.id)[0]
    comments.post(bob, "article", art, "Deepest", parent_id=deep.id)
    comments.post(bob, "story", site["story"], "On the story")
    roots, more = comments.thread("article", art)
    assert more is None and [c.id for c in roots] == [root.id]
    assert [c.body for c in roots[0].children] == ["A reply"]
    assert roots[0].children[0].children == [] and roots[0].children[0].more_replies == 1
    below = comments.replies(reply.id)
    assert below.children[0].body == "Deeper" and below.children[0].children[0].body == "Deepest"
    assert comments.thread("story", site["story"])[0][0].body == "On the story"
    with pytest.raises(CommunityError, match="different pages"):
        comments.post(bob, "story", site["story"], "Wrong page", parent_id=root.id)


def test_bad_input_is_refused_with_a_message_and_nothing_written(site):
    comments, alice, art = Comments(site["db"]), site["alice"], site["article"]
    cases = {"": "empty", "   \n\t ": "empty", "x" * (1 << 20): "too long",
             "nul\x00byte": "control characters", "bell\x07": "control characters",
             "escape \x1b[31m red": "control characters", bytes(range(256)).decode("latin-1"): "control",
             "\ud800 lone surrogate": "control"}
    for body, message in cases.items():
        with pytest.raises(CommunityError, match=message):
            comments.post(alice, "article", art, body)
    with pytest.raises(CommunityError, match="must be text"):
        comments.post(alice, "article", art, b"bytes")
    with pytest.raises(NotFound, match="no article"):
        comments.post(alice, "article", 999999, "Hello")
    with pytest.raises(NotFound, match="no comment 424242"):
        comments.post(alice, "article", art, "Hello", parent_id=424242)
    assert _count(site["db"]) == 0
    with site["db"].read() as conn:   # not even a rate-limit event was kept
        assert conn.execute(text("SELECT count(*) FROM rate_events")).scalar() == 0


def test_replies_to_deleted_or_hidden_comments_are_refused(site):
    from newsdesk.community.moderation import Moderation
    comments, alice, bob, art = Comments(site["db"]), site["alice"], site["bob"], site["article"]
    doomed = comments.post(alice, "article", art, "I will be deleted")[0]
    comments.post(bob, "article", art, "reply before deletion", parent_id=doomed.id)
    with pytest.raises(Forbidden, match="only the author"):
        comments.delete(bob, doomed.id)
    comments.delete(alice, doomed.id)
    with pytest.raises(CommunityError, match="deleted; replies to it are closed"):
        comments.post(bob, "article", art, "too late", parent_id=doomed.id)
    roots, _ = comments.thread("article", art)
    assert roots[0].placeholder == "[deleted]" and roots[0].html == "" and roots[0].author == "[deleted account]"
    assert roots[0].children[0].body == "reply before deletion"
    mod = site["accounts"].set_role(site["accounts"].signup("mod", PASSWORD).id, "moderator")
    hidden = comments.post(alice, "article", art, "rude")[0]
    Moderation(site["db"]).hide(mod, hidden.id, "rude")
    with pytest.raises(CommunityError, match="replies to it are closed"):
        comments.post(bob, "article", art, "reply", parent_id=hidden.id)


def test_double_submits_store_one_comment(site):
    comments, alice, art = Comments(site["db"]), site["alice"], site["article"]
    first, created = comments.post(alice, "article", art, "Once", idempotency_key="k1")
    again, created_again = comments.post(alice, "article", art, "Once", idempotency_key="k1")
    assert created and not created_again and again.id == first.id
    plain, _ = comments.post(alice, "article", art, "No key")
    twin, created_twin = comments.post(alice, "article", art, "No key")   # dedupe window
    assert twin.id == plain.id and not created_twin
    results = []

    def submit():
        results.append(comments.post(alice, "article", art, "Raced", idempotency_key="race")[0].id)
    threads = [threading.Thread(target=submit) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(results)) == 1 and _count(site["db"], "body = 'Raced'") == 1
    assert _count(site["db"]) == 3


def test_rate_limits_per_user_and_per_address(site):
    comments = Comments(site["db"], user_limits=((3, 60),), ip_limits=((4, 60),))
    alice, bob, art = site["alice"], site["bob"], site["article"]
    for n in range(3):
        comments.post(alice, "article", art, f"comment {n}", ip="10.0.0.1")
    with pytest.raises(RateLimited, match="posting too fast") as caught:
        comments.post(alice, "article", art, "one more", ip="10.0.0.2")
    assert 0 < caught.value.retry_after <= 61
    comments.post(bob, "article", art, "bob 1", ip="10.0.0.1")
    with pytest.raises(RateLimited, match="from your address"):
        comments.post(bob, "article", art, "bob 2", ip="10.0.0.1")
    assert _count(site["db"]) == 4


def test_edit_window_and_the_edited_mark(site):
    comments, alice, bob = Comments(site["db"], edit_window=600), site["alice"], site["bob"]
    c = comments.post(alice, "article", site["article"], "Tpyo")[0]
    with pytest.raises(Forbidden, match="only the author"):
        comments.edit(bob, c.id, "vandalised")
    edited = comments.edit(alice, c.id, "Typo")
    assert edited.body == "Typo" and edited.edited_at is not None
    old = (edited.created_at - timedelta(minutes=11)).strftime("%Y-%m-%d %H:%M:%S.%f")
    with site["db"].write() as conn:
        conn.execute(text("UPDATE comments SET created_at = :t"), {"t": old if site["db"].is_sqlite
                                                                    else edited.created_at - timedelta(minutes=11)})
    with pytest.raises(Forbidden, match="edited for 10 minutes"):
        comments.edit(alice, c.id, "Too late")
    assert comments.get(c.id).body == "Typo"


def test_spam_and_premoderation_send_comments_to_the_queue(site):
    comments = Comments(site["db"], spam=SpamFilter(banned_words="casino, viagra"),
                        premoderate_new_accounts=True, trusted_after=1)
    alice, bob, art = site["alice"], site["bob"], site["article"]
    spam = comments.post(alice, "article", art, "Best CASINO bonus http://a.example http://b.example "
                                                "http://c.example")[0]
    assert spam.status == "pending" and "banned words: casino" in spam.spam_reasons
    first = comments.post(bob, "article", art, "A thoughtful first comment.")[0]
    assert first.status == "pending" and "pre-moderation" in first.spam_reasons
    with site["db"].write() as conn:
        conn.execute(text("UPDATE comments SET status = 'visible' WHERE id = :id"), {"id": first.id})
    assert comments.post(bob, "article", art, "Now I am trusted.")[0].status == "visible"
    # pending comments are shown to their author only
    assert [c.body for c in comments.thread("article", art, bob)[0]] == [
        "A thoughtful first comment.", "Now I am trusted."]
    assert spam.id in [c.id for c in comments.thread("article", art, alice)[0]]
    assert spam.id not in [c.id for c in comments.thread("article", art, None)[0]]
    assert comment_counts(site["db"], [site["story"]]) == {}
    comments.post(bob, "article", site["story_articles"][0], "On an article of the story")
    comments.post(bob, "story", site["story"], "On the story itself")
    assert comment_counts(site["db"], [site["story"], 999]) == {site["story"]: 2}


def test_markdown_subset_is_sanitized_with_ugc_links():
    html = render("**bold** [site](https://example.org/a?b=1&c=2) <b onclick=x>raw</b> "
                  "[bad](javascript:alert(1)) https://example.com/x.")
    assert "<strong>bold</strong>" in html
    assert '<a href="https://example.org/a?b=1&amp;c=2" rel="nofollow ugc noopener">site</a>' in html
    assert "&lt;b onclick=x&gt;raw&lt;/b&gt;" in html and "<b" not in html
    assert 'href="javascript' not in html and 'rel="nofollow ugc noopener">https://example.com/x</a>.' in html
    assert render("> quote\n\n- a\n- b\n\n```\n<i>x</i>\n```") == (
        "<blockquote><p>quote</p></blockquote><ul><li>a</li><li>b</li></ul>"
        "<pre><code>&lt;i&gt;x&lt;/i&gt;</code></pre>")


# ----------------------------------------------------------------- over HTTP
@pytest.fixture
def live(settings, db):
    site = make_site(db)
    app, community = make_app(settings, db)
    community.accounts.signup("alice", PASSWORD)
    community.accounts.signup("bob", PASSWORD)
    with LiveServer(app) as server:
        http = client(server)
        assert login(http, "alice").status_code == 303
        yield {"server": server, "http": http, "community": community, "site": site, "db": db}


def _post(live, body, **extra):
    page = live["http"].get(f"/discussion/article/{live['site']['article']}")
    form = dict({"csrf": csrf_of(page.text), "subject_type": "article",
                 "subject_id": str(live["site"]["article"]), "body": body}, **extra)
    return live["http"].post("/comments", data=form, headers={"Accept": "application/json"})


def test_http_bad_input_gets_clear_errors(live):
    http, csrf = live["http"], csrf_of(live["http"].get("/account").text)
    assert _post(live, "").json()["error"]["message"] == "the comment is empty"
    huge = _post(live, "x" * (1 << 20))
    assert huge.status_code == 413 and "larger than 128 KB" in huge.json()["error"]["message"]
    binary = http.post("/comments", content=b"csrf=" + csrf.encode() + b"&subject_type=article&subject_id="
                       + str(live["site"]["article"]).encode() + b"&body=%FF%FE%00%01",
                       headers={"Content-Type": "application/x-www-form-urlencoded",
                                "Accept": "application/json"})
    assert binary.status_code == 400 and "not valid UTF-8" in binary.json()["error"]["message"]
    control = _post(live, "hello\x00\x07world")
    assert control.status_code == 400 and "control characters" in control.json()["error"]["message"]
    bad_parent = _post(live, "orphan", parent_id="12345")
    assert bad_parent.status_code == 404 and "no comment 12345" in bad_parent.json()["error"]["message"]
    bad_id = _post(live, "x", subject_id="1; DROP TABLE comments")
    assert bad_id.status_code == 400 and "subject_id must be a number" in bad_id.json()["error"]["message"]
    assert _count(live["db"]) == 0


def test_http_forged_user_ids_and_expired_sessions(live):
    bob = live["community"].accounts.by_name("bob")
    posted = _post(live, "Who wrote me?", user_id=str(bob.id), author="bob")
    assert posted.status_code == 201 and posted.json()["comment"]["author"] == "alice"
    http = live["http"]
    cookie = http.cookies["newsdesk_session"]
    forged = client(live["server"])
    forged.cookies.set("newsdesk_session", cookie[:-3] + ("AAA" if not cookie.endswith("AAA") else "BBB"))
    refused = forged.post("/comments", data={"csrf": "x", "subject_type": "article",
                                             "subject_id": str(live["site"]["article"]), "body": "forged"},
                          headers={"Accept": "application/json"})
    assert refused.status_code == 403   # a tampered cookie is no session at all: no CSRF token either
    csrf = csrf_of(http.get("/account").text)
    with live["db"].write() as conn:
        conn.execute(text("UPDATE user_sessions SET expires_at = :past"),
                     {"past": "2000-01-01 00:00:00.000000" if live["db"].is_sqlite else "2000-01-01T00:00:00Z"})
    expired = http.post("/comments", data={"csrf": csrf, "subject_type": "article",
                                           "subject_id": str(live["site"]["article"]), "body": "late"},
                        headers={"Accept": "application/json"})
    assert expired.status_code == 401 and "session has expired" in expired.json()["error"]["message"]
    assert _count(live["db"]) == 1


def test_http_double_submit_and_progressive_forms(live):
    first = _post(live, "Only once", idem="same-key")
    second = _post(live, "Only once", idem="same-key")
    assert first.status_code == 201 and second.status_code == 200
    assert second.json()["notice"] == "You had posted this already."
    assert _count(live["db"]) == 1
    page = live["http"].get(f"/discussion/article/{live['site']['article']}")
    no_js = live["http"].post("/comments", data={"csrf": csrf_of(page.text), "subject_type": "article",
                                                 "subject_id": str(live["site"]["article"]),
                                                 "body": "Without script", "next": "//evil.example/x"})
    assert no_js.status_code == 303
    assert no_js.headers["location"].startswith(f"/discussion/article/{live['site']['article']}#c")
    shown = live["http"].get(f"/discussion/article/{live['site']['article']}").text
    assert "Without script" in shown and "Only once" in shown
