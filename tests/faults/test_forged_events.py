"""Forged events (issue 10, item 3; ADR 0009): each service has a broker user of its own, may write only
its own routing keys, stamps every message with its ``user_id`` (which the broker vouches for), and the
consumers dead-letter an event that its service's user did not send. A forged event changes nothing.

The run's stack has its own uniquely named broker users (deleted with it); matching's worker runs, and
the tests forge against its trust directory: a key's hash, and a trust's status.
"""

from __future__ import annotations

import json
import re
import secrets
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from services.common.broker_users import service_uri_variable, uri_as
from services.common.db import scoped_transaction
from services.common.events import CloudEvent
from services.common.relay import ConfirmedPublisher, PublishFailed
from services.common.tenancy import TenantScope
from services.common.topology import ADMIN_PERMISSIONS, DEAD_LETTER_SUFFIX, EVENTS_EXCHANGE
from services.common.trust_directory import api_keys, trusts
from tests.support.infra import Infra, PlrStack, plr_stack, wait_for

pytestmark = pytest.mark.faults

EXAMPLES = Path(__file__).resolve().parents[2] / "proto" / "events" / "examples"
DIRECTORY_QUEUE = "matching.registry-events"
ODS = "RFG"
KEY_ID = "plrk_f0rged0000000000"
TRUE_HASH = "a" * 64
FORGED_HASH = "f" * 64


def key_issued(version: int, secret_sha256: str, source: str = "plr/registry") -> CloudEvent:
    body: dict[str, Any] = json.loads((EXAMPLES / "plr.registry.trust.key_issued.v1.json").read_text())
    body.update(id=str(uuid.uuid4()), source=source, aggregateid=ODS, aggregateversion=version, trustods=ODS)
    body["subject"] = f"trust/{ODS}"
    body["data"].update(ods=ODS, key_id=KEY_ID, secret_sha256=secret_sha256)
    return CloudEvent.from_dict(body)


def trust_suspended(version: int) -> CloudEvent:
    return CloudEvent(
        type="plr.registry.trust.suspended.v1",
        source="plr/registry",
        data={"ods": ODS, "reason": "forged"},
        aggregate_type="trust",
        aggregate_id=ODS,
        aggregate_version=version,
        trust_ods=ODS,
    )


def publisher_of(stack: PlrStack, service: str) -> ConfirmedPublisher:
    """A connection as one service's broker user (what anyone holding its password can do)."""
    return ConfirmedPublisher(stack.env[service_uri_variable(service)])


def send(publisher: ConfirmedPublisher, event: CloudEvent, **route: Any) -> None:
    where = {"exchange": EVENTS_EXCHANGE, "routing_key": event.routing_key, **route}
    try:
        publisher.send(
            event.to_json(),
            message_id=event.id,
            headers={"ce-type": event.type, "ce-subject": f"trust/{ODS}"},
            **where,
        )
    finally:
        publisher.close()


def directory(stack: PlrStack) -> tuple[str | None, str | None, int | None]:
    """Matching's copy of the key's hash, the trust's status and version."""
    with scoped_transaction(stack.engine("matching"), TenantScope.platform_wide()) as connection:
        key = connection.execute(sa.select(api_keys.c.secret_sha256).where(api_keys.c.key_id == KEY_ID)).scalar()
        trust = connection.execute(
            sa.select(trusts.c.status, trusts.c.version).where(trusts.c.trust_ods == ODS)
        ).first()
    return key, *(trust if trust else (None, None))


def dead_letters(stack: PlrStack) -> list[str]:
    result = stack.plr("dlq", "list", "--json")
    assert result.returncode == 0, result.stderr
    return [row["event_id"] for row in json.loads(result.stdout) if row["queue"] == DIRECTORY_QUEUE]


@pytest.fixture(scope="module")
def system(infra: Infra) -> Iterator[PlrStack]:
    """Matching's worker on a stack of its own, its directory holding trust RFG (active, version 2)
    and its key, as the registry's own user sent them."""
    with plr_stack(infra, ("registry", "matching", "recruitment")) as stack:
        worker = stack.process("matching", "worker")
        try:
            wait_for(
                lambda: (stack.management().queue_info(DIRECTORY_QUEUE) or {}).get("consumers"), 60, 0.5, "the worker"
            )
            onboarded = CloudEvent(
                type="plr.registry.trust.onboarded.v1",
                source="plr/registry",
                data={"ods": ODS, "name": "Forgery Test NHS Trust"},
                aggregate_type="trust",
                aggregate_id=ODS,
                aggregate_version=1,
                trust_ods=ODS,
            )
            send(publisher_of(stack, "registry"), onboarded)
            send(publisher_of(stack, "registry"), key_issued(2, TRUE_HASH))
            wait_for(lambda: directory(stack) == (TRUE_HASH, "active", 2), 30, 0.2, "the true key in matching")
            yield stack
        finally:
            worker.terminate()
            worker.communicate(timeout=30)


def test_a_service_may_write_only_its_own_routing_keys(system: PlrStack) -> None:
    """Topic permissions: recruitment's user cannot publish the registry's ``registry.trust.key_issued``
    on the events exchange (the broker refuses it), though it may publish its own routing keys."""
    with pytest.raises(PublishFailed, match="ACCESS_REFUSED"):
        send(publisher_of(system, "recruitment"), key_issued(50, FORGED_HASH))
    own = trust_suspended(1)
    send(publisher_of(system, "recruitment"), own, routing_key="recruitment.trust.suspended")  # refused by none
    assert directory(system) == (TRUE_HASH, "active", 2)


def test_the_broker_refuses_a_user_id_that_is_not_the_connections_user(system: PlrStack) -> None:
    """A message claiming to be the registry's (``user_id``) from matching's connection is refused."""
    forged = trust_suspended(10**12)
    registry_user = urlsplit(system.env[service_uri_variable("registry")]).username
    with pytest.raises(PublishFailed, match="PRECONDITION_FAILED"):
        send(publisher_of(system, "matching"), forged, routing_key="matching.trust.suspended", user_id=registry_user)
    assert directory(system) == (TRUE_HASH, "active", 2)


def test_an_event_not_sent_by_its_services_user_is_dead_lettered_and_changes_nothing(system: PlrStack) -> None:
    """Recruitment's user puts a registry key_issued and a suspension with a huge version straight into
    matching's queue (the default exchange): the consumer dead-letters both, the key's hash and the
    trust's status stay as the registry said."""
    forged_key = key_issued(10**12, FORGED_HASH)
    pinned = trust_suspended(10**12)
    for event in (forged_key, pinned):
        send(publisher_of(system, "recruitment"), event, exchange="", routing_key=DIRECTORY_QUEUE)
    wait_for(lambda: {forged_key.id, pinned.id} <= set(dead_letters(system)), 30, 0.5, "both forgeries dead-lettered")
    assert directory(system) == (TRUE_HASH, "active", 2)


def test_plr_dlq_replay_keeps_each_events_user_id_through_an_impersonating_administrator(system: PlrStack) -> None:
    """A replay keeps the sender: a forged event comes back as recruitment's and is dead-lettered again
    (never applied); and a replay through a user that may not impersonate is refused, leaving it there."""
    forged = key_issued(10**12 + 1, FORGED_HASH)
    send(publisher_of(system, "recruitment"), forged, exchange="", routing_key=DIRECTORY_QUEUE)
    wait_for(lambda: forged.id in dead_letters(system), 30, 0.5, "the forgery dead-lettered")

    # a service's own user may not even read the dead letters; an administrator who may not impersonate
    # may read them, but not send one as its service
    matching = {**system.env, "PLR_AMQP_URI": system.env[service_uri_variable("matching")]}
    refused = system.plr("dlq", "replay", DIRECTORY_QUEUE, "--id", forged.id, env=matching)
    assert refused.returncode == 1 and "ACCESS_REFUSED" in refused.stderr, refused.stdout + refused.stderr
    management = system.management()
    plain_admin, password = f"{system.settings.amqp_user_prefix}plain-admin", secrets.token_urlsafe(24)
    management.user(plain_admin, password, ("administrator",))
    try:
        management.permit(plain_admin, ADMIN_PERMISSIONS)
        plain = {**system.env, "PLR_AMQP_URI": uri_as(system.env["PLR_AMQP_URI"], plain_admin, password)}
        refused = system.plr("dlq", "replay", DIRECTORY_QUEUE + DEAD_LETTER_SUFFIX, "--id", forged.id, env=plain)
    finally:
        management.delete_user(plain_admin)
    assert refused.returncode == 1 and "impersonator" in refused.stderr, refused.stdout + refused.stderr
    assert "Traceback" not in refused.stderr
    assert forged.id in dead_letters(system)

    replayed = system.plr("dlq", "replay", DIRECTORY_QUEUE, "--id", forged.id)
    # every dead letter of the event: a publish retried on a slow confirm may have sent the forgery twice
    assert replayed.returncode == 0 and re.search(r"Replayed [1-9]\d* dead letter", replayed.stdout), replayed.stderr
    assert forged.id in replayed.stdout
    wait_for(lambda: forged.id in dead_letters(system), 30, 0.5, "the replayed forgery dead-lettered again")
    assert directory(system) == (TRUE_HASH, "active", 2)


def test_a_consumers_own_user_cannot_put_another_services_event_into_its_own_queue(system: PlrStack) -> None:
    """Attack on issue 10 item 3: matching's own broker user (its password alone) may write the default
    exchange, and the consumer accepts its own user's ``user_id`` (meant for its give-back copies).
    A registry key_issued for another trust, sent so into matching's own queue, must change nothing:
    today it is applied, and the forged key then authenticates on matching's api as that trust."""
    other_ods, other_key = "RFH", "plrk_f0rged0000000001"
    body: dict[str, Any] = json.loads((EXAMPLES / "plr.registry.trust.key_issued.v1.json").read_text())
    body.update(id=str(uuid.uuid4()), aggregateid=other_ods, aggregateversion=10**12, trustods=other_ods)
    body["subject"] = f"trust/{other_ods}"
    body["data"].update(ods=other_ods, key_id=other_key, secret_sha256=FORGED_HASH)
    forged = CloudEvent.from_dict(body)
    send(publisher_of(system, "matching"), forged, exchange="", routing_key=DIRECTORY_QUEUE)

    def applied() -> str | None:
        with scoped_transaction(system.engine("matching"), TenantScope.platform_wide()) as connection:
            return connection.execute(
                sa.select(api_keys.c.secret_sha256).where(api_keys.c.key_id == other_key)
            ).scalar()

    wait_for(lambda: forged.id in dead_letters(system) or applied() is not None, 30, 0.5, "the forgery handled")
    assert applied() is None, "a registry event forged by matching's own broker user was applied"
    assert forged.id in dead_letters(system)
