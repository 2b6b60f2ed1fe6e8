"""The SMTP adapter and the local mail catcher: a message sent lands as one private file; a failure
says its kind and never an address."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from services.common.admin.mail_catcher import caught, start_catcher
from services.common.mail import MailNotSent, OutgoingMail, SmtpMailer, SmtpServer, smtp_url
from tests.support.infra import ROOT, wait_for
from tests.support.ports import free_port, port_open

LETTER = OutgoingMail("ada@example.org", "Hello Ada", "Dear Ada,\n\nA line.\n", message_id="event-1")


@pytest.mark.parametrize(
    ("url", "server"),
    [
        ("smtp://127.0.0.1:8025", SmtpServer("smtp", "127.0.0.1", 8025)),
        ("smtps://mail.example.org", SmtpServer("smtps", "mail.example.org", 465)),
        ("smtp+starttls://u%40x:p@relay:587", SmtpServer("smtp+starttls", "relay", 587, "u@x", "p")),
    ],
)
def test_an_smtp_url_names_its_server(url: str, server: SmtpServer) -> None:
    assert smtp_url(url) == server


@pytest.mark.parametrize("url", ["http://host:25", "smtp://", "smtp://host:notaport", "smtp://host:25/path", ""])
def test_a_malformed_smtp_url_is_refused_saying_what_is_expected(url: str) -> None:
    with pytest.raises(ValueError, match="expected smtp://host:port"):
        smtp_url(url)


def test_a_message_lands_in_the_catcher_as_one_private_file(tmp_path: Path) -> None:
    port = free_port()
    catcher = start_catcher(tmp_path / "mail", "127.0.0.1", port)
    try:
        SmtpMailer(smtp_url(f"smtp://127.0.0.1:{port}"), "PLR <no-reply@plr.invalid>").send(LETTER)
    finally:
        catcher.stop()
    [mail] = caught(tmp_path / "mail")
    assert (mail.to, mail.subject, mail.body, mail.sender) == (
        "ada@example.org",
        "Hello Ada",
        LETTER.body,
        "PLR <no-reply@plr.invalid>",
    )
    assert mail.path.stat().st_mode & 0o777 == 0o600
    assert "Message-ID: <event-1@plr>" in mail.path.read_text()


def test_a_message_that_cannot_be_sent_says_the_kind_of_failure_and_no_address() -> None:
    with pytest.raises(MailNotSent) as failed:
        SmtpMailer(smtp_url(f"smtp://127.0.0.1:{free_port()}"), "PLR <no-reply@plr.invalid>", timeout_s=2).send(LETTER)
    assert "ConnectionRefusedError" in str(failed.value) and "ada" not in str(failed.value)


def test_the_catcher_runs_as_a_process_and_stops_on_sigterm(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "PLR_MAIL_CATCHER_LISTEN": f"127.0.0.1:{port}", "PLR_MAIL_DIR": str(tmp_path)}
    process = subprocess.Popen(
        [sys.executable, "-m", "services.common.admin.mail_catcher"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_for(lambda: port_open(port), timeout=20, message="the mail catcher to listen")
        SmtpMailer(smtp_url(f"smtp://127.0.0.1:{port}"), "PLR <no-reply@plr.invalid>").send(LETTER)
        assert [m.subject for m in caught(tmp_path)] == ["Hello Ada"]
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=10)
    assert process.returncode == 0
    lines = output.splitlines()
    assert lines and all(isinstance(json.loads(line), dict) for line in lines), output  # JSON, as every process
    assert "ada@example.org" not in output and "Hello Ada" not in output
