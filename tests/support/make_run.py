"""``make run``'s supervisor as a test runs it: on a stack's own databases and vhost, with its output
collected line by line."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

from tests.support.infra import ROOT, PlrStack, wait_for
from tests.support.ports import free_port

COMMAND = [sys.executable, "-m", "services.common.admin.local_run"]


class Run:
    """The supervisor, its output collected line by line; under a parent that stays, as make does
    (a shell running it as one command of two never execs it), when ``parent`` is set."""

    def __init__(self, env: dict[str, str], parent: bool = False):
        command = ["bash", "-c", '"$@"; exit $?', "make", *COMMAND] if parent else COMMAND
        self.process = subprocess.Popen(
            command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        self.lines: list[str] = []
        stdout = self.process.stdout
        assert stdout is not None
        threading.Thread(target=lambda: self.lines.extend(iter(stdout.readline, "")), daemon=True).start()

    def said(self, text: str) -> bool:
        return any(line.startswith(text) for line in self.lines)

    def output(self) -> str:
        return "".join(self.lines[-30:])

    def wait_running(self) -> None:
        wait_for(
            lambda: self.said("plr: running") or self.process.poll() is not None,
            timeout=180,
            interval=0.2,
            message="make run to be running",
        )
        assert self.process.poll() is None, self.output()


def run_env(stack: PlrStack, lock: Path) -> dict[str, str]:
    """The stack's settings for a `make run` of its own, which starts its own mail catcher: on a port of
    its own (the stack's catcher holds the stack's), and every SMTP setting following it as by default."""
    env = {**os.environ, **stack.env, "PLR_RUN_LOCK": str(lock), "PLR_DB_POOL_SIZE": "2"}
    env["PLR_MAIL_CATCHER_LISTEN"] = f"127.0.0.1:{free_port()}"
    for name in ("PLR_REGISTRY_SMTP_URL", "PLR_PORTAL_SMTP_URL"):
        env.pop(name, None)
    return env
