"""Outgoing mail over SMTP (``smtplib``) to a configured host and port, bounded by a
timeout. Used for password-reset links; with no mailer configured the reset token is
printed by ``newsdesk reset-password`` instead."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage

from . import CommunityError


class MailError(CommunityError):
    status = 503


class Mailer:
    def __init__(self, host: str = "127.0.0.1", port: int = 25,
                 sender: str = "newsdesk@localhost", *, timeout: float = 10.0,
                 starttls: bool = False, username: str = "", password: str = ""):
        self.host, self.port, self.sender = host, port, sender
        self.timeout, self.starttls = timeout, starttls
        self.username, self.password = username, password

    def send(self, to: str, subject: str, body: str) -> None:
        for value in (to, subject, self.sender):
            if "\r" in value or "\n" in value:
                raise MailError("refusing a mail header with a line break")
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = self.sender, to, subject
        msg.set_content(body)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.username:
                    smtp.login(self.username, self.password)
                smtp.send_message(msg)
        except (OSError, smtplib.SMTPException) as exc:
            raise MailError(f"could not send mail through {self.host}:{self.port}: "
                            f"{str(exc)[:200] or type(exc).__name__}") from exc
