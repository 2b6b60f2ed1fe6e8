"""The local mail catcher: an SMTP server (aiosmtpd) that keeps every message it receives as a file
in a directory (``.plr/mail/`` under ``make run``), one file per message, mode 0600, and never
delivers anything. ``plr mail list`` shows them; tests read them.

    python -m services.common.admin.mail_catcher --dir .plr/mail --listen 127.0.0.1:8025
"""

from __future__ import annotations

import argparse
import email
import email.policy
import logging
import os
import signal
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from services.common.admin.private_file import open_private
from services.common.logs import configure_logging
from services.common.settings import PROJECT_ROOT

log = logging.getLogger("plr.mail_catcher")

MAIL_DIR = PROJECT_ROOT / ".plr" / "mail"
# where `make run`'s catcher listens (PLR_MAIL_CATCHER_LISTEN, e.g. for a test's own run): the
# registry's SMTP_URL setting defaults to it
LISTEN = "127.0.0.1:8025"


def catcher_listen() -> str:
    return os.environ.get("PLR_MAIL_CATCHER_LISTEN") or LISTEN


def mail_dir() -> Path:
    """Where caught mail is kept: ``PLR_MAIL_DIR``, or ``.plr/mail``."""
    return Path(os.environ.get("PLR_MAIL_DIR") or MAIL_DIR)


SUFFIX = ".eml"


class KeepInDirectory:
    """aiosmtpd's handler: each message's content, as received, in a new private file."""

    def __init__(self, directory: Path):
        self.directory = directory

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        # sortable by arrival; unique even within one microsecond
        name = f"{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}-{uuid.uuid4().hex[:8]}{SUFFIX}"
        content = envelope.content if isinstance(envelope.content, str) else envelope.content.decode("utf-8", "replace")
        with open_private(self.directory / name, newline="") as file:
            file.write(content)
        return "250 Message accepted for delivery"


def start_catcher(directory: Path, host: str, port: int) -> Any:
    """A running catcher (an aiosmtpd Controller, in a thread of its own); ``.stop()`` ends it."""
    from aiosmtpd.controller import Controller

    # aiosmtpd logs each SMTP command (the addresses among them) at INFO: no address goes into a log
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    controller = Controller(KeepInDirectory(directory), hostname=host, port=port)
    controller.start()
    return controller


@dataclass(frozen=True)
class CaughtMail:
    path: Path
    received_at: str
    sender: str
    to: str
    subject: str
    body: str


def read_mail(path: Path) -> CaughtMail:
    message = email.message_from_string(path.read_text(), policy=email.policy.default)
    body = message.get_body(preferencelist=("plain",))  # type: ignore[attr-defined]
    stamp = path.name.split("-", 1)[0]
    return CaughtMail(
        path,
        datetime.strptime(stamp, "%Y%m%dT%H%M%S%fZ").replace(tzinfo=UTC).isoformat(timespec="seconds"),
        str(message.get("From", "")),
        str(message.get("To", "")),
        str(message.get("Subject", "")),
        body.get_content() if body is not None else "",
    )


def caught(directory: Path | None = None) -> list[CaughtMail]:
    """Every message kept in ``directory`` (``mail_dir()``), oldest first (none if it does not exist)."""
    directory = directory or mail_dir()
    if not directory.is_dir():
        return []
    return [read_mail(path) for path in sorted(directory.glob(f"*{SUFFIX}")) if path.is_file()]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="keep every message sent to this SMTP server as a file")
    parser.add_argument(
        "--dir", default=str(mail_dir()), help="where the messages go (default PLR_MAIL_DIR or .plr/mail)"
    )
    parser.add_argument(
        "--listen", default=catcher_listen(), help="host:port (default PLR_MAIL_CATCHER_LISTEN or 127.0.0.1:8025)"
    )
    args = parser.parse_args(argv)
    configure_logging("mail-catcher")  # JSON lines, as every process of `make run` writes
    host, _, port = args.listen.rpartition(":")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    controller = start_catcher(Path(args.dir), host, int(port))
    log.info("mail catcher listening on %s; messages are kept in %s, never delivered", args.listen, args.dir)
    try:
        stop.wait()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
