"""The registry api when its database cannot be reached or is too slow: UNAVAILABLE or
DEADLINE_EXCEEDED naming the registry's database, never INTERNAL, and `plr` says to try again."""

from __future__ import annotations

import dataclasses
import json
import os
import secrets
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
import sqlalchemy as sa
from plr.registry.v1 import registry_pb2 as pb
from plr.registry.v1 import registry_pb2_grpc

from services.common.admin.cli import EXIT_TRY_AGAIN
from services.common.grpc_client import bearer
from services.common.grpc_server import UNAVAILABLE_DATABASE_KEY
from services.common.settings import load_settings
from services.registry.entrypoints.api import build_server
from tests.support.infra import SERVICES, PlrStack


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def unreachable_env() -> Iterator[dict[str, str]]:
    """Settings whose databases are all on a closed port, and a registry api serving them."""
    port = _closed_port()
    env = {
        "PLR_ENV_FILE": "/nonexistent/plr.env",
        "PLR_AMQP_URI": "amqp://guest:guest@127.0.0.1:5672/%2Fplr-unused",
        "PLR_AMQP_MANAGEMENT_URL": "http://guest:guest@127.0.0.1:15672",
        "PLR_ADMIN_TOKEN": secrets.token_urlsafe(32),
        "PLR_DB_CONNECT_TIMEOUT_S": "2",
    }
    for service in SERVICES:
        env[f"PLR_DATABASE_URL_{service.upper()}"] = f"postgresql://plr_app@127.0.0.1:{port}/plr_{service}"
    server = build_server(load_settings(env), "127.0.0.1:0")
    server.start()
    env["PLR_REGISTRY_API_TARGET"] = f"127.0.0.1:{server.port}"
    yield env
    server.stop(grace_s=1)


def _trailing(error: grpc.RpcError) -> dict[str, str]:
    assert isinstance(error, grpc.Call)
    return {key: value for key, value in error.trailing_metadata() or ()}


def test_the_api_answers_unavailable_naming_its_database_when_the_database_is_unreachable(
    unreachable_env: dict[str, str],
) -> None:
    with grpc.insecure_channel(unreachable_env["PLR_REGISTRY_API_TARGET"]) as channel:
        stub = registry_pb2_grpc.RegistryServiceStub(channel)
        calls = {
            "an administrator's write": lambda: stub.CreateTrust(
                pb.CreateTrustRequest(ods="RXX", name="X NHS Trust"),
                metadata=bearer(unreachable_env["PLR_ADMIN_TOKEN"]),
                timeout=10,
            ),
            # a trust's key is looked up in the database before the method runs
            "a trust key's read": lambda: stub.GetTrust(
                pb.GetTrustRequest(), metadata=bearer("plrk_aaaaaaaaaaaaaaaa." + "s" * 43), timeout=10
            ),
        }
        for what, call in calls.items():
            with pytest.raises(grpc.RpcError) as raised:
                call()
            assert raised.value.code() == grpc.StatusCode.UNAVAILABLE, what
            assert raised.value.details() == "registry database unavailable; the call may be retried", what
            trailing = _trailing(raised.value)
            assert trailing[UNAVAILABLE_DATABASE_KEY] == "registry" and trailing["x-correlation-id"], what


def test_plr_says_which_database_is_unavailable_and_exits_with_the_try_again_code(
    unreachable_env: dict[str, str],
) -> None:
    done = subprocess.run(
        [str(Path(sys.executable).parent / "plr"), "trust", "onboard", "--ods", "RXX", "--name", "X NHS Trust"],
        env={**os.environ, **unreachable_env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == EXIT_TRY_AGAIN == 75, done.stderr
    assert "the registry database is unavailable; try again" in done.stderr
    assert "internal" not in done.stderr.lower() and "Traceback" not in done.stderr


def test_a_statement_timeout_is_answered_deadline_exceeded_and_changes_nothing(stack: PlrStack) -> None:
    server = build_server(dataclasses.replace(stack.settings, statement_timeout_ms=300), "127.0.0.1:0")
    server.start()
    owner = stack.engine("registry", "owner")
    try:
        with owner.begin() as holding, grpc.insecure_channel(f"127.0.0.1:{server.port}") as channel:
            holding.execute(sa.text("LOCK TABLE trusts IN ACCESS EXCLUSIVE MODE"))  # every read of trusts waits
            with pytest.raises(grpc.RpcError) as raised:
                registry_pb2_grpc.RegistryServiceStub(channel).CreateTrust(
                    pb.CreateTrustRequest(ods="RTO1", name="Timeout NHS Trust"),
                    metadata=bearer(stack.env["PLR_ADMIN_TOKEN"]),
                    timeout=10,
                )
        assert raised.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
        assert raised.value.details() == "registry database did not answer in time; the call may be retried"
        with owner.connect() as connection:
            assert connection.execute(sa.text("SELECT count(*) FROM trusts WHERE trust_ods = 'RTO1'")).scalar() == 0
    finally:
        server.stop(grace_s=1)


def test_a_database_that_only_reads_is_answered_unavailable_and_reads_still_work(stack: PlrStack) -> None:
    """As after a failover to a standby: writes are refused by the server, which is an outage to retry."""
    role = sa.engine.make_url(stack.settings.database("registry").app_url).username
    admin = stack.admin_engine("postgres")
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(sa.text(f'ALTER ROLE "{role}" SET default_transaction_read_only = on'))
    server = build_server(stack.settings, "127.0.0.1:0")  # its own pool: every connection is new
    server.start()
    try:
        with grpc.insecure_channel(f"127.0.0.1:{server.port}") as channel:
            stub = registry_pb2_grpc.RegistryServiceStub(channel)
            admin_token = bearer(stack.env["PLR_ADMIN_TOKEN"])
            with pytest.raises(grpc.RpcError) as raised:
                stub.CreateTrust(
                    pb.CreateTrustRequest(ods="RRO1", name="Read Only NHS Trust"), metadata=admin_token, timeout=10
                )
            assert raised.value.code() == grpc.StatusCode.UNAVAILABLE
            assert raised.value.details() == "registry database unavailable; the call may be retried"
            assert _trailing(raised.value)[UNAVAILABLE_DATABASE_KEY] == "registry"
            stub.ListTrusts(pb.ListTrustsRequest(), metadata=admin_token, timeout=10)
    finally:
        server.stop(grace_s=1)
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(sa.text(f'ALTER ROLE "{role}" RESET default_transaction_read_only'))
        admin.dispose()
    with stack.engine("registry", "owner").connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM trusts WHERE trust_ods = 'RRO1'")).scalar() == 0


def test_plr_outbox_status_names_each_unavailable_database_and_exits_with_the_try_again_code(
    unreachable_env: dict[str, str],
) -> None:
    done = subprocess.run(
        [str(Path(sys.executable).parent / "plr"), "outbox", "status", "--json"],
        env={**os.environ, **unreachable_env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == EXIT_TRY_AGAIN, done.stderr
    assert "Traceback" not in done.stderr and done.stdout.strip() == "[]"
    for service in SERVICES:
        assert f"plr: the {service} database is unavailable; try again shortly" in done.stderr


def test_plr_outbox_status_reports_every_outbox_when_the_databases_are_up(stack: PlrStack) -> None:
    done = stack.plr("outbox", "status", "--json")
    assert done.returncode == 0, done.stderr
    assert [row["service"] for row in json.loads(done.stdout)] == list(SERVICES)
