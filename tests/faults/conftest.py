"""Fixtures of the fault-injection proofs: probe sites, probe worker processes and a private broker.

Tests that only need a broker use the run's servers (PLR_TEST_*), each in a probe site of its own
(database and vhost with unique names, dropped afterwards). A test that kills the broker gets a
private RabbitMQ node that it started itself; the machine's shared broker is never touched.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.infra import Infra, unavailable
from tests.support.private_broker import PrivateBroker, PrivateBrokerUnavailable, new_private_broker
from tests.support.probe import ProbeSite, ProbeWorker, probe_site, start_probe_worker


@pytest.fixture
def shared_site(infra: Infra) -> Iterator[ProbeSite]:
    """A probe site on the run's PostgreSQL and RabbitMQ (its own database and vhost)."""
    with probe_site(infra.pg_admin_url, infra.amqp_uri, infra.management_url) as site:
        yield site


@pytest.fixture
def private_rabbit() -> Iterator[PrivateBroker]:
    """A private RabbitMQ node that the test may SIGKILL and restart; stopped and removed afterwards."""
    broker = new_private_broker()
    try:
        try:
            broker.start()
        except PrivateBrokerUnavailable as error:  # only a failed first start is a skip; a failed restart fails
            unavailable(f"no private RabbitMQ node for fault tests: {error}")
        yield broker
    finally:
        broker.remove()


@pytest.fixture
def private_site(infra: Infra, private_rabbit: PrivateBroker) -> Iterator[ProbeSite]:
    """A probe site on the run's PostgreSQL and the private broker."""
    with probe_site(infra.pg_admin_url, private_rabbit.amqp_uri, private_rabbit.management_url) as site:
        yield site


StartWorker = Callable[..., ProbeWorker]


@pytest.fixture
def probe_workers(tmp_path: Path) -> Iterator[StartWorker]:
    """Start probe workers (``start(site, name, **options)``); every one still running is stopped afterwards,
    and the tails of their logs are printed (pytest shows them when a test fails). Request it after the
    site, so that the workers stop before the site is dropped."""
    started: list[ProbeWorker] = []

    def start(site: ProbeSite, name: str, **options: Any) -> ProbeWorker:
        worker = start_probe_worker(site, name, tmp_path / "logs", **options)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop(timeout_s=20)
    for worker in started:
        print(f"--- {worker.name} (pid {worker.pid}, exit {worker.process.returncode}): {worker.log_path}")
        print(worker.log_tail(15))
