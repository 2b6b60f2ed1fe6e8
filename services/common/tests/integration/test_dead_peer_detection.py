"""A database that vanished without closing its connections is found dead within about 30 s, by the
client's own TCP settings: the kernel sockets of every engine's connections carry keepalives and a
user timeout. (``tests/faults/test_database_outage.py`` proves it against a server that goes silent.)"""

from __future__ import annotations

import socket
import time

import pytest
import sqlalchemy as sa

from services.common.db import DEAD_PEER_TIMEOUT_S, closed_by_server, make_engine
from tests.support.infra import Infra

pytestmark = pytest.mark.integration


def test_an_engines_connections_probe_a_silent_database_and_give_up_on_it_within_30s(infra: Infra) -> None:
    engine = make_engine(infra.pg_admin_url, pool_size=1, application_name="plr-dead-peer-test")
    try:
        with engine.connect() as connection:
            driver = connection.connection.dbapi_connection
            assert driver is not None
            parameters = driver.get_dsn_parameters()  # type: ignore[attr-defined]
            kernel = socket.fromfd(driver.fileno(), socket.AF_INET, socket.SOCK_STREAM)  # type: ignore[attr-defined]
            try:
                options = {
                    "keepalive": kernel.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE),
                    "idle": kernel.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE),
                    "interval": kernel.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL),
                    "count": kernel.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT),
                    "user_timeout_ms": kernel.getsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT),
                }
            finally:
                kernel.close()  # a duplicate of the descriptor: the connection's own stays open
    finally:
        engine.dispose()

    assert DEAD_PEER_TIMEOUT_S == 30
    assert options == {"keepalive": 1, "idle": 10, "interval": 5, "count": 3, "user_timeout_ms": 30000}
    # probes start after 10 s of silence and give up after 3 unanswered, 5 s apart: dead within 30 s
    assert options["idle"] + options["interval"] * options["count"] <= DEAD_PEER_TIMEOUT_S
    assert {k: parameters[k] for k in ("keepalives", "tcp_user_timeout")} == {
        "keepalives": "1",
        "tcp_user_timeout": "30000",
    }


def test_a_pooled_connection_that_the_server_closed_is_replaced_at_checkout_without_a_ping(infra: Infra) -> None:
    """A restart or failover closes every connection; the first call after it must not fail on one."""
    engine = make_engine(infra.pg_admin_url, pool_size=1, application_name="plr-closed-by-server-test")
    statements: list[str] = []
    sa.event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    try:
        with engine.connect() as connection:
            first = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
        with engine.connect() as connection:  # a healthy pooled connection: reused as it is, no ping
            assert connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one() == first
        assert statements == ["SELECT pg_backend_pid()"] * 2
        admin = make_engine(infra.pg_admin_url, pool_size=1, application_name="plr-closed-by-server-admin")
        try:
            with admin.connect() as connection:
                assert connection.exec_driver_sql(f"SELECT pg_terminate_backend({int(first)})").scalar_one()
        finally:
            admin.dispose()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # the server's goodbye reaches the idle socket
            with engine.connect() as connection:
                driver = connection.connection.dbapi_connection
                if closed_by_server(driver):
                    break
            time.sleep(0.05)
        with engine.connect() as connection:
            assert connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one() != first
    finally:
        engine.dispose()
