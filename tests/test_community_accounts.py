"""Reader accounts: argon2 hashes, sessions that really end, login throttling per account
and per address, password change and reset (mailed through a real SMTP sink), account
deletion with the reader's choice for their comments, the create-admin command, and
CSRF on every form -- over a real uvicorn server on 127.0.0.1."""

from __future__ import annotations

import email
import email.policy
import re

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from newsdesk.community import AuthError, CommunityError, Conflict, RateLimited
from newsdesk.community.comments import Comments
from newsdesk.community.mail import Mailer
from test_community_support import (PASSWORD, SMTPSink, LiveServer, accounts, client, csrf_of,
                                     login, make_app, make_site, page_csrf, wait_for)


def test_passwords_are_argon2_and_usernames_unique_ignoring_case(db):
    acc = accounts(db)
    alice = acc.signup("Alice", PASSWORD, "Alice@Example.org")
    with db.read() as conn:
        stored = conn.execute(text("SELECT password_hash, email FROM users WHERE id = :id"),
                              {"id": alice.id}).one()
    assert stored[0].startswith("$argon2id$") and PASSWORD not in stored[0]
    assert stored[1] == "alice@example.org"
    with pytest.raises(Conflict):
        acc.signup("alice", PASSWORD)
    with pytest.raises(CommunityError, match="at least 10"):
        acc.signup("bob", "short")
    with pytest.raises(CommunityError, match="username"):
        acc.signup("<script>", PASSWORD)
    assert acc.authenticate("ALICE", PASSWORD).id == alice.id
    with pytest.raises(AuthError, match="wrong username or password"):
        acc.authenticate("alice", "wrong password!")
    with pytest.raises(AuthError, match="wrong username or password"):
        acc.authenticate("nobody", PASSWORD)


def test_login_throttling_per_account_and_per_address(db):
    acc = accounts(db, login_limit_user=(3, 900), login_limit_ip=(5, 900))
    acc.signup("alice", PASSWORD)
    acc.signup("bob", PASSWORD)
    for _ in range(3):
        with pytest.raises(AuthError):
            acc.authenticate("alice", "guess guess guess", ip="10.0.0.1")
    with pytest.raises(RateLimited, match="this account") as caught:   # even the right password
        acc.authenticate("alice", PASSWORD, ip="10.0.0.2")
    assert 800 < caught.value.retry_after <= 901
    assert acc.authenticate("bob", PASSWORD, ip="10.0.0.1").username == "bob"
    for name in ("carol", "dave"):          # the address keeps failing, on other accounts
        with pytest.raises(AuthError):
            acc.authenticate(name, "guess guess guess", ip="10.0.0.1")
    with pytest.raises(RateLimited, match="your address"):
        acc.authenticate("bob", PASSWORD, ip="10.0.0.1")
    assert acc.authenticate("bob", PASSWORD, ip="10.0.0.9").username == "bob"


def test_sessions_end_on_logout_expiry_and_password_change(db):
    acc = accounts(db)
    alice = acc.signup("alice", PASSWORD)
    first, second = acc.create_session(alice), acc.create_session(alice)
    assert acc.session_user(first).id == alice.id
    with db.read() as conn:   # only a hash of the token is stored
        assert conn.execute(text("SELECT count(*) FROM user_sessions WHERE token_hash = :t"),
                            {"t": first}).scalar() == 0
    acc.end_session(first)
    assert acc.session_user(first) is None
    with db.write() as conn:
        conn.execute(text("UPDATE user_sessions SET expires_at = :past"),
                     {"past": "2000-01-01 00:00:00.000000" if db.is_sqlite else "2000-01-01T00:00:00Z"})
    assert acc.session_user(second) is None
    third, fourth = acc.create_session(alice), acc.create_session(alice)
    acc.change_password(alice, PASSWORD, "a brand new password", keep_session=third)
    assert acc.session_user(third).id == alice.id and acc.session_user(fourth) is None
    with pytest.raises(AuthError):
        acc.change_password(alice, PASSWORD, "another new password")
    assert acc.authenticate("alice", "a brand new password").id == alice.id


def test_delete_account_anonymises_or_removes_comments(db):
    site = make_site(db)
    acc, comments = accounts(db), Comments(db)
    keep, gone = acc.signup("keeper", PASSWORD), acc.signup("leaver", PASSWORD)
    kept = comments.post(keep, "article", site["article"], "I stay, nameless.")[0]
    removed = comments.post(gone, "article", site["article"], "Take me with you.")[0]
    with pytest.raises(AuthError):
        acc.delete_account(keep, "wrong password!!", "anonymise")
    acc.delete_account(keep, PASSWORD, "anonymise")
    acc.delete_account(gone, PASSWORD, "remove")
    a, b = comments.get(kept.id), comments.get(removed.id)
    assert (a.user_id, a.author, a.status, a.body) == (None, "[deleted account]", "visible", "I stay, nameless.")
    assert (b.user_id, b.status, b.body) == (None, "deleted", "")
    with db.read() as conn:
        assert conn.execute(text("SELECT count(*) FROM users")).scalar() == 0
        assert conn.execute(text("SELECT count(*) FROM user_sessions")).scalar() == 0


def test_create_admin_command_reads_a_password_file(tmp_path, db_url):
    import typer
    from newsdesk.cli.community import register
    from newsdesk.cli.common import _options
    app = typer.Typer()
    app.callback()(_options)
    register(app)
    pw = tmp_path / "pw"
    pw.write_text("an admin password\n")
    runner = CliRunner()
    result = runner.invoke(app, ["--db", db_url, "create-admin", "--username", "root",
                                 "--password-file", str(pw)])
    assert result.exit_code == 0, result.output
    assert "admin root created" in result.output
    again = runner.invoke(app, ["--db", db_url, "create-admin", "--username", "root",
                                "--password-file", str(pw)])
    assert again.exit_code != 0
    from newsdesk.storage.db import Database
    db = Database.from_url(db_url)
    try:
        user = accounts(db).authenticate("root", "an admin password")
        assert user.is_admin
    finally:
        db.close()


# ----------------------------------------------------------------- over HTTP
@pytest.fixture
def live(settings, db):
    site = make_site(db)
    with SMTPSink() as sink:
        app, community = make_app(settings, db, mailer=Mailer("127.0.0.1", sink.port, "desk@example.org",
                                                                timeout=5))
        with LiveServer(app) as server:
            yield {"server": server, "sink": sink, "community": community, "site": site, "db": db}


def test_signup_logout_and_reset_by_mail(live):
    http = client(live["server"])
    page = http.get("/signup")
    assert page.headers["cache-control"] == "private, no-store"
    cookie = page.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie  # plain http
    made = http.post("/signup", data={"csrf": csrf_of(page.text), "username": "alice",
                                      "email": "alice@example.org", "password": PASSWORD, "next": "/my"})
    assert made.status_code == 303 and made.headers["location"] == "/my"
    assert "alice" in http.get("/account").text
    out = http.post("/logout", data={"csrf": page_csrf(http)})
    assert out.status_code == 303
    assert http.get("/account").status_code == 303          # logged out: back to the login form

    form = http.get("/password/forgot")
    sent = http.post("/password/forgot", data={"csrf": csrf_of(form.text), "who": "alice@example.org"})
    assert "on its way" in sent.text
    wait_for(lambda: len(live["sink"].messages) == 1)   # sent after the response
    mail = live["sink"].messages[0]
    assert mail["to"] == ["alice@example.org"] and "desk@example.org" in mail["from"]
    body = email.message_from_string(mail["data"], policy=email.policy.default).get_content()
    link = re.search(r"(/password/reset\?token=[\w-]+)", body).group(1)
    reset_page = http.get(link)
    token = link.split("=", 1)[1]
    done = http.post("/password/reset", data={"csrf": csrf_of(reset_page.text), "token": token,
                                              "password": "my new password"})
    assert done.status_code == 303
    again = http.post("/password/reset", data={"csrf": csrf_of(reset_page.text), "token": token,
                                               "password": "yet another one"})
    assert again.status_code == 401 and "invalid, used or expired" in again.text
    assert login(http, "alice", PASSWORD).status_code == 401
    assert login(http, "alice", "my new password").status_code == 303
    # unknown accounts get the same answer and no mail
    other = http.post("/password/forgot", data={"csrf": page_csrf(http, "/password/forgot"), "who": "nobody"})
    assert "on its way" in other.text and len(live["sink"].messages) == 1


def test_forms_without_the_csrf_token_are_refused(live):
    http = client(live["server"])
    csrf = csrf_of(http.get("/signup").text)
    refused = http.post("/signup", data={"username": "mallory", "password": PASSWORD})
    assert refused.status_code == 403 and "did not come from this site" in refused.text
    forged = http.post("/signup", data={"csrf": csrf + "x", "username": "mallory", "password": PASSWORD})
    assert forged.status_code == 403
    with live["db"].read() as conn:
        assert conn.execute(text("SELECT count(*) FROM users")).scalar() == 0
    http.post("/signup", data={"csrf": csrf, "username": "alice", "password": PASSWORD})
    # a cross-site form: the browser sends the cookie, but the attacker cannot know the token
    for path, data in (("/comments", {"subject_type": "article", "subject_id": str(live["site"]["article"]),
                                      "body": "forged"}),
                       ("/logout", {}), ("/account/delete", {"password": PASSWORD, "comments": "remove"}),
                       ("/follow", {"kind": "story", "target": str(live["site"]["story"])})):
        answer = http.post(path, data=dict(data, csrf="attacker-guess"), headers={"Accept": "application/json"})
        assert answer.status_code == 403, path
        assert answer.json()["error"]["code"] == "forbidden"
    with live["db"].read() as conn:
        assert conn.execute(text("SELECT count(*) FROM comments")).scalar() == 0
        assert conn.execute(text("SELECT count(*) FROM users")).scalar() == 1


def test_login_throttling_over_http(live):
    live["community"].accounts.signup("alice", PASSWORD)
    http = client(live["server"])
    statuses = [login(http, "alice", f"wrong password {n}").status_code for n in range(6)]
    assert statuses[:5] == [401] * 5 and statuses[5] == 429
    blocked = login(http, "alice", PASSWORD)
    assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) > 0
    assert "too many failed logins" in blocked.text
