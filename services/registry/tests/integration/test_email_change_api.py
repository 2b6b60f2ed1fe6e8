"""Issue 9: a change of the person's own email address, confirmed by a one-time link, through the real
gRPC API, the registry worker's notifier (the real inbox consumer, given the outbox's events as the
broker would) and a real SMTP mail catcher. And the notifier's ledger: a failed send in the middle of a
batch never sends the batch's earlier messages again."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
import sqlalchemy as sa
from plr.registry.v1 import leaders_pb2 as lpb

from services.common.admin.mail_catcher import KeepInDirectory
from services.common.db import scoped_transaction
from services.common.events import SchemaRegistry
from services.common.grpc_client import bearer
from services.common.platform_tables import outbox
from services.common.tenancy import TenantScope
from services.registry.adapters.tables import email_changes
from services.registry.domain.email_change import token_digest
from services.registry.service_layer.notifications import VERIFY_PATH
from services.registry.tests.integration.conftest import RegistryClient
from services.registry.tests.integration.networks_support import active_leader, delivered, email, event_data, refusal
from services.registry.tests.integration.test_invitations_api import catcher, contracts, mail_to, notifier
from services.registry.tests.integration.test_no_trust_learns_of_another import masked
from tests.support.infra import PlrStack
from tests.support.ports import free_port

pytestmark = pytest.mark.integration

__all__ = ["catcher", "contracts"]  # fixtures shared with the invitations' tests

REQUESTED = "plr.registry.leader.email_change_requested.v1"
ON_BEHALF = "plr.registry.leader.changed_on_behalf.v1"
ASKED = lpb.OnBehalf(staff="Sam Jones", how_asked="by phone, caller verified by date of birth")


@pytest.fixture(scope="module")
def keys(registry: RegistryClient) -> dict[str, str]:
    return {ods: registry.onboard(ods).initial_key.key for ods in ("REA", "REB")}


def _as_leader(registry: RegistryClient, leader_id: str) -> tuple[tuple[str, str], ...]:
    return registry.as_leader(leader_id)


def _ask(registry: RegistryClient, leader_id: str, address: str, key: str | None = None) -> lpb.Leader:
    """Asks for the person's new address: as the person, or with a trust's key on their behalf."""
    caller = bearer(key) if key else _as_leader(registry, leader_id)
    # the version the caller itself read: a trust's counts no other trust's consents
    version = registry.leaders.GetLeader(lpb.GetLeaderRequest(leader_id=leader_id), metadata=caller, timeout=10).version
    request = lpb.UpdateLeaderRequest(
        leader_id=leader_id,
        expected_version=version,
        profile=lpb.LeaderProfile(email=address),
        fields=["email"],
        on_behalf=ASKED if key else None,
    )
    return registry.leaders.UpdateLeader(request, metadata=caller, timeout=10)


def _verify(registry: RegistryClient, leader_id: str, token: str) -> lpb.Leader:
    request = lpb.VerifyEmailChangeRequest(token=token)
    return registry.leaders.VerifyEmailChange(request, metadata=_as_leader(registry, leader_id), timeout=10)


def _token(body: str) -> str:
    found = re.search(re.escape(VERIFY_PATH) + r"([A-Za-z0-9_-]+)", body)
    assert found, "no link in the message"
    return found.group(1)


def test_the_new_address_becomes_the_person_s_once_they_open_the_link_mailed_to_it(
    registry: RegistryClient,
    keys: dict[str, str],
    stack: PlrStack,
    catcher: tuple[str, Path],
    contracts: SchemaRegistry,
) -> None:
    url, directory = catcher
    old, new = email(), email()
    leader_id = active_leader(registry, keys["REA"], old)
    asked = _ask(registry, leader_id, new)
    assert asked.email_change_pending and asked.profile.email == old  # nothing changed yet
    assert delivered(stack, notifier(stack, url, contracts), leader_id, REQUESTED) == 1
    [link], [notice] = mail_to(directory, new), mail_to(directory, old)
    token = _token(link.body)
    assert token not in notice.body and "Grace" not in link.body
    # neither the address nor the token is on the bus; the token is kept as its digest only
    assert new not in str(event_data(stack, leader_id)) and token not in str(event_data(stack, leader_id))
    with scoped_transaction(stack.engine("registry"), TenantScope.platform_wide()) as connection:
        kept = connection.execute(sa.select(email_changes).where(email_changes.c.leader_id == leader_id)).one()
    assert kept.token_sha256 == token_digest(token) and token not in str(tuple(kept))

    by_trust = refusal(
        registry.leaders.VerifyEmailChange, lpb.VerifyEmailChangeRequest(token=token), metadata=bearer(keys["REA"])
    )
    assert by_trust.code() == grpc.StatusCode.PERMISSION_DENIED  # the person's alone, whatever the trust holds
    stranger = active_leader(registry, keys["REA"], email())
    assert refusal(_verify, registry, stranger, token).code() == grpc.StatusCode.NOT_FOUND  # not theirs
    verified = _verify(registry, leader_id, token)
    assert verified.profile.email == new and not verified.email_change_pending
    assert refusal(_verify, registry, leader_id, token).code() == grpc.StatusCode.NOT_FOUND  # it works once
    bad = refusal(_verify, registry, leader_id, "not a link")
    assert bad.code() == grpc.StatusCode.INVALID_ARGUMENT and "token" in (bad.details() or "")
    history = registry.leaders.ListChanges(
        lpb.ListChangesRequest(leader_id=leader_id), metadata=_as_leader(registry, leader_id), timeout=10
    )
    named = [(e.method, tuple(e.fields)) for e in history.entries]
    assert ("UpdateLeader", ("email_change_requested",)) in named and ("VerifyEmailChange", ("email",)) in named


def test_a_trust_asking_on_the_person_s_behalf_gets_one_answer_whoever_holds_the_address(
    registry: RegistryClient,
    keys: dict[str, str],
    stack: PlrStack,
    catcher: tuple[str, Path],
    contracts: SchemaRegistry,
) -> None:
    url, directory = catcher
    own = email()
    leader_id = active_leader(registry, keys["REA"], own)
    registry.consent(leader_id, "contact_by_trust", "REA")
    taken = email()
    other = active_leader(registry, keys["REB"], taken)  # another trust's person holds this address

    free_answer = _ask(registry, leader_id, email(), keys["REA"])
    taken_answer = _ask(registry, leader_id, taken.upper(), keys["REA"])
    free_answer.version = taken_answer.version = 0  # each asking is a change of its own
    assert masked(free_answer) == masked(taken_answer) and taken_answer.email_change_pending
    assert delivered(stack, notifier(stack, url, contracts), leader_id, REQUESTED) == 2
    assert all("REA NHS Trust" in m.body and "on your behalf" in m.body for m in mail_to(directory, own))
    [link] = [m for m in mail_to(directory, taken.upper()) + mail_to(directory, taken) if VERIFY_PATH in m.body]

    refused = refusal(_verify, registry, leader_id, _token(link.body))
    assert refused.code() == grpc.StatusCode.FAILED_PRECONDITION and "email" in (refused.details() or "")
    assert other not in (refused.details() or "") and "Grace" not in (refused.details() or "")
    me = _as_leader(registry, leader_id)
    after = registry.leaders.GetLeader(lpb.GetLeaderRequest(leader_id=leader_id), metadata=me, timeout=10)
    assert after.profile.email == own
    with scoped_transaction(stack.engine("registry"), TenantScope.platform_wide()) as connection:
        waiting = connection.execute(sa.select(email_changes).where(email_changes.c.leader_id == leader_id)).all()
    assert waiting == []  # every link of hers is used up: the free address's link too


class FailingTheNth(KeepInDirectory):
    """A mail server that refuses the nth message it is given (counting from 1), and takes the rest."""

    def __init__(self, directory: Path, nth: int):
        super().__init__(directory)
        self.nth, self.given = nth, 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.given += 1
        if self.given == self.nth:
            return "554 Transaction failed"
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def failing_second(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    from aiosmtpd.controller import Controller

    port = free_port()
    controller = Controller(FailingTheNth(tmp_path, 2), hostname="127.0.0.1", port=port)
    controller.start()
    yield f"smtp://127.0.0.1:{port}", tmp_path
    controller.stop()


def test_a_send_failing_in_the_middle_of_a_batch_sends_no_message_twice(
    registry: RegistryClient,
    keys: dict[str, str],
    stack: PlrStack,
    failing_second: tuple[str, Path],
    contracts: SchemaRegistry,
) -> None:
    url, directory = failing_second
    people = {active_leader(registry, keys["REA"], address): address for address in (email(), email(), email())}
    for leader_id in people:
        request = lpb.PauseLeaderRequest(leader_id=leader_id, until="2099-03-01", on_behalf=ASKED)
        registry.leaders.PauseLeader(request, metadata=bearer(keys["REA"]), timeout=10)
    with scoped_transaction(stack.engine("registry"), TenantScope.platform_wide()) as connection:
        payloads = [
            connection.execute(
                sa.select(outbox.c.payload).where(outbox.c.aggregate_id == leader_id, outbox.c.event_type == ON_BEHALF)
            ).scalar_one()
            for leader_id in people
        ]
    consumer = notifier(stack, url, contracts)
    outcomes = consumer.process_batch([p.encode() for p in payloads])
    assert outcomes == [None, None, None] and consumer.stats.handler_failures == 1  # the batch failed once
    assert {address: len(mail_to(directory, address)) for address in people.values()} == dict.fromkeys(
        people.values(), 1
    )
    assert consumer.process_batch([p.encode() for p in payloads]) == [None, None, None]  # redelivered: duplicates
    assert sum(len(mail_to(directory, a)) for a in people.values()) == 3
