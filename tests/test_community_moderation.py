"""Moderation: the queue (spam, pre-moderation, reports), approve / hide / ban with the
reason kept in the audit log, and who may do what."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from newsdesk.community import AuthError, CommunityError, Forbidden
from newsdesk.community.comments import Comments
from newsdesk.community.moderation import Moderation
from newsdesk.community.spam import SpamFilter
from test_community_support import PASSWORD, accounts, make_site


@pytest.fixture
def world(db):
    site = make_site(db)
    acc = accounts(db)
    mod = acc.set_role(acc.signup("mod", PASSWORD).id, "moderator")
    admin = acc.set_role(acc.signup("root", PASSWORD).id, "admin")
    return dict(site, db=db, accounts=acc, mod=mod, admin=admin, alice=acc.signup("alice", PASSWORD),
                bob=acc.signup("bob", PASSWORD), carol=acc.signup("carol", PASSWORD),
                comments=Comments(db, spam=SpamFilter(banned_words=["scam"]), report_threshold=2),
                moderation=Moderation(db))


def test_reports_fill_the_queue_and_hold_the_comment_at_the_threshold(world):
    c, m = world["comments"], world["moderation"]
    target = c.post(world["alice"], "article", world["article"], "A spicy take")[0]
    assert c.report(world["bob"], target.id, "insulting") is True
    assert c.report(world["bob"], target.id, "again") is False        # one report per reader
    with pytest.raises(CommunityError, match="your own comment"):
        c.report(world["alice"], target.id, "me")
    with pytest.raises(CommunityError, match="say why"):
        c.report(world["carol"], target.id, "  ")
    queue = m.queue(world["mod"])
    assert [(q["id"], q["status"]) for q in queue] == [(target.id, "visible")]
    assert queue[0]["reports"] == [{"reason": "insulting", "by": "bob"}]
    c.report(world["carol"], target.id, "off-topic")
    assert c.get(target.id).status == "pending"   # held until a moderator decides
    m.approve(world["mod"], target.id, "robust but fair")
    assert c.get(target.id).status == "visible" and m.queue(world["mod"]) == []


def test_hide_and_ban_are_logged_with_their_reasons(world):
    c, m, acc = world["comments"], world["moderation"], world["accounts"]
    spam = c.post(world["alice"], "article", world["article"], "great scam here")[0]
    assert spam.status == "pending" and m.queue(world["mod"])[0]["spam_reasons"] == "banned words: scam"
    with pytest.raises(CommunityError, match="give a reason"):
        m.hide(world["mod"], spam.id, "")
    m.hide(world["mod"], spam.id, "advertising")
    session = acc.create_session(world["alice"])
    pending = c.post(world["alice"], "article", world["article"], "another scam")[0]
    m.ban(world["mod"], world["alice"].id, "repeat spammer")
    assert c.get(pending.id).status == "hidden"
    assert acc.session_user(session) is None
    with pytest.raises(Forbidden, match="banned"):
        c.post(world["alice"], "article", world["article"], "let me back in")
    with pytest.raises(Forbidden, match="banned"):
        acc.authenticate("alice", PASSWORD)
    log = m.log(world["mod"])
    assert [(e["action"], e["target_type"], e["reason"], e["moderator_name"]) for e in log] == [
        ("ban", "user", "repeat spammer", "mod"), ("hide", "comment", "advertising", "mod")]
    roots, _ = c.thread("article", world["article"], world["bob"])
    assert roots == []   # hidden comments without replies are gone for readers
    assert [r.status for r in c.thread("article", world["article"], world["mod"])[0]] == ["hidden", "hidden"]


def test_only_moderators_moderate_and_only_admins_ban_moderators(world):
    c, m = world["comments"], world["moderation"]
    target = c.post(world["alice"], "article", world["article"], "hello")[0]
    for action in (lambda: m.hide(world["bob"], target.id, "no"), lambda: m.queue(world["bob"]),
                   lambda: m.ban(world["bob"], world["alice"].id, "no")):
        with pytest.raises(Forbidden):
            action()
    with pytest.raises(Forbidden, match="only an admin"):
        m.ban(world["mod"], world["admin"].id, "coup")
    with pytest.raises(CommunityError, match="yourself"):
        m.ban(world["mod"], world["mod"].id, "oops")
    m.set_role(world["admin"], world["bob"].id, "moderator", "trusted reader")
    assert world["accounts"].get(world["bob"].id).role == "moderator"
    with world["db"].read() as conn:
        assert conn.execute(text("SELECT count(*) FROM moderation_log")).scalar() == 1
    with pytest.raises(AuthError):
        world["accounts"].authenticate("mod", "not the password")
