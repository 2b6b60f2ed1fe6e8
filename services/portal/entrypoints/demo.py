"""The portal's part of ``make run`` (its manifest's ``demo``): a demo person's sign-in.

The person is the registry's first test person of the demo trust RXX (the registry's demo makes them;
asked again here, which makes nothing new), with a portal account whose address is verified and which
acts for them, so that signing in shows their trust at once. The password is made afresh at every run
and printed once. The registry makes test people only outside production, so this never makes an
account on a production system.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime

from plr.registry.v1 import demo_pb2, demo_pb2_grpc

from services.common.db import process_engine
from services.common.grpc_client import api_channel, bearer
from services.common.settings import Settings, SettingsError
from services.portal.adapters.passwords import Argon2Hasher
from services.portal.adapters.resets import SqlPasswordResets
from services.portal.adapters.store import SqlAccountStore
from services.portal.domain.accounts import email_key

DEMO_TRUST = "RXX"
REGISTRY_TIMEOUT_S = 30.0


def run(settings: Settings) -> str:
    if not settings.admin_token:
        raise SettingsError("PLR_ADMIN_TOKEN is not set: the demo asks the registry for its test person")
    channel = api_channel(settings, "registry")
    try:
        request = demo_pb2.CreateTestPeopleRequest(trust_ods=DEMO_TRUST, count=1)
        person = (
            demo_pb2_grpc.DemoServiceStub(channel)
            .CreateTestPeople(request, metadata=bearer(settings.admin_token), timeout=REGISTRY_TIMEOUT_S)
            .people[0]
        )
    finally:
        channel.close()
    password = secrets.token_urlsafe(12)
    engine = process_engine(settings, "portal", "demo", pool_size=1)
    try:
        accounts, now = SqlAccountStore(engine), datetime.now(UTC)
        key = email_key(person.email)
        accounts.add(str(uuid.uuid4()), key, "", now)  # nothing when the account exists from an earlier run
        account = accounts.by_email(key)
        assert account is not None
        SqlPasswordResets(engine).replace_password(account.account_id, Argon2Hasher().hash(password), now)
        if not accounts.link_leader(account.account_id, person.leader_id):
            raise SettingsError(f"the demo person is joined to another portal account than {person.email}'s")
    finally:
        engine.dispose()
    return f"demo person's sign-in at the portal: {person.email} / {password}"
