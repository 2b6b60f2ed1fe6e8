"""``make run``'s supervisor (``services.common.admin.local_run``) owns its processes: a second one
says that one is running, and when the supervisor is SIGKILLed (or its terminal closed) no process it
started survives it to hold the api's port.

The supervisor runs on this run's own databases and vhost, with the api on a free port and a run
lock of its own.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from services.common.admin.supervision import hold_run_lock
from tests.support.infra import ROOT, Infra, plr_stack, wait_for

pytestmark = pytest.mark.faults


def children_of(pid: int) -> set[int]:
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


def alive(pid: int) -> bool:
    """Running (a zombie waiting for its new parent to reap it is not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def port_free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def test_a_second_make_run_names_the_running_one_and_a_killed_one_leaves_no_process(
    infra: Infra, tmp_path: Path
) -> None:
    lock = tmp_path / "run.lock"
    with plr_stack(infra) as stack:
        env = {**os.environ, **stack.env, "PLR_RUN_LOCK": str(lock), "PLR_DB_POOL_SIZE": "2"}
        command = [sys.executable, "-m", "services.common.admin.local_run"]
        supervisor = subprocess.Popen(
            command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        lines: list[str] = []
        stdout = supervisor.stdout
        assert stdout is not None
        threading.Thread(target=lambda: lines.extend(iter(stdout.readline, "")), daemon=True).start()
        children: set[int] = set()
        try:
            wait_for(
                lambda: any(line.startswith("plr: running") for line in lines) or supervisor.poll() is not None,
                timeout=180,
                interval=0.2,
                message="make run to be running",
            )
            assert supervisor.poll() is None, "".join(lines[-30:])
            # each service's demo ran once every process was up (the registry's: its demo trust)
            assert any(line.startswith("plr: demo trust: Onboarded trust RXX") for line in lines), "".join(lines)
            children = children_of(supervisor.pid)
            assert len(children) == 5, f"expected the api and four workers, found {children}"
            api_port = int(stack.settings.api("registry").target.rsplit(":", 1)[1])
            assert not port_free(api_port)

            second = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)

            assert second.returncode == 1
            assert f"`make run` is already running (pid {supervisor.pid})" in second.stderr, second.stderr
            assert children_of(supervisor.pid) == children, "the second run started something"

            supervisor.kill()
            supervisor.wait(timeout=10)

            wait_for(
                lambda: not any(alive(pid) for pid in children),
                timeout=20,
                interval=0.2,
                message=f"every process make run started to end ({[p for p in children if alive(p)]} alive)",
            )
            wait_for(lambda: port_free(api_port), timeout=5, message=f"port {api_port} to be free")
            hold_run_lock(lock).close()  # the kernel released the killed run's lock
        finally:
            if supervisor.poll() is None:
                supervisor.kill()
            for pid in children:  # only if the test failed: never leave them behind
                if alive(pid):
                    os.kill(pid, 9)
