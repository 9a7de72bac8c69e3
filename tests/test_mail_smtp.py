"""SMTP security and login wired from settings to a real SMTP server (aiosmtpd) on
127.0.0.1: STARTTLS, TLS from the start, AUTH only over TLS, the certificate verified
(a self-signed one issued for the test by trustme), and a clear error otherwise."""

from __future__ import annotations

import socket
import ssl

import pytest

aiosmtpd = pytest.importorskip("aiosmtpd.controller", reason="aiosmtpd is in the test extra")
trustme = pytest.importorskip("trustme", reason="trustme is in the test extra")

from aiosmtpd.controller import Controller  # noqa: E402
from aiosmtpd.smtp import AuthResult, LoginPassword  # noqa: E402

from newsdesk.community.mail import Mailer, MailError  # noqa: E402
from newsdesk.settings import Settings  # noqa: E402

USER, PASSWORD = "desk", "smtp secret"


class Inbox:
    def __init__(self):
        self.messages: list[tuple[str, list[str], str]] = []
        self.logins: list[str] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.mail_from, envelope.rcpt_tos,
                              envelope.content.decode("utf-8", "replace")))
        return "250 OK"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.login == USER.encode() \
            and auth_data.password == PASSWORD.encode()
        if ok:
            self.logins.append(mechanism)
        return AuthResult(success=ok)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def ca():
    return trustme.CA()


@pytest.fixture
def tls(ca):
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server)
    client = ssl.create_default_context()
    ca.configure_trust(client)
    return server, client


def _serve(inbox: Inbox, **options) -> Controller:
    options.setdefault("auth_require_tls", True)
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port(),
                            authenticator=inbox.authenticate, **options)
    controller.start()
    return controller


def test_starttls_and_login_from_settings(tls):
    server_ctx, client_ctx = tls
    inbox = Inbox()
    controller = _serve(inbox, tls_context=server_ctx, require_starttls=True)
    try:
        settings = Settings(smtp_host="127.0.0.1", smtp_port=controller.port, smtp_security="starttls",
                            smtp_username=USER, smtp_password=PASSWORD, smtp_from="desk@example.org")
        mailer = Mailer.from_settings(settings)
        mailer.ssl_context = client_ctx   # trusts the test CA (production: the system store)
        mailer.send("alice@example.org", "Reset", "the link")
        assert inbox.logins and inbox.messages[0][:2] == ("desk@example.org", ["alice@example.org"])
        # the certificate is verified: the system store does not know the test CA
        with pytest.raises(MailError, match="certificate verify failed|CERTIFICATE_VERIFY_FAILED"):
            Mailer.from_settings(settings).send("alice@example.org", "Reset", "the link")
        # a wrong password is a clear error, not a crash
        wrong = Mailer.from_settings(settings.with_(smtp_password="nope"))
        wrong.ssl_context = client_ctx
        with pytest.raises(MailError, match="could not send mail through 127.0.0.1"):
            wrong.send("alice@example.org", "Reset", "the link")
        assert len(inbox.messages) == 1
    finally:
        controller.stop()


def test_tls_from_the_first_byte(tls):
    server_ctx, client_ctx = tls
    inbox = Inbox()
    # aiosmtpd counts only STARTTLS as TLS for its AUTH rule; this connection is TLS throughout
    controller = _serve(inbox, server_hostname="127.0.0.1", ssl_context=server_ctx,
                        auth_require_tls=False)
    try:
        mailer = Mailer("127.0.0.1", controller.port, "desk@example.org", security="ssl",
                        username=USER, password=PASSWORD, ssl_context=client_ctx, timeout=5)
        mailer.send("bob@example.org", "Reset", "the link")
        assert inbox.logins and inbox.messages[0][1] == ["bob@example.org"]
    finally:
        controller.stop()


def test_no_password_over_a_plain_connection():
    inbox = Inbox()
    controller = _serve(inbox)
    try:
        plain = Mailer("127.0.0.1", controller.port, "desk@example.org", username=USER,
                       password=PASSWORD, timeout=5)
        with pytest.raises(MailError, match="plain connection"):
            plain.send("bob@example.org", "Reset", "the link")
        Mailer("127.0.0.1", controller.port, "desk@example.org", timeout=5).send(
            "bob@example.org", "Reset", "no login needed on this relay")
        assert [m[1] for m in inbox.messages] == [["bob@example.org"]]
    finally:
        controller.stop()


def test_the_smtp_password_is_a_secret_setting():
    shown = dict((name, value) for name, value, _ in Settings(smtp_password="hunter2").describe())
    assert shown["smtp_password"] == "********"
