"""A worker stops within 10 s of SIGTERM whatever its broker does (Kubernetes sends SIGKILL after its
grace period), and every line it writes, on stdout or stderr, is one JSON object.

The workers run as ``plr-process SERVICE worker`` on this run's PostgreSQL and a private RabbitMQ
node that the test SIGKILLs; the machine's shared broker is never touched.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.common.topology import TopologyError
from tests.support.infra import Infra, PlrStack, free_port, plr_stack, service_env, wait_for
from tests.support.private_broker import PrivateBroker

pytestmark = pytest.mark.faults

STOP_LIMIT_S = 10.0


@pytest.fixture
def private_stack(infra: Infra, private_rabbit: PrivateBroker) -> Iterator[PlrStack]:
    """registry's and matching's databases on this run's PostgreSQL, their topology on the private broker."""
    try:
        with plr_stack(
            Infra(infra.pg_admin_url, private_rabbit.amqp_uri, private_rabbit.management_url), ("registry", "matching")
        ) as stack:
            yield stack
    except TopologyError:  # the test killed the broker: its vhost goes with its folder
        if private_rabbit.pid() is not None:
            raise


class Worker:
    """``plr-process SERVICE worker``, its stdout and stderr collected apart, line by line."""

    def __init__(self, stack: PlrStack, service: str, extra_env: dict[str, str] | None = None):
        self.process = subprocess.Popen(
            [str(Path(sys.executable).parent / "plr-process"), service, "worker"],
            # its own service's broker user, as its container has it (ADR 0009)
            env={**service_env({**os.environ, **stack.env}, service), **(extra_env or {})},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: dict[str, list[str]] = {"stdout": [], "stderr": []}
        self._readers = [
            threading.Thread(target=self._read, args=(stream, self.lines[name]), daemon=True)
            for name, stream in (("stdout", self.process.stdout), ("stderr", self.process.stderr))
        ]
        for reader in self._readers:
            reader.start()

    @staticmethod
    def _read(stream: object, into: list[str]) -> None:
        for line in iter(stream.readline, ""):  # type: ignore[attr-defined]
            into.append(line)

    def logged(self, text: str) -> bool:
        return any(text in line for line in self.lines["stderr"])

    def stop(self) -> tuple[int, float]:
        """SIGTERM; returns the exit status and the seconds it took (SIGKILL after the limit and a margin)."""
        sent = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout=STOP_LIMIT_S + 20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        took = time.monotonic() - sent
        for reader in self._readers:
            reader.join(timeout=5)
        return code, took

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def non_json_lines(self) -> list[str]:
        bad = []
        for name, lines in self.lines.items():
            for line in lines:
                try:
                    parsed = json.loads(line)
                except ValueError:
                    parsed = None
                if not isinstance(parsed, dict):
                    bad.append(f"{name}: {line!r}")
        return bad

    def output(self) -> str:
        return "".join(self.lines["stderr"][-20:] + self.lines["stdout"][-5:])


@pytest.fixture
def workers() -> Iterator[list[Worker]]:
    started: list[Worker] = []
    yield started
    for worker in started:
        worker.kill()


def test_a_worker_with_its_broker_up_stops_cleanly_on_sigterm_and_writes_only_json_lines(
    private_stack: PlrStack, workers: list[Worker]
) -> None:
    worker = Worker(private_stack, "matching")
    workers.append(worker)
    wait_for(lambda: worker.logged("worker started"), timeout=60, message="the worker to start")

    code, took = worker.stop()

    assert code == 0 and took < STOP_LIMIT_S, f"exit {code} after {took:.1f}s\n{worker.output()}"
    assert worker.lines["stderr"], "the worker logged nothing"
    assert not worker.non_json_lines(), "\n".join(worker.non_json_lines())


@pytest.mark.parametrize("service", ["matching", "registry"])
def test_a_worker_whose_broker_is_gone_exits_within_10s_of_sigterm_writing_only_json_lines(
    service: str, private_rabbit: PrivateBroker, private_stack: PlrStack, workers: list[Worker]
) -> None:
    worker = Worker(private_stack, service)
    workers.append(worker)
    wait_for(lambda: worker.logged("worker started"), timeout=60, message="the worker to start")
    private_rabbit.kill()

    code, took = worker.stop()

    assert took < STOP_LIMIT_S, f"still running {took:.1f}s after SIGTERM\n{worker.output()}"
    assert code != -signal.SIGKILL, worker.output()
    assert not worker.non_json_lines(), "\n".join(worker.non_json_lines())


def test_a_worker_started_against_an_unreachable_broker_exits_within_10s_of_sigterm(
    private_stack: PlrStack, workers: list[Worker]
) -> None:
    user = private_stack.settings.broker_users.of("matching")  # its own user, on a port nothing serves
    nowhere = f"amqp://{user}:secret@127.0.0.1:{free_port()}/%2Fplr"
    worker = Worker(private_stack, "matching", {"PLR_AMQP_URI": nowhere})
    workers.append(worker)
    wait_for(lambda: worker.logged("broker"), timeout=60, message="the worker to try the broker")

    code, took = worker.stop()

    assert took < STOP_LIMIT_S, f"still running {took:.1f}s after SIGTERM\n{worker.output()}"
    assert code == 1, worker.output()
    assert worker.logged("did not stop within"), worker.output()
    assert not worker.non_json_lines(), "\n".join(worker.non_json_lines())
