"""``deploy/local/start-servers.sh`` (run by ``make run`` and ``.ci/run``) starts what is installed and
not running, enables RabbitMQ's management plugin when it is off, and says what it did.

Each test aims the script at a private server (its own data folder and free ports); the machine's
shared PostgreSQL and RabbitMQ are never stopped or touched.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.infra import ROOT, free_port, unavailable
from tests.support.private_broker import PrivateBroker, new_private_broker

SCRIPT = ROOT / "deploy" / "local" / "start-servers.sh"
SHARED_PORTS = {5432, 5672, 15672}


def run_script(env: dict[str, str], *servers: str) -> subprocess.CompletedProcess[str]:
    ports = {int(env[name]) for name in env if name.startswith("PLR_LOCAL_") and name.endswith("_PORT")}
    assert not ports & SHARED_PORTS, "a test must never aim the script at the machine's servers"
    return subprocess.run(
        ["bash", str(SCRIPT), *servers], env=env, capture_output=True, text=True, timeout=240, check=False
    )


def port_open(port: int) -> bool:
    import socket

    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


# --- RabbitMQ


@pytest.fixture
def stopped_broker_without_management() -> Iterator[PrivateBroker]:
    if shutil.which("rabbitmq-server") is None:
        unavailable("rabbitmq-server is not installed")
    broker = new_private_broker()
    broker.management = False
    broker.prepare()
    try:
        yield broker
    finally:
        broker.remove()


def test_a_stopped_rabbitmq_is_started_and_its_management_plugin_enabled(
    stopped_broker_without_management: PrivateBroker,
) -> None:
    broker = stopped_broker_without_management
    env = {
        **broker.env(),
        "PLR_LOCAL_AMQP_PORT": str(broker.amqp_port),
        "PLR_LOCAL_AMQP_MANAGEMENT_PORT": str(broker.management_port),
    }
    assert not port_open(broker.amqp_port)

    first = run_script(env, "rabbitmq")

    assert first.returncode == 0, first.stdout + first.stderr
    assert f"RabbitMQ is not running on port {broker.amqp_port}: starting it" in first.stdout
    assert f"RabbitMQ started (port {broker.amqp_port})" in first.stdout
    assert "RabbitMQ management API is off: enabling it" in first.stdout
    assert f"RabbitMQ management API enabled (port {broker.management_port})" in first.stdout
    assert broker.pid() is not None and port_open(broker.management_port)

    again = run_script(env, "rabbitmq")

    assert again.returncode == 0, again.stdout + again.stderr
    assert again.stdout.splitlines() == [
        f"plr: RabbitMQ is running (port {broker.amqp_port})",
        f"plr: RabbitMQ management API is on (port {broker.management_port})",
    ]


def test_a_server_that_is_not_installed_is_named_and_fails() -> None:
    env = {
        **os.environ,
        "PLR_LOCAL_AMQP_PORT": str(free_port()),
        "PLR_LOCAL_AMQP_MANAGEMENT_PORT": str(free_port()),
        "PLR_LOCAL_RABBITMQ_START": "plr-no-such-command -detached",
    }

    result = run_script(env, "rabbitmq")

    assert result.returncode == 1
    assert "is not installed here (no plr-no-such-command)" in result.stdout


# --- PostgreSQL


@pytest.fixture
def stopped_postgres_cluster() -> Iterator[tuple[Path, int]]:
    """A private cluster (initdb in a folder of its own), not started; stopped and removed afterwards."""
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    if not versions:
        unavailable("PostgreSQL's server is not installed (no /usr/lib/postgresql/*/bin/initdb)")
    bin_dir = versions[-1].parent
    directory = Path(tempfile.mkdtemp(prefix="plr-start-servers-pg-"))
    port = free_port()
    as_postgres: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root
        os.chown(directory, pwd.getpwnam("postgres").pw_uid, -1)
        as_postgres = ["runuser", "-u", "postgres", "--"]
    pg_ctl = [*as_postgres, str(bin_dir / "pg_ctl"), "-D", str(directory / "data")]
    subprocess.run(
        [*as_postgres, str(bin_dir / "initdb"), "-D", str(directory / "data"), "-U", "postgres", "--auth=trust"],
        check=True,
        capture_output=True,
        timeout=120,
    )
    start = directory / "start"
    options = f"-p {port} -k {directory} -c listen_addresses=127.0.0.1"
    start.write_text(
        "#!/bin/sh\nexec " + " ".join([*pg_ctl, "-l", str(directory / "log"), "-o", f"'{options}'", "start"]) + "\n"
    )
    start.chmod(0o755)
    try:
        yield start, port
    finally:
        subprocess.run([*pg_ctl, "-m", "immediate", "stop"], capture_output=True, timeout=60, check=False)
        shutil.rmtree(directory, ignore_errors=True)


def test_a_stopped_postgresql_is_started(stopped_postgres_cluster: tuple[Path, int]) -> None:
    start, port = stopped_postgres_cluster
    env = {**os.environ, "PLR_LOCAL_PG_PORT": str(port), "PLR_LOCAL_PG_START": str(start)}
    assert not port_open(port)

    result = run_script(env, "postgresql")

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines() == [
        f"plr: PostgreSQL is not running on port {port}: starting it ({start})",
        f"plr: PostgreSQL started (port {port})",
    ]
    assert port_open(port)
