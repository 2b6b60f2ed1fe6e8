"""A private RabbitMQ node for fault tests that SIGKILL and restart the broker.

The machine's RabbitMQ (rabbit@localhost, 5672) is shared by other work and must never be touched:
this node has its own name, ports and data folder under /tmp, and survives ``kill()`` like a crashed
server does (its data folder stays, and ``start()`` boots it again from there). Things that matter on
these machines:

- Debian's ``rabbitmq-server`` drops to the ``rabbitmq`` user when started as root, so the folder
  must belong to that user;
- ``rabbitmqctl wait PIDFILE`` waits for a node that is still booting (``await_startup`` does not);
- the management plugin comes from an ``enabled_plugins`` file of the node's own.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import requests

from tests.support.ports import free_port, port_open

SERVER = "rabbitmq-server"
CTL = "rabbitmqctl"
SHARED_NODE = "rabbit@localhost"


class PrivateBrokerUnavailable(Exception):
    """RabbitMQ's server is not installed here, or the node did not start; the message says which."""


@dataclass
class PrivateBroker:
    directory: Path
    node: str
    amqp_port: int
    management_port: int
    dist_port: int
    starts: int = 0
    kills: int = 0
    management: bool = True  # off: the node starts as a fresh Debian RabbitMQ does, without the plugin

    @property
    def amqp_uri(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.amqp_port}/"

    @property
    def management_url(self) -> str:
        return f"http://guest:guest@127.0.0.1:{self.management_port}"

    @property
    def pid_file(self) -> Path:
        return self.directory / "pid"

    @property
    def log_dir(self) -> Path:
        return self.directory / "log"

    def env(self) -> dict[str, str]:
        """The environment in which RabbitMQ's own commands act on this node."""
        return {
            **os.environ,
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_PORT": str(self.amqp_port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_MNESIA_BASE": str(self.directory / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.log_dir),
            "RABBITMQ_PID_FILE": str(self.pid_file),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.directory / "enabled_plugins"),
            "RABBITMQ_CONFIG_FILE": str(self.directory / "rabbitmq"),
        }

    def prepare(self) -> None:
        """Its folder and configuration, ready for ``rabbitmq-server`` (``start()`` does this itself)."""
        (self.directory / "mnesia").mkdir(parents=True, exist_ok=True)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        (self.directory / "enabled_plugins").write_text("[rabbitmq_management].\n" if self.management else "[].\n")
        (self.directory / "rabbitmq.conf").write_text(
            f"listeners.tcp.default = 127.0.0.1:{self.amqp_port}\n"
            f"management.tcp.port = {self.management_port}\n"
            "management.tcp.ip = 127.0.0.1\n"
        )
        if os.geteuid() == 0:
            try:
                user = pwd.getpwnam("rabbitmq")
            except KeyError:
                return
            # rabbitmq-server drops to this user when started as root: it must own its folder
            for path in [self.directory, *self.directory.rglob("*")]:
                os.chown(path, user.pw_uid, user.pw_gid)

    def start(self, timeout_s: float = 120.0) -> None:
        """Boot the node (first time or after a kill) and wait until AMQP and management answer."""
        if self.node == SHARED_NODE:
            raise RuntimeError("refusing to start the machine's shared node")
        if shutil.which(SERVER) is None or shutil.which(CTL) is None:
            raise PrivateBrokerUnavailable(f"{SERVER} is not installed")
        self.prepare()
        # a pid file left by a killed node would make `rabbitmqctl wait` watch a dead process
        self.pid_file.unlink(missing_ok=True)
        started = subprocess.run(
            [SERVER, "-detached"], cwd=self.directory, env=self.env(), capture_output=True, text=True, timeout=60
        )
        if started.returncode != 0:
            raise PrivateBrokerUnavailable(f"{SERVER} -detached failed: {started.stderr.strip()[-500:]}")
        waited = subprocess.run(
            [CTL, "-n", self.node, "wait", "--timeout", str(int(timeout_s)), str(self.pid_file)],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout_s + 10,
        )
        if waited.returncode != 0:
            raise PrivateBrokerUnavailable(
                f"node {self.node} did not start; see {self.log_dir}: {(waited.stdout + waited.stderr).strip()[-500:]}"
            )
        deadline = time.monotonic() + timeout_s
        while self.management and not self._management_answers():
            if time.monotonic() > deadline:
                raise PrivateBrokerUnavailable(
                    f"node {self.node}: management API on {self.management_port} never answered"
                )
            time.sleep(0.2)
        self.starts += 1

    def _management_answers(self) -> bool:
        try:
            response = requests.get(
                f"http://127.0.0.1:{self.management_port}/api/overview", auth=("guest", "guest"), timeout=2
            )
        except requests.RequestException:
            return False
        return response.status_code == 200

    def pid(self) -> int | None:
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        # only ever signal our own node: its environment names our node (a stale pid may be reused)
        try:
            environment = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        except OSError:
            return None
        return pid if f"RABBITMQ_NODENAME={self.node}".encode() in environment else None

    def kill(self, timeout_s: float = 30.0) -> int:
        """SIGKILL the node's VM, as a crash would, and wait until it is gone and its port closed."""
        pid = self.pid()
        if pid is None:
            raise RuntimeError(f"node {self.node} is not running")
        os.kill(pid, signal.SIGKILL)
        self.kills += 1
        deadline = time.monotonic() + timeout_s
        while Path(f"/proc/{pid}").exists() or port_open(self.amqp_port):
            if time.monotonic() > deadline:
                raise RuntimeError(f"node {self.node} (pid {pid}) still there {timeout_s}s after SIGKILL")
            time.sleep(0.1)
        return pid

    def stop(self, timeout_s: float = 60.0) -> None:
        """Stop the node gracefully and wait until it is gone; SIGKILL it if that takes too long."""
        if shutil.which(CTL) is None:
            return
        pid = self.pid()
        # also when no pid is known: a node whose start timed out may still be booting
        with suppress(subprocess.TimeoutExpired):
            subprocess.run(
                [CTL, "-n", self.node, "stop"],
                env=self.env(),
                capture_output=True,
                timeout=timeout_s if pid is not None else 20,
            )
        if pid is None:
            return
        deadline = time.monotonic() + 15
        while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        if self.pid() is not None:
            self.kill()

    def remove(self) -> None:
        """Stop the node and delete its folder."""
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)


def new_private_broker(parent: Path | None = None) -> PrivateBroker:
    """A node not yet started: a fresh folder in ``parent`` (default: the temporary folder), free ports."""
    directory = Path(tempfile.mkdtemp(prefix="plr-faults-broker-", dir=parent or tempfile.gettempdir()))
    return PrivateBroker(
        directory=directory,
        node=f"plrfaults{secrets.token_hex(3)}@localhost",
        amqp_port=free_port(),
        management_port=free_port(),
        dist_port=free_port(),
    )


@contextmanager
def private_broker(parent: Path | None = None) -> Iterator[PrivateBroker]:
    """A started node, stopped and its folder removed afterwards."""
    broker = new_private_broker(parent)
    try:
        broker.start()
        yield broker
    finally:
        broker.remove()
