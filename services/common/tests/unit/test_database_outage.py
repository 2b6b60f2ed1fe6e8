"""A database that cannot be reached is an outage to retry, never a bug: the api's answer, the
consumer's retries and the relay's back-off. Engines here point at a closed port, so no server is needed."""

from __future__ import annotations

import logging
import socket

import grpc
import psycopg2
import psycopg2.errors
import pytest
import sqlalchemy as sa

from services.common import errors
from services.common.db import is_statement_timeout, is_transient_db_error, make_engine, refuse_closed_connection
from services.common.events import CloudEvent
from services.common.grpc_server import database_status
from services.common.inbox import DeadLetter, InboxConsumer, OutageOutlasted
from services.common.relay import OutboxRelay

SECRET = "a-value-from-the-request"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed again when the socket goes: connecting is refused


def _wrapped(driver_error: Exception) -> sa.exc.DBAPIError:
    return sa.exc.OperationalError("INSERT INTO trusts VALUES (%(name)s)", {"name": SECRET}, driver_error)


@pytest.mark.parametrize(
    "error",
    [
        _wrapped(psycopg2.OperationalError("connection to server failed: Connection refused")),
        _wrapped(psycopg2.OperationalError("server closed the connection unexpectedly")),
        _wrapped(psycopg2.errors.AdminShutdown("terminating connection due to administrator command")),
        _wrapped(psycopg2.errors.CannotConnectNow("the database system is starting up")),
        sa.exc.InterfaceError("SELECT 1", {}, psycopg2.InterfaceError("connection already closed")),
        sa.exc.TimeoutError("QueuePool limit of size 5 overflow 0 reached, connection timed out"),
        sa.exc.InternalError(
            "INSERT INTO trusts VALUES (%(name)s)",
            {"name": SECRET},
            psycopg2.errors.ReadOnlySqlTransaction("cannot execute INSERT in a read-only transaction"),
        ),
    ],
    ids=["refused", "lost-mid-call", "shutting-down", "starting-up", "closed-connection", "pool-timeout", "read-only"],
)
def test_an_unreachable_database_is_answered_unavailable_naming_the_service_and_nothing_of_the_call(
    error: Exception,
) -> None:
    answer = database_status(error, "registry")
    assert answer == (grpc.StatusCode.UNAVAILABLE, "registry database unavailable; the call may be retried")


def test_a_statement_timeout_is_answered_deadline_exceeded() -> None:
    error = _wrapped(psycopg2.errors.QueryCanceled("canceling statement due to statement timeout"))
    assert is_statement_timeout(error)
    code, detail = database_status(error, "matching") or (None, "")
    assert code == grpc.StatusCode.DEADLINE_EXCEEDED
    assert detail == "matching database did not answer in time; the call may be retried"


def test_a_driver_error_wrapped_by_a_layer_above_is_still_an_outage() -> None:
    try:
        try:
            raise _wrapped(psycopg2.OperationalError("server closed the connection unexpectedly"))
        except sa.exc.OperationalError as cause:
            raise RuntimeError("the unit of work could not commit") from cause
    except RuntimeError as error:
        assert database_status(error, "registry") is not None


@pytest.mark.parametrize(
    "error",
    [
        sa.exc.IntegrityError("INSERT", {}, psycopg2.IntegrityError("duplicate key")),
        sa.exc.ProgrammingError("SELECT", {}, psycopg2.ProgrammingError("column does not exist")),
        KeyError("a bug"),
        errors.NotFound("no such trust"),
    ],
    ids=["integrity", "programming", "bug", "domain"],
)
def test_errors_that_are_not_outages_are_not_answered_as_outages(error: Exception) -> None:
    assert database_status(error, "registry") is None
    assert not is_transient_db_error(error)


def test_engines_keep_statement_parameters_out_of_errors_and_logs() -> None:
    engine = make_engine(f"postgresql://nobody@127.0.0.1:{_closed_port()}/nothing")
    assert engine.hide_parameters and sa.event.contains(engine, "checkout", refuse_closed_connection)
    engine.dispose()


def _event() -> CloudEvent:
    return CloudEvent(
        type="plr.diagnostics.probe.recorded.v1",
        source="plr/diagnostics",
        data={},
        aggregate_type="probe",
        aggregate_id="p-1",
        aggregate_version=1,
    )


class SimulatedClock:
    """Time that passes only when the consumer sleeps: hours of outage in a fraction of a second."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def _consumer_of_a_closed_port(
    clock: SimulatedClock, transient_budget_s: float, transient_backoff_max_s: float = 5.0
) -> tuple[InboxConsumer, sa.engine.Engine]:
    """An inbox consumer whose database is unreachable, on a simulated clock."""
    engine = make_engine(f"postgresql://nobody@127.0.0.1:{_closed_port()}/nothing", connect_timeout_s=1)
    consumer = InboxConsumer(
        name="outage-test",
        engine=engine,
        handlers={},
        transient_budget_s=transient_budget_s,
        transient_backoff_max_s=transient_backoff_max_s,
        sleep=clock.sleep,
        clock=lambda: clock.now,
    )
    return consumer, engine


def test_an_unreachable_database_is_retried_with_capped_backoff_then_the_message_is_given_back_uncounted() -> None:
    clock = SimulatedClock()
    consumer, engine = _consumer_of_a_closed_port(clock, transient_budget_s=60.0, transient_backoff_max_s=5.0)
    with pytest.raises(OutageOutlasted):
        try:
            consumer._process_event(_event())
        except DeadLetter:  # pragma: no cover - the failure this test exists to catch
            pytest.fail("an outage dead-lettered the message")
    assert 60.0 < clock.now <= 65.0  # the whole budget, then no longer
    assert consumer.stats.transient_retries == len(clock.slept) + 1
    assert consumer.stats.handler_failures == 0 and consumer.stats.dead_lettered == 0
    assert consumer.stats.given_back == 1
    assert clock.slept[0] < clock.slept[1] and max(clock.slept) == 5.0  # exponential, capped
    engine.dispose()


def test_an_outage_of_many_budgets_gives_each_delivery_back_and_never_counts_a_failure() -> None:
    clock = SimulatedClock()
    consumer, engine = _consumer_of_a_closed_port(clock, transient_budget_s=10.0)
    event = _event()
    for _ in range(3 * consumer.max_handler_attempts):  # each delivery of the same message, as a fresh copy
        with pytest.raises(OutageOutlasted):
            consumer._process_event(event)
    assert consumer.stats.given_back == 9
    assert consumer.stats.handler_failures == 0 and consumer.stats.dead_lettered == 0
    engine.dispose()


def test_the_relay_backs_off_with_a_warning_while_its_database_is_unreachable(caplog: pytest.LogCaptureFixture) -> None:
    engine = make_engine(f"postgresql://nobody@127.0.0.1:{_closed_port()}/nothing", connect_timeout_s=1)
    relay = OutboxRelay(engine, publisher=None, service="matching")  # type: ignore[arg-type]
    with caplog.at_level(logging.WARNING, logger="services.common.relay"):
        assert relay.tick() == 0
        assert relay.tick() == 0  # within the back-off: not even tried
        relay.beat("matching-worker", 1)
    assert relay.stats.failures == 1
    assert any("matching database unavailable" in r.getMessage() for r in caplog.records)
    assert any("heartbeat of matching-worker not recorded" in r.getMessage() for r in caplog.records)
    assert all(r.levelno == logging.WARNING for r in caplog.records)
    engine.dispose()


def test_plr_says_try_again_when_the_api_does_not_answer_within_its_deadline(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A slow or hung database holds the call past plr's deadline before the api's own statement or pool
    timeout answers: plr gets its own DEADLINE_EXCEEDED, with no trailing metadata."""
    import threading
    import types
    from concurrent import futures

    from services.common.admin.console import EXIT_TRY_AGAIN, rpc_failed

    released = threading.Event()

    def hang(request: bytes, context: grpc.ServicerContext) -> bytes:
        released.wait(10)
        return b""

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    handler = grpc.unary_unary_rpc_method_handler(hang)
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler("plr.Hung", {"Call": handler}),))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel, pytest.raises(grpc.RpcError) as raised:
            channel.unary_unary("/plr.Hung/Call")(b"", timeout=0.5)
        target = types.SimpleNamespace(target=f"127.0.0.1:{port}")
        settings = types.SimpleNamespace(api=lambda service: target)
        assert rpc_failed(raised.value, "registry", settings) == EXIT_TRY_AGAIN  # type: ignore[arg-type]
    finally:
        released.set()
        server.stop(grace=1).wait()
    said = capsys.readouterr().err
    assert f"the registry api at 127.0.0.1:{port} did not answer in time" in said
    assert "run the same command again" in said and "deadline_exceeded" not in said
