"""What ``make run`` needs to own its processes: children that die with it, and one run at a time.

A child started in a session of its own (so that Ctrl-C reaches the supervisor only, which then
stops everything in order) would outlive a supervisor killed with SIGKILL or a closed terminal and
keep its port. ``die_with_parent`` asks the kernel to signal the child when the supervisor dies,
however it dies. The run lock is an ``flock``: the kernel releases it when its holder dies, so a
killed run never leaves a stale lock behind.
"""

from __future__ import annotations

import ctypes
import fcntl
import os
import signal
from pathlib import Path
from typing import IO

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
# loaded here, not in the forked child, where only async-signal-safe work belongs
_libc = ctypes.CDLL(None, use_errno=True)


class AlreadyRunning(Exception):
    """Another run holds the lock; ``pid`` is its process id as it wrote it (None if unreadable)."""

    def __init__(self, pid: int | None):
        super().__init__(pid)
        self.pid = pid


def die_with_parent(signum: int = signal.SIGTERM) -> None:
    """A ``preexec_fn``: the kernel sends ``signum`` to this child when its parent dies.

    Linux only. If the parent died before the request took effect, the child stops at once."""
    parent = os.getppid()
    if _libc.prctl(PR_SET_PDEATHSIG, signum, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    if os.getppid() != parent:
        os.kill(os.getpid(), signum)


def hold_run_lock(path: Path) -> IO[str]:
    """Take the run lock (and write our pid in it), or raise AlreadyRunning naming the holder.

    Keep the returned file open for as long as the run lasts. It is not inherited by children
    (Python opens files close-on-exec), so an orphan could never hold it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        text = handle.read().strip()
        handle.close()
        raise AlreadyRunning(int(text) if text.isdigit() else None) from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"{os.getpid()}\n")
    handle.flush()
    return handle


def controlling_terminal() -> int | None:
    """A descriptor of this process's controlling terminal, or None when it has none (CI, a service)."""
    try:
        return os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY)  # not inherited by children (PEP 446)
    except OSError:
        return None


def hung_up(terminal: int) -> bool:
    """Whether the terminal was closed. The kernel sends SIGHUP to its session leader only: ``make``,
    when it was started as ``ssh -t host make run`` or ``setsid make run``, and make waits for its
    recipe without passing the signal on. Once hung up, every operation on the terminal fails."""
    try:
        os.tcgetpgrp(terminal)
    except OSError:
        return True
    return False
