"""The trust directory another service keeps applies an event of a key only if it is newer than what it
holds (issue 10, item 3): a repeated or older ``key_issued`` never replaces a key's secret or scopes."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from services.common.db import scoped_transaction
from services.common.events import CloudEvent
from services.common.inbox import InboxConsumer
from services.common.tenancy import TenantScope
from services.common.trust_directory import api_keys, projection_handlers
from tests.support.infra import PlrStack

EXAMPLES = Path(__file__).resolve().parents[4] / "proto" / "events" / "examples"


def key_event(kind: str, ods: str, key_id: str, version: int, **data: Any) -> CloudEvent:
    body: dict[str, Any] = json.loads((EXAMPLES / f"plr.registry.trust.{kind}.v1.json").read_text())
    body.update(id=str(uuid.uuid4()), aggregateid=ods, aggregateversion=version, trustods=ods, subject=f"trust/{ods}")
    body["data"].update(ods=ods, key_id=key_id, **data)
    return CloudEvent.from_dict(body)


def key_row(stack: PlrStack, key_id: str) -> tuple[Any, ...]:
    with scoped_transaction(stack.engine("matching"), TenantScope.platform_wide()) as connection:
        return tuple(
            connection.execute(
                sa.select(api_keys.c.secret_sha256, api_keys.c.scopes, api_keys.c.revoked_at, api_keys.c.version).where(
                    api_keys.c.key_id == key_id
                )
            ).one()
        )


def test_an_older_key_issued_never_replaces_a_keys_secret_or_scopes(stack: PlrStack) -> None:
    consumer = InboxConsumer("matching.trust-directory.versions-test", stack.engine("matching"), projection_handlers())
    newer = key_event("key_issued", "RKV", "plrk_kv00000000000001", 5, secret_sha256="b" * 64, scopes=["read"])
    consumer.process(newer.to_json())
    older = key_event("key_issued", "RKV", "plrk_kv00000000000001", 4, secret_sha256="c" * 64, scopes=["people"])
    consumer.process(older.to_json())
    assert (key_row(stack, "plrk_kv00000000000001")) == ("b" * 64, ["read"], None, 5)


def test_a_key_revoked_before_its_issue_arrives_stays_revoked_with_no_secret(stack: PlrStack) -> None:
    consumer = InboxConsumer("matching.trust-directory.versions-test", stack.engine("matching"), projection_handlers())
    revoked = key_event("key_revoked", "RKW", "plrk_kw00000000000001", 3)
    consumer.process(revoked.to_json())
    issued = key_event("key_issued", "RKW", "plrk_kw00000000000001", 2, secret_sha256="d" * 64)
    consumer.process(issued.to_json())
    secret, scopes, revoked_at, version = key_row(stack, "plrk_kw00000000000001")
    assert (secret, scopes, version) == ("", [], 3) and revoked_at is not None
