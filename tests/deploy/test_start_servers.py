"""``deploy/local/start-servers.sh`` (run by ``make run`` and ``.ci/run``) starts what is installed and
not running, enables RabbitMQ's management plugin when it is off, and says what it did.

Each test aims the script at a private server (its own data folder and free ports); the machine's
shared PostgreSQL and RabbitMQ are never stopped or touched.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.infra import ROOT, free_port, unavailable
from tests.support.private_broker import PrivateBroker, new_private_broker
from tests.support.private_postgres import PrivatePostgres, PrivatePostgresUnavailable, new_private_postgres

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
def stopped_postgres() -> Iterator[PrivatePostgres]:
    """A private cluster, initialised, then SIGKILLed (as after a crash); removed afterwards."""
    try:
        postgres = new_private_postgres()
        postgres.start()
    except PrivatePostgresUnavailable as error:
        unavailable(f"no private PostgreSQL: {error}")
    try:
        postgres.kill()
        yield postgres
    finally:
        postgres.remove()


def test_a_stopped_postgresql_is_started(stopped_postgres: PrivatePostgres, tmp_path: Path) -> None:
    # the script runs the command it is given: here, one that starts the private cluster
    start = tmp_path / "start-private-postgres"
    start.write_text(
        f"#!/bin/sh\ncd {ROOT} && exec {sys.executable} -c 'from pathlib import Path; "
        "from tests.support.private_postgres import PrivatePostgres; "
        f'PrivatePostgres(Path("{stopped_postgres.directory}"), {stopped_postgres.port}, '
        f'Path("{stopped_postgres.bin_dir}")).start()\'\n'
    )
    start.chmod(0o755)
    port = stopped_postgres.port
    env = {**os.environ, "PLR_LOCAL_PG_PORT": str(port), "PLR_LOCAL_PG_START": str(start)}
    assert not port_open(port)

    result = run_script(env, "postgresql")

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines() == [
        f"plr: PostgreSQL is not running on port {port}: starting it ({start})",
        f"plr: PostgreSQL started (port {port})",
    ]
    assert stopped_postgres.pid() is not None and port_open(port)
