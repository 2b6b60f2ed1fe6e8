"""An event nobody subscribes to is kept in ``plr.unrouted`` (the alternate exchange), and the relay is
not stuck behind it: the events committed after it still arrive. It is kept for a while only (a
policy: its oldest go by age or when it is full, and a full queue never stalls the relay), and
``plr unrouted list|purge`` shows and empties it. Runs on the run's own vhost of the shared broker,
where only the probe queue is bound, so a registry event has no subscriber."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
import sqlalchemy as sa

from services.common.events import CloudEvent
from services.common.platform_tables import outbox
from services.common.relay import ConfirmedPublisher
from services.common.topology import UNROUTED_QUEUE, UnroutedLimits, declare_platform
from tests.faults.conftest import StartWorker
from tests.support.infra import Infra
from tests.support.probe import (
    PROBE_QUEUE,
    ProbeProducer,
    ProbeSite,
    check_delivery,
    probe_site,
    wait_for_consumers,
    wait_until,
)

pytestmark = pytest.mark.faults


@pytest.fixture
def shared_site(infra: Infra) -> Iterator[ProbeSite]:
    """The probe site, whose relay also publishes the registry's routing keys (the registry events
    nobody subscribes to are in its outbox; its broker user's topic permission takes them too)."""
    with probe_site(infra.pg_admin_url, infra.amqp_uri, infra.management_url, also_publishes=("registry",)) as site:
        yield site


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


def nobody_listens(n: int) -> CloudEvent:
    return CloudEvent(
        type="plr.registry.trust.onboarded.v1",
        source="plr/registry",
        data={"ods": f"RU{n}", "name": f"Unrouted {n} NHS Trust"},
        aggregate_type="trust",
        aggregate_id=f"RU{n}",
        aggregate_version=1,
        trust_ods=f"RU{n}",
    )


def limit_unrouted(site: ProbeSite, limits: UnroutedLimits) -> None:
    """The platform declared afresh with these limits (the queue made again after its policy, as the
    platform does, so the limits hold from its first message)."""
    management = site.management()
    management.request("DELETE", f"/queues/{management.v}/{quote(UNROUTED_QUEUE, safe='')}")
    declare_platform(management, limits)


def unrouted_ids(site: ProbeSite) -> list[str]:
    management = site.management()
    kept = management.request(
        "POST",
        f"/queues/{management.v}/{quote(UNROUTED_QUEUE, safe='')}/get",
        {"count": 1000, "ackmode": "ack_requeue_true", "encoding": "auto", "truncate": 0},
    ).json()
    return [m["properties"]["message_id"] for m in kept]


def publish_unrouted(site: ProbeSite, events: list[CloudEvent]) -> None:
    """Published as the relay publishes them (confirmed, mandatory), each confirmed; by the administrator,
    whose topic permission takes any service's routing keys."""
    publisher = ConfirmedPublisher(site.admin_amqp_uri)
    try:
        for event in events:
            publisher.publish(
                event.to_json(), message_id=event.id, routing_key=event.routing_key, event_type=event.type
            )
    finally:
        publisher.close()


def plr(site: ProbeSite, *args: str) -> subprocess.CompletedProcess[str]:
    command = Path(sys.executable).parent / "plr"
    # input="": stdin is not a terminal, as in a script
    return subprocess.run(
        [str(command), *args], env=site.plr_env(), capture_output=True, text=True, timeout=60, input=""
    )


def test_the_platform_bounds_unrouted_by_a_policy_that_drops_its_oldest(shared_site: ProbeSite) -> None:
    management = shared_site.management()
    policy = management.request("GET", f"/policies/{management.v}/{quote(UNROUTED_QUEUE, safe='')}").json()
    assert policy["definition"] == UnroutedLimits().policy()
    assert policy["definition"]["overflow"] == "drop-head" and "dead-letter-exchange" not in policy["definition"]
    assert policy["pattern"] == "^plr\\.unrouted$"


def test_a_full_unrouted_queue_drops_its_oldest_and_never_stalls_the_relay_for_routed_events(
    shared_site: ProbeSite, probe_workers: StartWorker
) -> None:
    site = shared_site
    limit_unrouted(site, UnroutedLimits(max_length=2))
    probe_workers(site, "worker", relay=True, consume=PROBE_QUEUE)
    wait_for_consumers(site, PROBE_QUEUE)
    producer = ProbeProducer(site.engine)
    producer.seed(["f-1"])

    unrouted = [producer.produce_event(nobody_listens(n)) for n in range(5)]
    routed = [producer.produce("f-1") for _ in range(3)]

    wait_until(lambda: site.effect_count() >= len(routed), 60, "the routed events committed after the unrouted ones")
    wait_until(lambda: site.unpublished() == 0, 30, "the whole outbox published")
    assert unrouted_ids(site) == [u.event_id for u in unrouted[-2:]]  # the newest two; the oldest dropped
    report = check_delivery(site, routed)
    assert report.ok and report.effects == len(routed), report.summary()
    assert site.worker_totals()["publish_failures"] == 0


def test_an_unrouted_event_goes_once_it_is_older_than_the_maximum_age(shared_site: ProbeSite) -> None:
    site = shared_site
    limit_unrouted(site, UnroutedLimits(max_age_s=3))
    event = nobody_listens(1)

    publish_unrouted(site, [event])

    assert unrouted_ids(site) == [event.id]
    wait_until(lambda: site.queue_depth(UNROUTED_QUEUE) == 0, 30, "the unrouted event to expire")


def test_plr_unrouted_lists_the_events_without_their_data_and_purges_only_when_confirmed(
    shared_site: ProbeSite,
) -> None:
    site = shared_site
    events = [nobody_listens(n) for n in range(3)]
    publish_unrouted(site, events)

    listed = plr(site, "unrouted", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout) == [
        {"event_id": e.id, "type": "plr.registry.trust.onboarded.v1", "routing_key": "registry.trust.onboarded"}
        for e in events
    ]
    table = plr(site, "unrouted", "list")
    assert table.returncode == 0 and all(e.id in table.stdout for e in events)
    assert "Unrouted" not in listed.stdout + table.stdout  # the events' data is not shown

    unconfirmed = plr(site, "unrouted", "purge")
    assert unconfirmed.returncode == 2 and "--yes" in unconfirmed.stderr
    assert site.queue_depth(UNROUTED_QUEUE) == 3

    purged = plr(site, "unrouted", "purge", "--yes")
    assert purged.returncode == 0, purged.stderr
    assert "Purged 3 unrouted event(s)." in purged.stdout
    assert site.queue_depth(UNROUTED_QUEUE) == 0
    assert json.loads(plr(site, "unrouted", "list", "--json").stdout) == []
