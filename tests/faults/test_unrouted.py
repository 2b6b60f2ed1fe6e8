"""An event nobody subscribes to is kept in ``plr.unrouted`` (the alternate exchange), and the relay is
not stuck behind it: the events committed after it still arrive. Runs on the run's own vhost of the
shared broker, where only the probe queue is bound, so a registry event has no subscriber."""

from __future__ import annotations

import base64
from urllib.parse import quote

import pytest
import sqlalchemy as sa

from services.common.events import CloudEvent
from services.common.platform_tables import outbox
from services.common.topology import UNROUTED_QUEUE
from tests.faults.conftest import StartWorker
from tests.support.probe import PROBE_QUEUE, ProbeProducer, ProbeSite, check_delivery, wait_for_consumers, wait_until

pytestmark = pytest.mark.faults

AFTER = 10


def test_an_event_without_a_subscriber_is_kept_in_unrouted_and_the_relay_goes_on(
    shared_site: ProbeSite, probe_workers: StartWorker
) -> None:
    site = shared_site
    probe_workers(site, "worker", relay=True, consume=PROBE_QUEUE)
    wait_for_consumers(site, PROBE_QUEUE)
    producer = ProbeProducer(site.engine)
    producer.seed(["d-1"])

    first = producer.produce("d-1")
    nobody_listens = producer.produce_event(
        CloudEvent(
            type="plr.registry.trust.onboarded.v1",
            source="plr/registry",
            data={"ods": "RD1", "name": "Delta NHS Trust"},
            aggregate_type="trust",
            aggregate_id="RD1",
            aggregate_version=1,
            trust_ods="RD1",
        )
    )
    after = [producer.produce("d-1") for _ in range(AFTER)]
    probe_events = [first, *after]

    wait_until(lambda: site.effect_count() >= len(probe_events), 60, "the events committed after it")
    wait_until(lambda: site.unpublished() == 0, 30, "the whole outbox published")
    assert site.queue_depth(UNROUTED_QUEUE) == 1
    report = check_delivery(site, probe_events)
    # concurrent handlers may take an older version after a newer one (ignored, by design): none lost
    assert report.ok and report.effects == len(probe_events), report.summary()
    assert site.state() == {"d-1": AFTER + 1}

    management = site.management()
    kept = management.request(
        "POST",
        f"/queues/{management.v}/{quote(UNROUTED_QUEUE, safe='')}/get",
        {"count": 1, "ackmode": "ack_requeue_true", "encoding": "base64", "truncate": 1_000_000},
    ).json()
    assert [m["properties"]["message_id"] for m in kept] == [nobody_listens.event_id]
    assert base64.b64decode(kept[0]["payload"]) == site.outbox_payload(nobody_listens.event_id)
    assert kept[0]["routing_key"] == "registry.trust.onboarded"

    # routed to the alternate exchange is a success for the relay, not a failure to retry
    with site.engine.connect() as connection:
        attempts = connection.execute(
            sa.select(outbox.c.publish_attempts).where(outbox.c.event_id == nobody_listens.event_id)
        ).scalar_one()
    assert attempts == 0
    assert site.worker_totals()["publish_failures"] == 0
