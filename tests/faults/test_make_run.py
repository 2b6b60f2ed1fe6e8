"""``make run``'s supervisor (``services.common.admin.local_run``) owns its processes: a second one
says that one is running, and when the supervisor is SIGKILLed (or its terminal closed) no process it
started survives it to hold the api's port.

The supervisor runs on this run's own databases and vhost, with the api on a free port and a run
lock of its own.
"""

from __future__ import annotations

import fcntl
import json
import os
import select
import signal
import socket
import subprocess
import termios
import threading
from contextlib import suppress
from pathlib import Path

import pytest

from services.common.admin.supervision import hold_run_lock
from services.common.manifest import manifests
from tests.support.infra import ROOT, Infra, plr_stack, wait_for
from tests.support.make_run import COMMAND, Run, run_env

pytestmark = pytest.mark.faults

# what `make run` starts besides its mail catcher: every api, worker and web process the manifests declare
RUN_PROCESSES = tuple(
    f"{name} {role}" for name, manifest in manifests().items() for role in manifest.roles if role != "migrate"
)


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


def wait_all_ended(pids: set[int]) -> None:
    wait_for(
        lambda: not any(alive(pid) for pid in pids),
        timeout=20,
        interval=0.2,
        message=f"every process make run started to end ({[p for p in pids if alive(p)]} alive)",
    )


def kill_leftovers(pids: set[int]) -> None:
    """Only if a test failed: never leave a process behind."""
    for pid in pids:
        if alive(pid):
            os.kill(pid, signal.SIGKILL)


def test_a_second_make_run_names_the_running_one_and_a_killed_one_leaves_no_process(
    infra: Infra, tmp_path: Path
) -> None:
    lock = tmp_path / "run.lock"
    with plr_stack(infra) as stack:
        env = run_env(stack, lock)
        supervisor = Run(env)
        children: set[int] = set()
        try:
            supervisor.wait_running()
            children = children_of(supervisor.process.pid)
            # each service's demo ran once every process was up (the registry's: its demo trust;
            # matching's: two published roles for it)
            assert supervisor.said("plr: demo trust: Onboarded trust RXX"), supervisor.output()
            assert supervisor.said("plr: demo roles of RXX: "), supervisor.output()
            assert len(children) == 1 + len(RUN_PROCESSES), (
                f"expected the mail catcher and {', '.join(RUN_PROCESSES)}, found {children}"
            )
            api_port = int(stack.settings.api("registry").target.rsplit(":", 1)[1])
            assert not port_free(api_port)

            second = subprocess.run(COMMAND, env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)

            assert second.returncode == 1
            assert f"`make run` is already running (pid {supervisor.process.pid})" in second.stderr, second.stderr
            assert children_of(supervisor.process.pid) == children, "the second run started something"

            supervisor.process.kill()
            supervisor.process.wait(timeout=10)

            wait_all_ended(children)
            wait_for(lambda: port_free(api_port), timeout=5, message=f"port {api_port} to be free")
            hold_run_lock(lock).close()  # the kernel released the killed run's lock
        finally:
            if supervisor.process.poll() is None:
                supervisor.process.kill()
            kill_leftovers(children)


def test_make_killed_with_sigkill_takes_the_supervisor_and_every_process_with_it(infra: Infra, tmp_path: Path) -> None:
    with plr_stack(infra) as stack:
        make = Run(run_env(stack, tmp_path / "run.lock"), parent=True)
        started: set[int] = set()
        try:
            make.wait_running()
            (supervisor,) = children_of(make.process.pid)
            started = {supervisor, *children_of(supervisor)}
            assert len(started) == 2 + len(RUN_PROCESSES), (
                f"expected the supervisor, the mail catcher and {', '.join(RUN_PROCESSES)}, found {started}"
            )
            api_port = int(stack.settings.api("registry").target.rsplit(":", 1)[1])

            make.process.kill()
            make.process.wait(timeout=10)

            wait_all_ended(started)
            wait_for(lambda: port_free(api_port), timeout=5, message=f"port {api_port} to be free")
            assert make.said("plr: stopped."), "the supervisor did not stop its processes in order\n" + make.output()
        finally:
            if make.process.poll() is None:
                make.process.kill()
            kill_leftovers(started)


def test_a_second_ctrl_c_kills_what_still_runs_and_prints_no_traceback(infra: Infra, tmp_path: Path) -> None:
    with plr_stack(infra) as stack:
        run = Run(run_env(stack, tmp_path / "run.lock"))
        started: set[int] = set()
        try:
            run.wait_running()
            started = children_of(run.process.pid)

            run.process.send_signal(signal.SIGINT)
            wait_for(lambda: run.said("plr: stopping"), timeout=10, interval=0.01, message="the run to stop")
            run.process.send_signal(signal.SIGINT)

            code = run.process.wait(timeout=30)
            wait_all_ended(started)
            assert not any("Traceback" in line for line in run.lines), run.output()
            assert run.said("plr: stopped."), run.output()
            assert code == 0, run.output()
        finally:
            if run.process.poll() is None:
                run.process.kill()
            kill_leftovers(started)


def test_a_process_that_fails_at_start_stops_the_run_at_once_with_exit_1_naming_it(
    infra: Infra, tmp_path: Path
) -> None:
    with plr_stack(infra) as stack:
        env = run_env(stack, tmp_path / "run.lock")
        del env["PLR_ADMIN_TOKEN"]  # the api requires it; migrations and workers do not
        run = Run(env)
        try:
            code = run.process.wait(timeout=180)

            assert code == 1, run.output()
            assert run.said("plr: registry-api exited with 2; stopping everything"), run.output()
            # the failure, not a demo onboarding that waited out its 30 s against an api long gone
            assert not run.said("plr: could not onboard the demo trust"), run.output()
            assert not run.said("plr: running"), run.output()
            child_lines = [line.split("| ", 1)[1] for line in run.lines if " | " in line]
            assert any("PLR_ADMIN_TOKEN" in line for line in child_lines), run.output()
            for line in child_lines:
                assert isinstance(json.loads(line), dict), line
        finally:
            if run.process.poll() is None:
                run.process.kill()


def test_a_closed_terminal_whose_session_leader_is_make_stops_every_process(infra: Infra, tmp_path: Path) -> None:
    """``ssh -t host make run`` or ``setsid make run``: the kernel sends SIGHUP to make alone, which
    waits for its recipe without passing it on (the stand-in's trap does the same)."""
    with plr_stack(infra) as stack:
        master, slave = os.openpty()
        make = subprocess.Popen(
            ["bash", "-c", 'trap ":" HUP; "$@"; exit $?', "make", *COMMAND],
            env=run_env(stack, tmp_path / "run.lock"),
            cwd=ROOT,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            start_new_session=True,
            preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0),  # the pty is its terminal
        )
        os.close(slave)
        screen: list[bytes] = []
        close = threading.Event()

        def read_screen() -> None:
            # the reader closes the terminal itself: a close from another thread would wait for its read
            with suppress(OSError):
                while not close.is_set():
                    if select.select([master], [], [], 0.1)[0]:
                        screen.append(os.read(master, 65536))
            os.close(master)

        reader = threading.Thread(target=read_screen, daemon=True)
        reader.start()
        started: set[int] = set()
        try:
            wait_for(
                lambda: b"plr: running" in b"".join(screen) or make.poll() is not None,
                timeout=180,
                interval=0.2,
                message="make run to be running",
            )
            assert make.poll() is None, b"".join(screen)[-3000:].decode(errors="replace")
            (supervisor,) = children_of(make.pid)
            started = {supervisor, *children_of(supervisor)}
            api_port = int(stack.settings.api("registry").target.rsplit(":", 1)[1])

            close.set()  # the terminal window is closed
            reader.join(timeout=5)

            wait_all_ended(started)
            make.wait(timeout=10)
            wait_for(lambda: port_free(api_port), timeout=5, message=f"port {api_port} to be free")
        finally:
            if make.poll() is None:
                make.kill()
            kill_leftovers(started)
