"""A poison message: tried the counted number of times, dead-lettered with its body intact, the messages
behind it still flowing; once the cause is remedied, ``plr dlq replay QUEUE --id ID`` sends it back exactly
once. Runs on the run's own vhost of the shared broker, with a probe worker that relays and consumes."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from services.common.inbox import InboxConsumer
from tests.faults.conftest import StartWorker
from tests.support.probe import (
    DELIVERY,
    HANDLER_FAILURE,
    POISON_NOTE,
    PROBE_QUEUE,
    ProbeProducer,
    ProbeSite,
    check_delivery,
    wait_for_consumers,
    wait_until,
)

pytestmark = pytest.mark.faults

DEAD_LETTER_QUEUE = PROBE_QUEUE + ".dead-letter"
BEHIND = 20
COUNTED_ATTEMPTS = InboxConsumer.__dataclass_fields__["max_handler_attempts"].default


def _plr(site: ProbeSite, *args: str) -> subprocess.CompletedProcess[str]:
    command = Path(sys.executable).parent / "plr"
    return subprocess.run([str(command), *args], env=site.plr_env(), capture_output=True, text=True, timeout=60)


def _peek_dead_letter(site: ProbeSite) -> tuple[bytes, dict[str, Any]]:
    """The first dead letter's exact bytes (base64 from the broker, no client decoding) and properties;
    the broker puts it back."""
    management = site.management()
    response = management.request(
        "POST",
        f"/queues/{management.v}/{quote(DEAD_LETTER_QUEUE, safe='')}/get",
        {"count": 1, "ackmode": "ack_requeue_true", "encoding": "base64", "truncate": 1_000_000},
    )
    messages = response.json()
    assert len(messages) == 1, "the dead-letter queue is empty"
    assert messages[0]["payload_encoding"] == "base64"
    return base64.b64decode(messages[0]["payload"]), messages[0]["properties"]


def test_a_poison_message_is_dead_lettered_intact_and_replayed_exactly_once(
    shared_site: ProbeSite, probe_workers: StartWorker
) -> None:
    site = shared_site
    probe_workers(site, "worker", relay=True, consume=PROBE_QUEUE)
    wait_for_consumers(site, PROBE_QUEUE)
    producer = ProbeProducer(site.engine)
    producer.seed(["before", "poisoned", *(f"behind-{n}" for n in range(BEHIND))])

    producer.produce("before")
    poison = producer.produce("poisoned", note=POISON_NOTE)
    for n in range(BEHIND):
        producer.produce(f"behind-{n}")
    healthy = [p for p in producer.produced if p != poison]

    # the messages behind it keep flowing, and the poison ends up in the dead-letter queue
    wait_until(lambda: site.effect_count() >= len(healthy), 60, f"{len(healthy)} healthy events applied")
    wait_until(lambda: site.queue_depth(DEAD_LETTER_QUEUE) == 1, 60, "the poison message in the dead-letter queue")
    assert site.observations(HANDLER_FAILURE, poison.event_id) == COUNTED_ATTEMPTS == 3
    assert site.observations(DELIVERY, poison.event_id) == 1  # the attempts are counted in the process
    before_replay = check_delivery(site, producer.produced)
    assert before_replay.lost == [poison.event_id] and not before_replay.duplicated

    body, properties = _peek_dead_letter(site)
    headers = properties["headers"]
    assert body == site.outbox_payload(poison.event_id), "the dead letter's body is not the committed event"
    assert properties["message_id"] == poison.event_id
    assert headers["ce-type"] == "plr.diagnostics.probe.recorded.v1"
    assert headers["x-first-death-reason"] == "rejected" and headers["x-first-death-queue"] == PROBE_QUEUE

    listed = _plr(site, "dlq", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    [letter] = [row for row in json.loads(listed.stdout) if row["event_id"] == poison.event_id]
    assert letter["queue"] == PROBE_QUEUE and letter["reason"] == "rejected"
    assert letter["type"] == "plr.diagnostics.probe.recorded.v1"

    # the cause is remedied (a fix deployed); the operator sends the dead letter back
    site.remedy_poison()
    replayed = _plr(site, "dlq", "replay", PROBE_QUEUE, "--id", poison.event_id)
    assert replayed.returncode == 0, replayed.stderr
    assert "Replayed 1 dead letter(s)" in replayed.stdout

    wait_until(lambda: site.effect_count() >= len(producer.produced), 60, "the replayed event applied")
    assert site.queue_depth(DEAD_LETTER_QUEUE) == 0
    assert site.observations(DELIVERY, poison.event_id) == 2  # seen exactly once more
    assert site.observations(HANDLER_FAILURE, poison.event_id) == COUNTED_ATTEMPTS
    after_replay = check_delivery(site, producer.produced)
    print(f"checker after replay: {after_replay.summary()}")
    assert after_replay.ok, after_replay.summary()
    assert after_replay.applied == len(producer.produced)

    again = _plr(site, "dlq", "replay", PROBE_QUEUE, "--id", poison.event_id)
    assert again.returncode == 1 and "Replayed 0" in again.stdout  # nothing left to send twice
