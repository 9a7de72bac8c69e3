"""Outgoing mail over SMTP (``smtplib``) to a configured host and port, bounded by a
timeout. Used for password-reset links; with no mailer configured the reset token is
printed by ``newsdesk reset-password`` instead.

``security``: "none" (plain, for a relay on this machine), "starttls" (upgrade a plain
connection, usually port 587) or "ssl" (TLS from the first byte, usually port 465). The
server's certificate is verified against the system's trust store, or ``ssl_context``'s
(tests). With a ``username``, the mailer logs in, and refuses to do so over a connection
that is not encrypted (the password would cross the network in clear).
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage

from . import CommunityError

SECURITY = ("none", "starttls", "ssl")


class MailError(CommunityError):
    status = 503


class Mailer:
    def __init__(self, host: str = "127.0.0.1", port: int = 25,
                 sender: str = "newsdesk@localhost", *, timeout: float = 10.0,
                 security: str = "none", username: str = "", password: str = "",
                 ssl_context: ssl.SSLContext | None = None):
        if security not in SECURITY:
            raise MailError(f"unknown SMTP security {security!r}: use one of {', '.join(SECURITY)}")
        self.host, self.port, self.sender = host, port, sender
        self.timeout, self.security = timeout, security
        self.username, self.password = username, password
        self.ssl_context = ssl_context

    @classmethod
    def from_settings(cls, settings) -> "Mailer":
        return cls(settings.smtp_host, settings.smtp_port, settings.smtp_from,
                   security=settings.smtp_security, username=settings.smtp_username,
                   password=settings.smtp_password)

    def send(self, to: str, subject: str, body: str) -> None:
        for value in (to, subject, self.sender):
            if "\r" in value or "\n" in value:
                raise MailError("refusing a mail header with a line break")
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = self.sender, to, subject
        msg.set_content(body)
        context = self.ssl_context or ssl.create_default_context()
        try:
            if self.security == "ssl":
                smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            with smtp:
                if self.security == "starttls":
                    smtp.starttls(context=context)
                if self.username:
                    if self.security == "none":
                        raise MailError("refusing to send the SMTP password over a plain "
                                        "connection: set smtp_security to starttls or ssl")
                    smtp.login(self.username, self.password)
                smtp.send_message(msg)
        except (OSError, smtplib.SMTPException) as exc:
            raise MailError(f"could not send mail through {self.host}:{self.port}: "
                            f"{str(exc)[:200] or type(exc).__name__}") from exc
