"""Prometheus metrics, scraped from real processes: the registry api, its worker (the relay, the outbox
gauges) and the matching worker (a consumer), each on its own ``PLR_METRICS_PORT``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support.infra import Infra, PlrStack, plr_stack, wait_for
from tests.support.ports import free_port

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

EXAMPLE_IMPORT = Path(__file__).resolve().parents[2] / "docs" / "examples" / "leaders-import.csv"
CREATE_TRUST = "/plr.registry.v1.RegistryService/CreateTrust"
PROCESSES = (("registry", "api"), ("registry", "worker"), ("matching", "worker"))


def scrape(port: int) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of a process's /metrics: (name, labels) -> value."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


@pytest.fixture(scope="module")
def running(infra: Infra) -> Iterator[tuple[PlrStack, dict[str, int]]]:
    with plr_stack(infra, ("registry", "matching")) as stack:
        ports = {f"{s}-{r}": free_port() for s, r in PROCESSES}
        processes = [
            stack.process(service, role, extra_env={"PLR_METRICS_PORT": str(ports[f"{service}-{role}"])})
            for service, role in PROCESSES
        ]
        try:
            for name, port in ports.items():
                wait_for(lambda port=port: _answers(port), timeout=60, interval=0.2, message=f"{name} metrics")
            yield stack, ports
        finally:
            for process in processes:
                process.send_signal(signal.SIGTERM)
            for process in processes:
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()


def _answers(port: int) -> bool:
    try:
        scrape(port)
    except OSError:
        return False
    return True


def test_the_api_counts_and_times_calls_by_method_and_code(running: tuple[PlrStack, dict[str, int]]) -> None:
    stack, ports = running
    assert stack.plr("trust", "onboard", "--ods", "RMA", "--name", "Metrics Trust").returncode == 0
    samples = scrape(ports["registry-api"])
    ok = {"service": "registry", "method": CREATE_TRUST, "code": "OK"}
    assert value(samples, "plr_grpc_requests_total", **ok) == 1.0
    assert value(samples, "plr_grpc_request_duration_seconds_count", **ok) == 1.0
    assert (value(samples, "plr_grpc_request_duration_seconds_sum", **ok) or 0) > 0


def test_the_api_counts_imported_rows(running: tuple[PlrStack, dict[str, int]], tmp_path: Path) -> None:
    stack, ports = running
    assert stack.plr("trust", "onboard", "--ods", "RMI", "--name", "Import Trust").returncode == 0
    rows = EXAMPLE_IMPORT.read_text().strip().splitlines()
    register = tmp_path / "leaders.csv"
    # the three example people and a row without an email, which is refused
    register.write_text("\n".join([*rows, "Dan,Smith,,,,,,,,,,,,,,,"]) + "\n")
    first = stack.plr("leaders", "import", str(register), "--trust", "RMI", "--errors-to", str(tmp_path / "e.csv"))
    assert first.returncode == 3, first.stderr
    again = stack.plr("leaders", "import", str(register), "--trust", "RMI", "--errors-to", str(tmp_path / "e.csv"))
    assert again.returncode == 3, again.stderr
    samples = scrape(ports["registry-api"])
    assert value(samples, "plr_import_rows_total", outcome="imported") == 3.0
    assert value(samples, "plr_import_rows_total", outcome="unchanged") == 3.0
    assert value(samples, "plr_import_rows_total", outcome="refused") == 2.0


def test_the_worker_exports_its_relay_and_outbox(running: tuple[PlrStack, dict[str, int]]) -> None:
    stack, ports = running
    assert stack.plr("trust", "onboard", "--ods", "RMB", "--name", "Relay Trust").returncode == 0
    # onboarding commits two events (trust onboarded, its first key): both relayed, the outbox drained
    wait_for(
        lambda: (value(scrape(ports["registry-worker"]), "plr_relay_published_total", service="registry") or 0) >= 2,
        timeout=30,
        message="the relay's published count",
    )
    wait_for(
        lambda: value(scrape(ports["registry-worker"]), "plr_outbox_pending", service="registry") == 0.0,
        timeout=30,
        message="the outbox gauge at 0",
    )
    samples = scrape(ports["registry-worker"])
    assert value(samples, "plr_outbox_oldest_age_seconds", service="registry") == 0.0
    assert (value(samples, "plr_worker_last_heartbeat_timestamp_seconds", service="registry") or 0) > 0


def test_a_consumer_exports_what_it_applied_its_lag_and_latency(running: tuple[PlrStack, dict[str, int]]) -> None:
    stack, ports = running
    assert stack.plr("trust", "onboard", "--ods", "RMC", "--name", "Consumer Trust").returncode == 0
    consumer = "matching.trust-directory"

    def applied() -> float:
        return (
            value(scrape(ports["matching-worker"]), "plr_consumer_events_total", consumer=consumer, outcome="applied")
            or 0
        )

    wait_for(lambda: applied() >= 2, timeout=30, message="the matching consumer's applied count")
    samples = scrape(ports["matching-worker"])
    lag = value(samples, "plr_consumer_lag_seconds_count", consumer=consumer) or 0
    handled = value(samples, "plr_consumer_handler_duration_seconds_count", consumer=consumer) or 0
    assert lag >= 2 and handled >= 2, (lag, handled)
    assert value(samples, "plr_dead_letters_total", consumer=consumer) in (None, 0.0)


def healthcheck(service: str, role: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "services.common.healthcheck", service, role],
        env={"PATH": os.environ.get("PATH", ""), "PLR_ENV_FILE": "/nonexistent", **env},
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_the_container_health_check_reads_the_processs_own_metrics(running: tuple[PlrStack, dict[str, int]]) -> None:
    """What docker-compose.yml and the Kubernetes probes run, from the metrics alone (no settings given)."""
    stack, ports = running
    worker = healthcheck("registry", "worker", {"PLR_METRICS_PORT": str(ports["registry-worker"])})
    assert worker.returncode == 0 and "last heartbeat" in worker.stdout, worker.stderr
    listen = stack.env["PLR_REGISTRY_API_LISTEN"]
    api = healthcheck(
        "registry", "api", {"PLR_METRICS_PORT": str(ports["registry-api"]), "PLR_REGISTRY_API_LISTEN": listen}
    )
    assert api.returncode == 0 and "SERVING" in api.stdout, api.stderr
    # another service's heartbeat is not this worker's; a port nothing serves is a failure
    matching = healthcheck("matching", "worker", {"PLR_METRICS_PORT": str(ports["registry-worker"])})
    assert matching.returncode == 1 and "has not recorded a heartbeat" in matching.stderr
    nothing = healthcheck("registry", "worker", {"PLR_METRICS_PORT": str(free_port())})
    assert nothing.returncode == 1 and "does not answer" in nothing.stderr


def test_every_consumer_exports_its_dead_letter_count_before_the_first(
    running: tuple[PlrStack, dict[str, int]],
) -> None:
    """deploy/prometheus/alerts.yml's PlrDeadLetters is `increase(plr_dead_letters_total[15m]) > 0`. A
    series that first appears at 1 has no earlier sample, so `increase` is 0 and the alert never fires
    for a consumer's first dead letter since its worker started (usually its only one): each consumer's
    count must be exported at 0 from the worker's start, as Prometheus' client guidance asks of labels
    known in advance."""
    from services.common.manifest import manifests

    _, ports = running
    samples = scrape(ports["matching-worker"])
    for consumer in manifests()["matching"].consumers:
        assert value(samples, "plr_dead_letters_total", consumer=consumer.inbox_name) == 0.0, consumer.inbox_name


def test_every_worker_exports_its_relay_counters_before_the_first(running: tuple[PlrStack, dict[str, int]]) -> None:
    """PlrRelayFailing is `rate(plr_relay_failures_total) > 0 and rate(plr_relay_published_total) == 0`: a
    worker that has never published (the broker down since it started) must export the published count at
    0, or the `and` matches nothing and the alert never fires; and its failure count from 0, for `rate` to
    see the first failure."""
    _, ports = running
    samples = scrape(ports["matching-worker"])
    assert value(samples, "plr_relay_failures_total", service="matching") == 0.0
    assert value(samples, "plr_relay_published_total", service="matching") is not None
