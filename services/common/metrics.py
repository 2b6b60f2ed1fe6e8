"""Prometheus metrics of every plr process (``prometheus_client``), served on ``PLR_METRICS_PORT``.

One endpoint per process: the api, each worker and (briefly) each migrate serve ``/metrics`` on that
port when it is set (docker-compose.yml and deploy/k8s set 9464; ``make run`` and the tests leave it 0,
off, unless they ask). The names here are the ones deploy/prometheus/alerts.yml uses; a test checks
that every name the rules use is defined here (or is Prometheus' own ``up``).

Counters and histograms are updated where the work happens (the gRPC edge, the relay, the inbox
consumer); the outbox gauges are refreshed by the worker every ``OUTBOX_OBSERVE_S`` from its own
database, so a scrape costs no query.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from prometheus_client import Counter, Gauge, Histogram, start_http_server

log = logging.getLogger(__name__)

# the port every container serves its metrics on (each container has its own network namespace)
CONTAINER_METRICS_PORT = 9464
OUTBOX_OBSERVE_S = 5.0

GRPC_REQUESTS = Counter(
    "plr_grpc_requests_total", "gRPC calls answered, by method and status code", ["service", "method", "code"]
)
GRPC_LATENCY = Histogram(
    "plr_grpc_request_duration_seconds",
    "time to answer a gRPC call, by method and status code",
    ["service", "method", "code"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
OUTBOX_PENDING = Gauge("plr_outbox_pending", "events committed but not yet published", ["service"])
OUTBOX_OLDEST_AGE = Gauge(
    "plr_outbox_oldest_age_seconds", "age of the oldest unpublished event (0 when none)", ["service"]
)
RELAY_PUBLISHED = Counter("plr_relay_published_total", "events the outbox relay published, confirmed", ["service"])
RELAY_FAILURES = Counter(
    "plr_relay_failures_total", "relay ticks that backed off (broker or database unavailable)", ["service"]
)
CONSUMER_EVENTS = Counter(
    "plr_consumer_events_total",
    "deliveries a consumer settled, by outcome (applied, duplicates, dead_lettered, given_back)",
    ["consumer", "outcome"],
)
CONSUMER_LAG = Histogram(
    "plr_consumer_lag_seconds",
    "from an event's time to its being applied by a consumer",
    ["consumer"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600),
)
HANDLER_LATENCY = Histogram(
    "plr_consumer_handler_duration_seconds",
    "time to apply a batch of deliveries (inbox rows and the handlers' writes, retries included; one delivery alone)",
    ["consumer"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 60, 300),
)
DEAD_LETTERS = Counter("plr_dead_letters_total", "deliveries a consumer sent to its dead-letter queue", ["consumer"])
WORKER_HEARTBEAT = Gauge(
    "plr_worker_last_heartbeat_timestamp_seconds", "when the worker last ran its relay tick (Unix time)", ["service"]
)
API_SERVING = Gauge("plr_api_serving", "1 while the api's gRPC health service says SERVING, 0 once it drains")
IMPORT_ROWS = Counter(
    "plr_import_rows_total",
    "rows of bulk imports, by outcome (imported, unchanged: imported before, refused)",
    ["outcome"],
)


def serve_metrics(port: int) -> None:
    """Serve ``/metrics`` on ``port`` (all interfaces: a scraper reaches the container or pod) from a
    daemon thread; 0 serves nothing."""
    if port:
        start_http_server(port)
        log.info("metrics on port %d", port)


class Every:
    """Runs ``work`` at most once every ``interval_s``, from a caller that ticks more often."""

    def __init__(self, interval_s: float, work: Callable[[], None], clock: Callable[[], float] = time.monotonic):
        self.interval_s = interval_s
        self.work = work
        self.clock = clock
        self._last = float("-inf")

    def __call__(self) -> None:
        now = self.clock()
        if now - self._last >= self.interval_s:
            self._last = now
            self.work()
