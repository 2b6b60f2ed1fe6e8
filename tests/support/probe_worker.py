"""``python -m tests.support.probe_worker``: a probe worker, built like a service's worker process.

It relays the probe database's outbox (``--relay``; ``--relay-amqp-uri`` may point through a proxy)
and/or consumes a probe queue (``--consume QUEUE``), with the platform's own ``OutboxRelay``,
``ConfirmedPublisher``, ``InboxConsumer``, ``build_worker_service`` and ``run_worker``. Fault hooks:
``--crash-after N`` (or ``PLR_PROBE_CRASH_AFTER=N``) SIGKILLs the process right after the N-th
applied event committed, before its ack; a probe event whose note is ``poison`` makes the handler
raise (see ``tests.support.probe``); ``--outage-budget-s`` and ``--outage-backoff-max-s`` shorten
how long a delivery is retried through a database outage before it goes back to its queue.
Its counters go to ``probe_worker_stats`` (one row per process) about once a second and at exit.

eventlet patches the process first, before anything else is imported, as ``plr-process`` does.
"""

from __future__ import annotations

import argparse
import os
import time


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="probe_worker")
    parser.add_argument("--name", required=True, help="this worker's name in logs and probe_worker_stats")
    parser.add_argument("--database-url", required=True, help="the probe database, as its application role")
    parser.add_argument("--amqp-uri", required=True, help="the broker and vhost that nameko consumes from")
    parser.add_argument(
        "--amqp-user-prefix", default="plr-", help="the site's broker user prefix: its consumer checks senders"
    )
    parser.add_argument("--relay", action="store_true", help="relay the outbox")
    parser.add_argument("--relay-amqp-uri", help="where the relay publishes (default: --amqp-uri)")
    parser.add_argument("--relay-interval-s", type=float, default=0.05)
    parser.add_argument("--relay-max-backoff-s", type=float, default=1.0)
    parser.add_argument("--consume", metavar="QUEUE", help="consume this probe queue")
    parser.add_argument("--consumer-name", default="probe.state", help="the inbox consumer's name")
    parser.add_argument(
        "--outage-budget-s",
        type=float,
        help="how long a delivery is retried through a database outage before it goes back",
    )
    parser.add_argument("--outage-backoff-max-s", type=float, help="the longest wait between those retries")
    crash_after = os.environ.get("PLR_PROBE_CRASH_AFTER")
    parser.add_argument(
        "--crash-after",
        type=int,
        default=int(crash_after) if crash_after else None,
        help="SIGKILL after this many applied events, before the ack (or PLR_PROBE_CRASH_AFTER)",
    )
    parser.add_argument("--max-workers", type=int, default=4)
    parser.add_argument(
        "--no-observe-deliveries",
        dest="observe_deliveries",
        action="store_false",
        help="do not record every delivery (the benchmark measures the bare pipeline)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    from services.common.green import monkey_patch

    monkey_patch()
    options = parse(argv)

    import sqlalchemy as sa
    from sqlalchemy.dialects.postgresql import insert

    from services.common.broker_users import BrokerUsers, SenderCheck, connection_user
    from services.common.db import make_engine
    from services.common.give_back import load_give_back_seal
    from services.common.inbox import InboxConsumer
    from services.common.logs import configure_logging
    from services.common.relay import ConfirmedPublisher, OutboxRelay
    from services.common.worker import build_worker_service, run_worker
    from tests.support.probe import (
        PROBE_EVENT_TYPE,
        ObservationLog,
        ProbeConsumer,
        make_probe_handler,
        probe_worker_stats,
    )

    configure_logging(f"probe-{options.name}", "INFO")
    worker_id = f"{options.name}:{os.getpid()}"
    # each consumer worker may hold two connections at once: its transaction and an observation
    engine = make_engine(
        options.database_url, pool_size=2 * options.max_workers + 2, application_name=f"plr-probe-{options.name}"
    )
    observations = ObservationLog(engine, worker_id)

    publisher: ConfirmedPublisher | None = None
    relay: OutboxRelay | None = None
    if options.relay:
        publisher = ConfirmedPublisher(options.relay_amqp_uri or options.amqp_uri)
        relay = OutboxRelay(engine, publisher, "probe", max_backoff_s=options.relay_max_backoff_s)

    consumers: dict[str, InboxConsumer] = {}
    outage_options = {
        field: value
        for field, value in (
            ("transient_budget_s", options.outage_budget_s),
            ("transient_backoff_max_s", options.outage_backoff_max_s),
        )
        if value is not None
    }
    consumer: ProbeConsumer | None = None
    if options.consume:
        consumer = ProbeConsumer(
            name=options.consumer_name,
            engine=engine,
            handlers={PROBE_EVENT_TYPE: make_probe_handler(options.consumer_name, observations)},
            observations=observations,
            observe_deliveries=options.observe_deliveries,
            crash_after=options.crash_after,
            senders=SenderCheck(BrokerUsers(options.amqp_user_prefix), own_user=connection_user(options.amqp_uri)),
            **outage_options,
        )
        consumers[options.consume] = consumer

    last_report = 0.0

    def report_stats(force: bool = False) -> None:
        nonlocal last_report
        if not force and time.monotonic() - last_report < 0.5:
            return
        last_report = time.monotonic()
        values = {
            "published": relay.stats.published if relay else 0,
            "publish_failures": relay.stats.failures if relay else 0,
            "broker_connections": publisher.reconnects if publisher else 0,
            "applied": consumer.stats.applied if consumer else 0,
            "duplicates": consumer.stats.duplicates if consumer else 0,
            "handler_failures": consumer.stats.handler_failures if consumer else 0,
            "dead_lettered": consumer.stats.dead_lettered if consumer else 0,
            "updated_at": sa.func.clock_timestamp(),
        }
        statement = insert(probe_worker_stats).values(worker=worker_id, **values)
        try:
            with engine.begin() as connection:
                connection.execute(statement.on_conflict_do_update(index_elements=["worker"], set_=values))
        except sa.exc.SQLAlchemyError as error:  # a report is best effort; the next one catches up
            print(f"probe {worker_id}: could not report stats: {error}", flush=True)

    service_class = build_worker_service(
        f"probe_{options.name.replace('-', '_')}",
        consumers,
        relay.tick if relay else None,
        options.relay_interval_s,
        heartbeat=lambda _consumers: report_stats(),
        seal=load_give_back_seal(engine) if consumers else None,
    )

    def on_stop() -> None:
        report_stats(force=True)
        if publisher is not None:
            publisher.close()
        engine.dispose()

    run_worker(service_class, options.amqp_uri, options.max_workers, on_stop)


if __name__ == "__main__":
    main()
