"""A private PostgreSQL cluster for fault tests that SIGKILL and restart the database.

The machine's PostgreSQL (5432) is shared by other work and must never be touched: this cluster has
its own data folder under /tmp and a free port, and survives ``kill()`` as after a crash (its data
folder stays; ``start()`` runs crash recovery from it). Things that matter on these machines:

- ``initdb`` and ``postgres`` refuse to run as root: as root, they run as the ``postgres`` user, who
  must own the folder;
- after a SIGKILL of the postmaster, its backends exit by themselves a moment later, and a new
  postmaster refuses to start while any is still attached to the old shared memory: wait for them.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from tests.support.ports import free_port, port_open


class PrivatePostgresUnavailable(Exception):
    """PostgreSQL's server binaries are not installed here, or the cluster did not start."""


def _bin_dir() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name.split(".")[0]))
    return found[-1] if found else None


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


@dataclass
class PrivatePostgres:
    directory: Path
    port: int
    bin_dir: Path
    starts: int = 0
    kills: int = 0

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    @property
    def data(self) -> Path:
        return self.directory / "data"

    def _run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        user = "postgres" if os.geteuid() == 0 else None
        return subprocess.run(
            [str(self.bin_dir / args[0]), *args[1:]], user=user, capture_output=True, text=True, timeout=timeout
        )

    def start(self, timeout_s: float = 60.0) -> None:
        """Start the cluster (initialising it the first time) and wait until it accepts connections."""
        if not (self.data / "PG_VERSION").exists():
            if os.geteuid() == 0:
                os.chown(self.directory, pwd.getpwnam("postgres").pw_uid, -1)
            made = self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "--no-sync")
            if made.returncode != 0:
                raise PrivatePostgresUnavailable(f"initdb failed: {made.stderr.strip()[-500:]}")
        options = (
            f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c max_connections=80 "
            "-c fsync=off -c shared_buffers=32MB"  # a test cluster: a crash of the process, not the machine
        )
        started = self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.directory / "log"), "-o", options, "-w",
            "-t", str(int(timeout_s)), "start", timeout=timeout_s + 10,
        )  # fmt: skip
        if started.returncode != 0:
            raise PrivatePostgresUnavailable(f"did not start (see {self.directory / 'log'}): {started.stdout[-300:]}")
        self.starts += 1

    def pid(self) -> int | None:
        try:
            pid = int((self.data / "postmaster.pid").read_text().splitlines()[0])
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
        except (OSError, ValueError, IndexError):
            return None
        # only ever signal our own cluster (a stale pid may have been reused)
        return pid if str(self.data).encode() in command else None

    def kill(self, timeout_s: float = 30.0) -> int:
        """SIGKILL the postmaster, as a crash would; wait until it, its backends and its port are gone."""
        pid = self.pid()
        if pid is None:
            raise RuntimeError(f"the private PostgreSQL in {self.directory} is not running")
        backends = _children(pid)
        os.kill(pid, signal.SIGKILL)
        self.kills += 1
        deadline = time.monotonic() + timeout_s
        while any(Path(f"/proc/{p}").exists() for p in [pid, *backends]) or port_open(self.port):
            if time.monotonic() > deadline:
                raise RuntimeError(f"the private PostgreSQL (pid {pid}) still there {timeout_s}s after SIGKILL")
            time.sleep(0.05)
        return pid

    def remove(self) -> None:
        """Stop the cluster at once and delete its folder."""
        if self.pid() is not None:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "stop")
        shutil.rmtree(self.directory, ignore_errors=True)


def new_private_postgres() -> PrivatePostgres:
    bin_dir = _bin_dir()
    if bin_dir is None or not (bin_dir / "pg_ctl").exists():
        raise PrivatePostgresUnavailable("PostgreSQL's server binaries are not under /usr/lib/postgresql/*/bin")
    directory = Path(tempfile.mkdtemp(prefix="plr-private-pg-", dir="/tmp"))
    return PrivatePostgres(directory, free_port(), bin_dir)
