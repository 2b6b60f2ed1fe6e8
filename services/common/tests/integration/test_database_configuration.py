"""A database that refuses a process's connection for its configuration (a role, password or database
that does not exist) is not an outage: retrying does not help until an administrator fixes it. The api
answers UNAVAILABLE without naming what was refused; `plr` exits 1 (not 75) naming the setting to check;
a consumer never counts it against a message. The errors are the real ones, from the shared PostgreSQL
(connecting as a role or to a database that does not exist, which changes nothing)."""

from __future__ import annotations

import logging
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import grpc
import psycopg2
import pytest
import sqlalchemy as sa
from plr.registry.v1 import registry_pb2 as pb
from plr.registry.v1 import registry_pb2_grpc

from services.common.admin.console import EXIT_FAILED
from services.common.db import is_database_fault, is_db_configuration_error, is_transient_db_error, make_engine
from services.common.events import CloudEvent
from services.common.grpc_client import bearer
from services.common.grpc_server import MISCONFIGURED_DATABASE_KEY, UNAVAILABLE_DATABASE_KEY, database_status
from services.common.inbox import DeadLetter, InboxConsumer, OutageOutlasted
from services.common.settings import load_settings
from services.registry.entrypoints.api import build_server
from tests.support.infra import SERVICES, Infra

pytestmark = pytest.mark.integration

MISSING = "plr_missing_" + secrets.token_hex(4)


def _server_url(infra: Infra, user: str, database: str) -> str:
    server = sa.engine.make_url(infra.pg_admin_url)
    return f"postgresql://{user}@{server.host}:{server.port or 5432}/{database}"


def _refusals(infra: Infra) -> dict[str, str]:
    return {
        "a role that does not exist": _server_url(infra, MISSING, "postgres"),
        "a database that does not exist": _server_url(infra, "postgres", MISSING),
    }


def _driver_error(url: str) -> psycopg2.OperationalError:
    with pytest.raises(psycopg2.OperationalError) as raised:
        psycopg2.connect(url, connect_timeout=5)
    return raised.value


def _engine_error(url: str) -> sa.exc.OperationalError:
    engine = make_engine(url, connect_timeout_s=5)
    try:
        with pytest.raises(sa.exc.OperationalError) as raised, engine.connect():
            pass
    finally:
        engine.dispose()
    return raised.value


@pytest.mark.parametrize("what", ["a role that does not exist", "a database that does not exist"])
def test_a_connection_refused_for_its_configuration_is_not_transient(infra: Infra, what: str) -> None:
    url = _refusals(infra)[what]
    for error in (_driver_error(url), _engine_error(url)):
        assert "does not exist" in str(error)  # the server's own message, as it is
        assert is_db_configuration_error(error) and is_database_fault(error)
        assert not is_transient_db_error(error)
        code, detail = database_status(error, "registry") or (None, "")
        assert code == grpc.StatusCode.UNAVAILABLE
        assert detail == "registry database refused the connection: check its configuration"
        assert MISSING not in detail  # what was refused is for the api's log, not for its caller


@pytest.mark.parametrize(
    "message",
    [
        'connection to server at "db", port 5432 failed: FATAL:  password authentication failed for user "plr"\n',
        'connection to server at "db", port 5432 failed: FATAL:  permission denied for database "plr_registry"\n'
        "DETAIL:  User does not have CONNECT privilege.\n",
        'connection to server at "db", port 5432 failed: FATAL:  role "plr" is not permitted to log in\n',
    ],
    ids=["wrong-password", "no-connect-privilege", "cannot-log-in"],
)
def test_the_servers_other_refusals_of_who_connects_are_configuration_errors(message: str) -> None:
    """The shared server trusts every local connection, so these are the server's messages as written."""
    error = sa.exc.OperationalError("SELECT 1", {}, psycopg2.OperationalError(message))
    assert is_db_configuration_error(error) and not is_transient_db_error(error)


def test_a_server_that_cannot_be_reached_is_still_an_outage_and_not_a_configuration_error(infra: Infra) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    error = _engine_error(f"postgresql://postgres@127.0.0.1:{port}/postgres")
    assert is_transient_db_error(error) and not is_db_configuration_error(error)


def test_a_consumer_never_counts_a_refused_connection_against_the_message(infra: Infra) -> None:
    engine = make_engine(_refusals(infra)["a role that does not exist"], connect_timeout_s=5)
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    consumer = InboxConsumer(
        name="configuration-test",
        engine=engine,
        handlers={},
        transient_budget_s=10.0,
        sleep=sleep,
        clock=lambda: now[0],
    )
    event = CloudEvent(
        type="plr.diagnostics.probe.recorded.v1",
        source="plr/diagnostics",
        data={},
        aggregate_type="probe",
        aggregate_id="p-1",
        aggregate_version=1,
    )
    try:
        for _ in range(consumer.max_handler_attempts + 1):
            with pytest.raises(OutageOutlasted):
                try:
                    consumer._process_event(event)
                except DeadLetter:  # pragma: no cover - the failure this test exists to catch
                    pytest.fail("a refused role dead-lettered the message")
    finally:
        engine.dispose()
    assert consumer.stats.handler_failures == 0 and consumer.stats.dead_lettered == 0


@pytest.fixture
def misconfigured_env(infra: Infra) -> Iterator[dict[str, str]]:
    """Every service's database URL names a role that does not exist, and a registry api serves them."""
    env = {
        "PLR_ENV_FILE": "/nonexistent/plr.env",
        "PLR_AMQP_URI": "amqp://guest:guest@127.0.0.1:5672/%2Fplr-unused",
        "PLR_AMQP_MANAGEMENT_URL": "http://guest:guest@127.0.0.1:15672",
        "PLR_ADMIN_TOKEN": secrets.token_urlsafe(32),
    }
    for service in SERVICES:
        env[f"PLR_DATABASE_URL_{service.upper()}"] = _server_url(infra, MISSING, f"plr_{service}")
    server = build_server(load_settings(env), "127.0.0.1:0")
    server.start()
    env["PLR_REGISTRY_API_TARGET"] = f"127.0.0.1:{server.port}"
    yield env
    server.stop(grace_s=1)


def test_the_api_answers_unavailable_and_logs_the_refusal_as_an_error(
    misconfigured_env: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    with (
        caplog.at_level(logging.WARNING, logger="services.common.grpc_server"),
        grpc.insecure_channel(misconfigured_env["PLR_REGISTRY_API_TARGET"]) as channel,
        pytest.raises(grpc.RpcError) as raised,
    ):
        registry_pb2_grpc.RegistryServiceStub(channel).CreateTrust(
            pb.CreateTrustRequest(ods="RCF", name="X NHS Trust"),
            metadata=bearer(misconfigured_env["PLR_ADMIN_TOKEN"]),
            timeout=10,
        )
    assert raised.value.code() == grpc.StatusCode.UNAVAILABLE
    assert raised.value.details() == "registry database refused the connection: check its configuration"
    assert isinstance(raised.value, grpc.Call)
    trailing = dict(raised.value.trailing_metadata() or ())
    assert trailing.get(MISCONFIGURED_DATABASE_KEY) == "registry" and UNAVAILABLE_DATABASE_KEY not in trailing
    logged = [r for r in caplog.records if "CreateTrust" in r.getMessage()]
    assert logged and all(r.levelno == logging.ERROR for r in logged)
    assert any(MISSING in r.getMessage() for r in logged)  # the administrator's log names the role


def _plr(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(Path(sys.executable).parent / "plr"), *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_plr_exits_1_naming_the_configuration_to_check_not_the_try_again_code(
    misconfigured_env: dict[str, str],
) -> None:
    through_the_api = _plr(misconfigured_env, "trust", "onboard", "--ods", "RCF", "--name", "X NHS Trust")
    assert through_the_api.returncode == EXIT_FAILED == 1, through_the_api.stderr
    assert "plr: the registry database refused the connection: check its configuration" in through_the_api.stderr
    assert "PLR_DATABASE_URL_REGISTRY" in through_the_api.stderr and "try again" not in through_the_api.stderr
    direct = _plr(misconfigured_env, "trust", "list", "--service", "matching")
    assert direct.returncode == 1, direct.stderr
    assert "plr: the matching database refused the connection: check its configuration" in direct.stderr
    assert f'role "{MISSING}" does not exist' in direct.stderr  # plr reads it itself: the administrator's own
    outbox = _plr(misconfigured_env, "outbox", "status")
    assert outbox.returncode == 1 and "Traceback" not in outbox.stderr
    for service in SERVICES:
        assert f"plr: the {service} database refused the connection" in outbox.stderr
    health = _plr(misconfigured_env, "health")
    assert health.returncode == 1 and "Traceback" not in health.stderr, health.stderr
    assert "FAIL  matching worker: the matching database refused the connection" in health.stdout
