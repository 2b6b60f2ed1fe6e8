"""Email through SMTP: the one adapter every service sends mail with.

The URL names the server: ``smtp://[user:password@]host[:port]`` (plain, as to a local relay or the
mail catcher of ``make run``), ``smtp+starttls://...`` (upgraded with STARTTLS) or ``smtps://...``
(TLS from the start). A message that cannot be sent raises ``MailNotSent`` with the kind of failure
only: an address or any content never goes into an error, hence never into a log.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from urllib.parse import unquote, urlsplit

SCHEMES = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}


class MailNotSent(Exception):
    """The server refused the message or could not be reached (the kind of failure, nothing more)."""


@dataclass(frozen=True)
class OutgoingMail:
    to: str
    subject: str
    body: str
    # stable per cause (an event id): a retry sends the same Message-ID, so a reader can tell a repeat
    message_id: str


@dataclass(frozen=True)
class SmtpServer:
    scheme: str
    host: str
    port: int
    user: str = ""
    password: str = ""


def smtp_url(raw: str) -> SmtpServer:
    """A setting's parser: the server an SMTP URL names (ValueError "expected ..." otherwise)."""
    parts = urlsplit(raw.strip())
    try:
        port = parts.port
    except ValueError:
        port = -1
    if parts.scheme not in SCHEMES or not parts.hostname or port == -1 or parts.path not in ("", "/"):
        raise ValueError("expected smtp://host:port (or smtp+starttls:// or smtps://)")
    return SmtpServer(
        parts.scheme,
        parts.hostname,
        port or SCHEMES[parts.scheme],
        unquote(parts.username or ""),
        unquote(parts.password or ""),
    )


def web_address(raw: str) -> str:
    """A setting's parser: the http(s) address links in a message lead to, without a trailing slash
    (ValueError "expected ..." otherwise)."""
    parts = urlsplit(raw.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ValueError("expected http(s)://host[:port][/path]")
    return raw.strip().rstrip("/")


class SmtpMailer:
    """Sends each message on a connection of its own (mail is rare: nothing to keep open)."""

    def __init__(self, server: SmtpServer, sender: str, timeout_s: float = 10.0):
        self.server = server
        self.sender = sender
        self.timeout_s = timeout_s

    def send(self, mail: OutgoingMail) -> None:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = mail.to
        message["Subject"] = mail.subject
        message["Date"] = formatdate(localtime=False, usegmt=True)
        message["Message-ID"] = f"<{mail.message_id}@plr>"
        message.set_content(mail.body)
        try:
            with self._connect() as smtp:
                smtp.send_message(message)
        except (smtplib.SMTPException, OSError) as error:
            # the kind only: an SMTP error's text may repeat the addresses
            raise MailNotSent(f"the SMTP server did not take the message: {type(error).__name__}") from None

    def _connect(self) -> smtplib.SMTP:
        server = self.server
        if server.scheme == "smtps":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                server.host, server.port, timeout=self.timeout_s, context=ssl.create_default_context()
            )
        else:
            smtp = smtplib.SMTP(server.host, server.port, timeout=self.timeout_s)
            if server.scheme == "smtp+starttls":
                smtp.starttls(context=ssl.create_default_context())
        if server.user:
            smtp.login(server.user, server.password)
        return smtp
