"""nameko glue: a CloudEvent consumer entrypoint that never acks-and-drops, and the worker process.

nameko's ``event_handler`` acknowledges a message whose handler raised, and its consumers decode
(and can choke on) a message's content type. Here the consumer receives the raw delivery
(``on_message``), never declares queues (``migrate`` did), and hands deliveries to its
``InboxConsumer`` in batches, made of whatever arrived while the batch before was applied (up to
``BATCH_MAX``). Deliveries go to lanes by their aggregate (the relay's ``ce-subject`` header), one
batch per lane at a time and max_workers - 1 lanes, so the database's round trips of one batch
overlap another's without two batches ever holding the same aggregate; the prefetch holds more than
the lanes take. After a batch's commit it settles each of its deliveries by outcome:
handled or duplicate → ack; ``DeadLetter`` → reject without requeue (the broker dead-letters it,
body and headers intact); ``OutageOutlasted`` → a fresh confirmed copy to the same queue, sealed as
the worker's own (services/common/give_back.py), then ack (a database outage is never counted, ADR
0004); anything else → requeue (the broker's delivery limit is the backstop).

Start it from ``run_worker()`` (``ServiceRunner``), never from the ``nameko`` command, which imports
``pkg_resources``.
"""

from __future__ import annotations

import logging
import signal
import zlib
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import amqp.exceptions
import kombu
from nameko.extensions import Entrypoint
from nameko.messaging import QueueConsumer
from nameko.timer import timer

from services.common.amqp_writes import frames_sent_together
from services.common.broker_users import Sender
from services.common.db import db_error_summary, is_database_fault
from services.common.give_back import SEAL_HEADER, GiveBackSeal
from services.common.inbox import DeadLetter, InboxConsumer, OutageOutlasted
from services.common.relay import SUBJECT_HEADER, ConfirmedPublisher, PublishFailed

log = logging.getLogger(__name__)


# Settling a delivery on a connection that died under it raises the builtin OSError family
# (ConnectionResetError, BrokenPipeError) from the socket, or py-amqp's own errors; nameko's ack and
# requeue catch only the latter. Uncaught, one ack in flight when the broker was killed crashed the
# nameko container, and the worker exited while its queue filled: the "lost" copies of issue 8.
# An unsettled delivery is not lost: the broker requeues it with its channel, and the inbox makes
# the redelivery a duplicate that is acknowledged without effect.
SETTLE_ERRORS = (OSError, amqp.exceptions.ConnectionError, amqp.exceptions.ChannelError)
# kombu's default reconnect delays grow by 2 s to 30 s: a consumer could come back half a minute
# after its broker did. Capped, it is back within RECONNECT_MAX_S.
RECONNECT_MAX_S = 3.0
# deliveries applied in one transaction, at most; the broker sends up to PREFETCH unacknowledged ones
BATCH_MAX = 100
PREFETCH = 4 * BATCH_MAX


class RawQueueConsumer(QueueConsumer):
    """Delivers undecoded messages, so a strange content type cannot break the consume loop; settles
    deliveries without ever crashing on a lost connection; reconnects promptly."""

    @property
    def prefetch_count(self) -> int:
        return max(PREFETCH, int(self.container.max_workers))

    def get_consumers(self, consumer_cls: Any, channel: Any) -> Any:
        for provider in self._providers:
            consumer = consumer_cls(queues=[provider.queue], on_message=partial(self.handle_message, provider, None))
            consumer.qos(prefetch_count=self.prefetch_count)
            self._consumers[provider] = consumer
        return self._consumers.values()

    @contextmanager
    def establish_connection(self) -> Iterator[Any]:
        with self.create_connection() as connection:
            connection.ensure_connection(
                self.on_connection_error,
                self.connect_max_retries,
                interval_start=1,
                interval_step=1,
                interval_max=RECONNECT_MAX_S,
            )
            yield connection

    def ack_message(self, message: Any) -> None:
        self._settle(message, message.ack, "acknowledging")

    def requeue_message(self, message: Any) -> None:
        self._settle(message, message.requeue, "requeueing")

    def reject_message(self, message: Any) -> None:
        self._settle(message, partial(message.reject, requeue=False), "rejecting")

    def _settle(self, message: Any, settle: Callable[[], None], doing: str) -> None:
        if not message.channel.connection:  # already reclaimed by the broker
            return
        try:
            settle()
        except SETTLE_ERRORS as error:
            log.warning(
                "connection lost before %s %s; the broker will redeliver it: %s: %s",
                doing,
                message.properties.get("message_id"),
                type(error).__name__,
                error,
            )


# the broker's own headers on a delivery: a fresh copy must not carry its count (x-delivery-count) with it
BROKER_HEADERS = frozenset({"x-delivery-count"})
# what a copy keeps of a delivery besides its body, message id and headers (not its user_id: the copy is
# the worker's own publish, stamped with its own broker user, which its consumer accepts when sealed)
COPIED_PROPERTIES = ("content_type", "content_encoding", "correlation_id", "timestamp", "type", "app_id")


def fresh_copy(message: Any) -> dict[str, Any]:
    """A delivery as ``ConfirmedPublisher.send`` arguments: the same body, message id, properties and
    headers, without the broker's delivery count."""
    properties = {name: message.properties[name] for name in COPIED_PROPERTIES if message.properties.get(name)}
    headers = {k: v for k, v in (message.headers or {}).items() if k not in BROKER_HEADERS}
    return {"body": message.body, "message_id": message.properties.get("message_id"), "headers": headers, **properties}


def _user_id(message: Any) -> str | None:
    """The broker user that published a delivery (RabbitMQ refuses a ``user_id`` that is not the
    publishing connection's own, so it can be believed)."""
    user_id = message.properties.get("user_id")
    return str(user_id) if user_id else None


def sender_of(message: Any, queue: str, seal: GiveBackSeal) -> Sender:
    """Who sent a delivery from ``queue``: its ``user_id``, and whether it is a copy this service's worker
    gave back to that queue (its seal holds)."""
    given_back = seal.holds(
        (message.headers or {}).get(SEAL_HEADER), queue, message.properties.get("message_id"), message.body
    )
    return Sender(_user_id(message), given_back)


@dataclass
class Lane:
    """Deliveries of some aggregates (by their subject): applied one batch at a time, in delivery order."""

    waiting: list[Any] = field(default_factory=list)  # delivered, not yet in a batch
    running: bool = False


class CloudEventConsumer(Entrypoint):
    queue_consumer = RawQueueConsumer()

    def __init__(self, queue_name: str, seal: GiveBackSeal, **kwargs: Any):
        self.queue_name = queue_name
        self.seal = seal
        self.queue = kombu.Queue(queue_name, no_declare=True)
        self._lanes: list[Lane] = []
        super().__init__(**kwargs)

    def setup(self) -> None:
        # as many lanes as the worker pool has places, less one for timers (the relay) and other queues:
        # batches of different lanes hold different aggregates' rows, so they never wait for each other
        self._lanes = [Lane() for _ in range(max(1, int(self.container.max_workers) - 1))]
        self.queue_consumer.register_provider(self)

    def stop(self) -> None:
        """No more deliveries; what was delivered is applied and settled before the container stops
        (within the worker's stop grace: any left unsettled go back to the queue with the channel)."""
        self.queue_consumer.unregister_provider(self)
        import eventlet

        while any(lane.running or lane.waiting for lane in self._lanes):
            for lane in self._lanes:
                self._dispatch(lane)
            eventlet.sleep(0.01)

    def handle_message(self, body: Any, message: Any) -> None:
        # each delivery arrives in a green thread of its own (QueueConsumer). One aggregate, one lane:
        # its events are applied in the order they were delivered, one batch after the other
        subject = str((message.headers or {}).get(SUBJECT_HEADER, ""))
        lane = self._lanes[zlib.crc32(subject.encode()) % len(self._lanes)]
        lane.waiting.append(message)
        self._dispatch(lane)

    def _dispatch(self, lane: Lane) -> None:
        if lane.running or not lane.waiting:
            return
        batch, lane.waiting = lane.waiting[:BATCH_MAX], lane.waiting[BATCH_MAX:]
        lane.running = True
        try:
            self.container.spawn_worker(
                self,
                (
                    tuple(message.body for message in batch),
                    tuple(sender_of(message, self.queue_name, self.seal) for message in batch),
                ),
                {},
                context_data={},
                handle_result=partial(self.handle_result, lane, batch),
            )
        except BaseException:  # the container is being killed: the broker takes the batch back with the channel
            lane.running = False
            raise

    def handle_result(
        self, lane: Lane, batch: list[Any], worker_ctx: Any, result: Any = None, exc_info: Any = None
    ) -> Any:
        outcomes = result if exc_info is None else [exc_info[1]] * len(batch)
        given_back = []
        # the batch's acks (and rejects, requeues) in one write: one each was a tenth of a worker's CPU
        try:
            with frames_sent_together(batch[0].channel.connection):  # a lane dispatches only what waits
                for message, outcome in zip(batch, outcomes, strict=True):
                    if outcome is None:
                        self.queue_consumer.ack_message(message)
                    elif isinstance(outcome, DeadLetter):
                        self.queue_consumer.reject_message(message)
                    elif isinstance(outcome, OutageOutlasted):
                        given_back.append(message)
                    else:
                        self.queue_consumer.requeue_message(message)
        except SETTLE_ERRORS as error:  # the held frames' write failed: as for one settle (RawQueueConsumer)
            log.warning(
                "connection lost before settling a batch of %d; the broker will redeliver it: %s: %s",
                len(batch),
                type(error).__name__,
                error,
            )
        # after the others: each waits for its copy's confirm, and nothing else should wait for that
        for message in given_back:
            self.give_back_uncounted(message)
        lane.running = False
        if lane.waiting:
            # not from this worker's own thread: it still holds its place in the worker pool
            self.container.spawn_managed_thread(partial(self._dispatch, lane))
        return result, exc_info

    def give_back_uncounted(self, message: Any) -> None:
        """Put the message back at the end of its queue with a delivery count of 0: a confirmed copy
        through the default exchange, sealed for this queue, then ack. If the copy cannot be published,
        requeue (counted: the broker's delivery limit stays the backstop)."""
        copy = fresh_copy(message)
        copy["headers"][SEAL_HEADER] = self.seal.of(self.queue_name, copy["message_id"], copy["body"])
        # a connection of its own, for one message every few minutes during an outage: nothing to go stale
        publisher = ConfirmedPublisher(self.container.config["AMQP_URI"])
        try:
            publisher.send(exchange="", routing_key=self.queue_name, **copy)
        except PublishFailed as error:
            log.warning("could not give %s back uncounted; requeueing it: %s", copy["message_id"], error)
            self.queue_consumer.requeue_message(message)
            return
        finally:
            publisher.close()
        self.queue_consumer.ack_message(message)


cloudevent_consumer = CloudEventConsumer.decorator


def build_worker_service(
    name: str,
    consumers: Mapping[str, InboxConsumer],
    relay_tick: Callable[[], Any] | None,
    relay_interval_s: float,
    heartbeat: Callable[[int], None] | None = None,
    timers: Mapping[str, tuple[float, Callable[[], Any]]] | None = None,
    seal: GiveBackSeal | None = None,
) -> type:
    """A nameko service class: one consumer method per queue, the outbox relay on a timer, and any
    other periodic work a service needs (``timers``: method name → (interval in seconds, work)).
    ``seal`` (the service's give-back seal) is needed when it consumes."""
    if consumers and seal is None:
        raise ValueError("a worker that consumes needs its service's give-back seal")
    attributes: dict[str, Any] = {"name": name}
    for queue_name, consumer in consumers.items():

        def consume(
            self: Any, raws: tuple[bytes, ...], senders: tuple[Sender, ...], _consumer: InboxConsumer = consumer
        ) -> list[Exception | None]:
            return _consumer.process_batch(raws, senders)

        method_name = "consume_" + queue_name.replace(".", "_").replace("-", "_")
        consume.__name__ = method_name
        attributes[method_name] = cloudevent_consumer(queue_name, seal)(consume)

    def relay(self: Any) -> None:
        if relay_tick is not None:
            relay_tick()
        if heartbeat is not None:
            heartbeat(len(consumers))

    attributes["relay_outbox"] = timer(interval=relay_interval_s, eager=True)(relay)
    for timer_name, (interval_s, work) in (timers or {}).items():

        def periodic(self: Any, _work: Callable[[], Any] = work, _name: str = timer_name) -> None:
            try:
                _work()
            except Exception as error:  # the next tick tries again; the work must be safe to repeat
                if is_database_fault(error):
                    log.warning("periodic %s: database unavailable: %s", _name, db_error_summary(error))
                else:
                    log.exception("periodic %s failed", _name)

        periodic.__name__ = timer_name
        attributes[timer_name] = timer(interval=interval_s, eager=True)(periodic)
    return type(name.title().replace("-", "") + "Worker", (), attributes)


# a worker must be gone within 10 s of SIGTERM (Kubernetes' grace period, and ours), whatever the broker
# and database do: nameko's stop blocks for as long as its consumer retries a lost broker
STOP_GRACE_S = 6.0  # in-flight handlers finish, consumers are cancelled
STOP_DEADLINE_S = 8.5  # then the process exits, wherever it is blocked


def run_worker(service_class: type, amqp_uri: str, max_workers: int, on_stop: Callable[[], None] | None = None) -> None:
    """Run a nameko service until SIGTERM or SIGINT, then stop it gracefully, or exit within
    ``STOP_DEADLINE_S`` if that does not finish."""
    import eventlet
    from nameko.runners import ServiceRunner

    config = {"AMQP_URI": amqp_uri, "max_workers": max_workers, "HEARTBEAT": 15}
    runner = ServiceRunner(config)
    runner.add_service(service_class)

    stopping = eventlet.event.Event()

    def request_stop(signum: int, frame: Any) -> None:
        if not stopping.ready():
            stopping.send(signum)

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    exit_on_stop_deadline(STOP_DEADLINE_S)
    # runner.start() blocks while the broker is unreachable: the deadline above still ends the process
    runner.start()
    log.info("worker started: %s", service_class.__name__)
    crashed: list[BaseException] = []

    def wait_for_runner() -> None:
        try:
            runner.wait()
        except Exception as error:  # a crashed container: reported, and the exit status says so
            crashed.append(error)

    runner_thread = eventlet.spawn(wait_for_runner)
    try:
        while not stopping.ready() and not runner_thread.dead:
            eventlet.sleep(0.2)
    finally:
        log.info("worker stopping")
        with eventlet.Timeout(STOP_GRACE_S, False):
            runner.stop()
        runner.kill()
        if on_stop is not None:
            on_stop()
    if crashed:
        # a supervisor (Kubernetes, make run) must see a failure and restart it, not a clean exit
        log.error("worker stopped by an error: %s: %s", type(crashed[0]).__name__, crashed[0])
        raise SystemExit(1)


def exit_on_stop_deadline(deadline_s: float, signals: tuple[int, ...] = (signal.SIGTERM, signal.SIGINT)) -> None:
    """End the process ``deadline_s`` after a stop signal, with exit status 1, if it is still running.

    Python runs a signal handler only when the main thread gets back to Python code, and there a
    green stop can wait forever; so an OS thread (not a green one) watches the signal wake-up fd,
    which the interpreter writes from its C signal handler the moment a signal arrives. Call it from
    the main thread, after the handlers for ``signals`` are installed."""
    import eventlet.patcher

    real_os = eventlet.patcher.original("os")
    real_time = eventlet.patcher.original("time")
    real_threading = eventlet.patcher.original("threading")
    read_fd, write_fd = real_os.pipe()
    real_os.set_blocking(write_fd, False)
    signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)
    wanted = {int(s) for s in signals}

    def watch() -> None:
        while True:
            received = real_os.read(read_fd, 64)
            if wanted & set(received):
                break
        real_time.sleep(deadline_s)
        record = logging.LogRecord(
            log.name,
            logging.ERROR,
            __file__,
            0,
            "worker did not stop within %.1fs of the stop signal; exiting",
            (deadline_s,),
            None,
        )
        handlers = logging.getLogger().handlers
        line = handlers[0].format(record) if handlers else record.getMessage()
        # straight to the file descriptor: the logging module's locks are green ones here
        real_os.write(2, (line + "\n").encode())
        real_os._exit(1)

    real_threading.Thread(target=watch, name="stop-deadline", daemon=True).start()
