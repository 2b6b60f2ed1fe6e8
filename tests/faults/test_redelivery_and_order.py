"""The same event delivered twice has one effect; an older version delivered after a newer one has none.

First through the broker, with a probe worker consuming the run's own vhost on the shared broker;
then with the platform's real trust-directory projection (``services/common/trust_directory.py``)
behind ``InboxConsumer`` on a migrated matching database.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from services.common.db import scoped_transaction
from services.common.events import CloudEvent
from services.common.inbox import InboxConsumer
from services.common.tenancy import TenantScope
from services.common.trust_directory import api_keys, projection_handlers, trusts
from tests.faults.conftest import StartWorker
from tests.support.infra import Infra, plr_stack
from tests.support.probe import (
    DELIVERY,
    DUPLICATE,
    PROBE_QUEUE,
    ProbeSite,
    Produced,
    check_delivery,
    probe_event,
    publish_raw,
    wait_for_consumers,
    wait_until,
)

pytestmark = pytest.mark.faults


def test_through_the_broker_a_redelivered_event_applies_once_and_an_older_version_not_at_all(
    shared_site: ProbeSite, probe_workers: StartWorker
) -> None:
    site = shared_site
    probe_workers(site, "consumer", consume=PROBE_QUEUE)
    wait_for_consumers(site, PROBE_QUEUE)

    newer = probe_event("c-1", 2)
    for _ in range(2):  # the same message twice, as after a lost ack or a publisher's retry
        publish_raw(site.amqp_uri, newer.to_json(), message_id=newer.id)
    wait_until(
        lambda: site.observations(DELIVERY, newer.id) == 2 and site.observations(DUPLICATE, newer.id) == 1,
        30,
        "both deliveries of the same event handled",
    )
    older = probe_event("c-1", 1)
    publish_raw(site.amqp_uri, older.to_json(), message_id=older.id)
    wait_until(
        lambda: site.observations(DELIVERY, older.id) == 1 and site.effect_count() == 2, 30, "the older version handled"
    )

    effects = {(str(e.event_id), e.version, e.outcome) for e in site.effects()}
    assert effects == {(newer.id, 2, "applied"), (older.id, 1, "ignored")}
    assert site.state() == {"c-1": 2}
    report = check_delivery(site, [Produced(newer.id, "c-1", 2), Produced(older.id, "c-1", 1)])
    assert report.ok and report.applied == 1 and report.ignored == 1 and report.recovered == 1, report.summary()


def _trust_event(kind: str, version: int, **data: Any) -> CloudEvent:
    return CloudEvent(
        type=f"plr.registry.trust.{kind}.v1",
        source="plr/registry",
        data={"ods": "RC1", **data},
        aggregate_type="trust",
        aggregate_id="RC1",
        aggregate_version=version,
        trust_ods="RC1",
    )


def _directory(connection: sa.Connection) -> tuple[Any, ...]:
    trust = connection.execute(sa.select(trusts.c.trust_ods, trusts.c.name, trusts.c.status, trusts.c.version)).all()
    keys = connection.execute(
        sa.select(api_keys.c.key_id, api_keys.c.secret_sha256, api_keys.c.issued_at, api_keys.c.revoked_at)
    ).all()
    return tuple(trust), tuple(keys)


def test_the_trust_directory_projection_applies_a_redelivery_once_and_ignores_older_versions(infra: Infra) -> None:
    issued_at = datetime(2026, 1, 5, 9, 0, tzinfo=UTC).isoformat()
    revoked_at = datetime(2026, 2, 1, 9, 0, tzinfo=UTC).isoformat()
    onboarded = _trust_event("onboarded", 1, name="Riverside NHS Trust")
    issued = _trust_event("key_issued", 2, key_id="plrk_rc1first00000000", secret_sha256="a" * 64, issued_at=issued_at)
    revoked = _trust_event("key_revoked", 3, key_id="plrk_rc1first00000000", revoked_at=revoked_at)

    with plr_stack(infra, services=("matching",)) as stack:
        engine = stack.engine("matching")
        consumer = InboxConsumer(name="matching.trust-directory", engine=engine, handlers=projection_handlers())
        for event in (onboarded, issued, issued, revoked):  # key_issued delivered twice
            consumer.process(event.to_json())
        assert consumer.stats.applied == 3 and consumer.stats.duplicates == 1
        with scoped_transaction(engine, TenantScope.platform_wide()) as connection:
            current = _directory(connection)
        key_row = (
            "plrk_rc1first00000000",
            "a" * 64,
            datetime.fromisoformat(issued_at),
            datetime.fromisoformat(revoked_at),
        )
        assert current == ((("RC1", "Riverside NHS Trust", "active", 3),), (key_row,))

        # older versions arriving late (new event ids, so the inbox cannot catch them: the version must)
        stale_name = _trust_event("onboarded", 1, name="An Older Name")
        stale_issue = _trust_event(
            "key_issued", 2, key_id="plrk_rc1first00000000", secret_sha256="a" * 64, issued_at=issued_at
        )
        for event in (stale_name, stale_issue):
            consumer.process(event.to_json())
        assert consumer.stats.applied == 5  # each recorded in the inbox...
        with scoped_transaction(engine, TenantScope.platform_wide()) as connection:
            assert _directory(connection) == current  # ...and neither changed anything
