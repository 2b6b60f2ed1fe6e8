"""Attack on issue 9 from outside, with two trusts holding the same person: what one trust's answers
reveal of the other, and what one trust's call does to the other's relationship. Each test fails
today (found by the attack on issues 9 and 10)."""

from __future__ import annotations

import uuid

import grpc
import pytest
import sqlalchemy as sa
from plr.registry.v1 import leaders_pb2 as lpb

from services.common.db import scoped_transaction
from services.common.grpc_client import bearer
from services.common.platform_tables import outbox
from services.common.tenancy import TenantScope
from services.registry.tests.integration.conftest import RegistryClient
from tests.support.infra import PlrStack

pytestmark = pytest.mark.integration

A, B = "ATA", "ATB"


class Trusts:
    def __init__(self, registry: RegistryClient):
        self.registry = registry
        self.a = registry.onboard(A, "Attack Trust A").initial_key.key
        self.b = registry.onboard(B, "Attack Trust B").initial_key.key

    def held_by_both(self) -> str:
        email = f"both-{uuid.uuid4().hex[:8]}@example.org"
        leader_id = ""
        for key in (self.a, self.b):
            affiliation = self.registry.register(key, email)
            self.registry.confirm(affiliation)
            leader_id = affiliation.leader_id
        return leader_id

    def view(self, key: str, leader_id: str) -> lpb.Leader:
        request = lpb.GetLeaderRequest(leader_id=leader_id)
        return self.registry.leaders.GetLeader(request, metadata=bearer(key), timeout=10)


@pytest.fixture(scope="module")
def trusts(registry: RegistryClient) -> Trusts:
    return Trusts(registry)


def registration_fields(registry: RegistryClient, key: str, leader_id: str) -> list[tuple[str, ...]]:
    answer = registry.leaders.ListChanges(lpb.ListChangesRequest(leader_id=leader_id), metadata=bearer(key), timeout=10)
    return [tuple(entry.fields) for entry in answer.entries if entry.method == "RegisterLeader"]


def test_a_trusts_own_change_history_of_a_registration_does_not_say_whether_the_person_was_known(
    trusts: Trusts, registry: RegistryClient
) -> None:
    """RegisterLeader answers alike whether or not the email was known, but the trust's own change
    history names the field ``leader`` only when the registration made a new person: a trust
    registering an address that another trust holds reads ``("affiliation",)`` instead of
    ``("leader", "affiliation")``, and so learns that someone else holds the person."""
    held = f"held-{uuid.uuid4().hex[:8]}@example.org"
    registry.confirm(registry.register(trusts.b, held))  # B holds the person
    known = registry.register(trusts.a, held)
    new = registry.register(trusts.a, f"new-{uuid.uuid4().hex[:8]}@example.org")

    assert registration_fields(registry, trusts.a, known.leader_id) == registration_fields(
        registry, trusts.a, new.leader_id
    )


def test_another_trusts_consent_for_itself_leaves_my_view_of_the_person_unchanged(trusts: Trusts) -> None:
    """B's staff record (with evidence) that the person no longer wants B to contact them: B's own
    relationship. A's view of the person (version, updated_at) must not move, or A learns that
    something it cannot see happened to the person (another trust holds them)."""
    leader_id = trusts.held_by_both()
    before = trusts.view(trusts.a, leader_id)
    trusts.registry.leaders.RecordConsent(
        lpb.RecordConsentRequest(
            leader_id=leader_id,
            purpose="contact_by_trust",
            target=B,
            grant=False,
            wording_version="2026-11",
            evidence="asked by phone",
        ),
        metadata=bearer(trusts.b),
        timeout=10,
    )
    after = trusts.view(trusts.a, leader_id)

    assert (after.version, after.updated_at) == (before.version, before.updated_at)


def test_the_person_can_reverse_a_withdrawal_one_trust_recorded_on_their_behalf(trusts: Trusts) -> None:
    """Assisted digital: "the person is notified and can reverse it". Trust A's key, with an
    ``on_behalf`` whose evidence is free text, withdraws the person: B's affiliation ends
    (``leader_withdrew``). The person then resumes as themselves; B's relationship must be back (or
    never have ended), not lost for good by another trust's call."""
    leader_id = trusts.held_by_both()
    trusts.registry.leaders.WithdrawLeader(
        lpb.WithdrawLeaderRequest(
            leader_id=leader_id,
            reason="asked",
            on_behalf=lpb.OnBehalf(staff="anyone at all", how_asked="they said so"),
        ),
        metadata=bearer(trusts.a),
        timeout=10,
    )
    trusts.registry.leaders.ResumeLeader(
        lpb.ResumeLeaderRequest(leader_id=leader_id), metadata=trusts.registry.as_leader(leader_id), timeout=10
    )

    assert trusts.view(trusts.b, leader_id).affiliation.status == "active"


def test_a_trust_cannot_silently_take_back_the_contact_consent_the_person_withdrew(
    trusts: Trusts, stack: PlrStack
) -> None:
    """The person withdraws "contact by trust A"; A's key at once records the grant again for itself
    with free-text evidence, sees the person's contact details and changes them on their behalf. The
    person is told of every other change a trust's staff record for them (``changed_on_behalf``), but
    not of this one: the grant must be refused, or the person told."""
    leader_id = trusts.held_by_both()
    registry = trusts.registry
    registry.consent(leader_id, "contact_by_trust", A, grant=True)
    registry.consent(leader_id, "contact_by_trust", A, grant=False)
    regrant = lpb.RecordConsentRequest(
        leader_id=leader_id,
        purpose="contact_by_trust",
        target=A,
        grant=True,
        wording_version="2026-11",
        evidence="they agreed",
    )
    with pytest.raises(grpc.RpcError) as silently:  # the trust alone may not overturn the person's decision
        registry.leaders.RecordConsent(regrant, metadata=bearer(trusts.a), timeout=10)
    assert silently.value.code() == grpc.StatusCode.PERMISSION_DENIED and "on_behalf" in silently.value.details()
    regrant.on_behalf.CopyFrom(lpb.OnBehalf(staff="Sam", how_asked="phoned us to ask to be contacted again"))
    registry.leaders.RecordConsent(regrant, metadata=bearer(trusts.a), timeout=10)
    query = sa.select(outbox.c.event_type).where(
        outbox.c.aggregate_id == leader_id, outbox.c.event_type == "plr.registry.leader.changed_on_behalf.v1"
    )
    with scoped_transaction(stack.engine("registry"), TenantScope.platform_wide()) as connection:
        told = list(connection.execute(query).scalars())

    assert told, "the person was not told that trust A granted itself the contact they had withdrawn"


def test_a_newly_confirmed_trust_sees_the_same_version_whether_or_not_the_person_had_a_history(
    trusts: Trusts, registry: RegistryClient
) -> None:
    """Trust A registers two people, both confirm. One was new; the other was held by B and had granted
    B contact (the person's version moved). A's first view must not tell them apart: today A reads
    version 1 for the new person and the person's global version (2 or more) for the other, so a
    version above 1 on a fresh relationship says someone else held the person before."""
    held = f"history-{uuid.uuid4().hex[:8]}@example.org"
    of_b = registry.register(trusts.b, held)
    registry.confirm(of_b)
    registry.consent(of_b.leader_id, "contact_by_trust", B)
    known = registry.register(trusts.a, held)
    new = registry.register(trusts.a, f"fresh-{uuid.uuid4().hex[:8]}@example.org")
    for affiliation in (known, new):
        registry.confirm(affiliation)

    assert trusts.view(trusts.a, known.leader_id).version == trusts.view(trusts.a, new.leader_id).version


def _outbox_types(stack: PlrStack, aggregate_id: str) -> list[str]:
    query = sa.select(outbox.c.event_type).where(outbox.c.aggregate_id == aggregate_id).order_by(outbox.c.id)
    with scoped_transaction(stack.engine("registry"), TenantScope.platform_wide()) as connection:
        return list(connection.execute(query).scalars())


def test_reversing_a_withdrawal_on_the_persons_behalf_confirms_again_what_it_ended(
    trusts: Trusts, stack: PlrStack
) -> None:
    """What the person gets back is announced: each restored affiliation emits affiliation_confirmed
    after its affiliation_ended, so matching and every other reader see the relationship again."""
    leader_id = trusts.held_by_both()
    on_behalf = lpb.OnBehalf(staff="Sam", how_asked="by phone")
    request = lpb.WithdrawLeaderRequest(leader_id=leader_id, reason="asked", on_behalf=on_behalf)
    trusts.registry.leaders.WithdrawLeader(request, metadata=bearer(trusts.a), timeout=10)
    as_person = trusts.registry.as_leader(leader_id)
    trusts.registry.leaders.ResumeLeader(lpb.ResumeLeaderRequest(leader_id=leader_id), metadata=as_person, timeout=10)

    affiliation_id = trusts.view(trusts.b, leader_id).affiliation.affiliation_id
    assert _outbox_types(stack, affiliation_id)[-2:] == [
        "plr.registry.leader.affiliation_ended.v1",
        "plr.registry.leader.affiliation_confirmed.v1",
    ]
    assert trusts.view(trusts.a, leader_id).affiliation.status == "active"


def test_the_persons_own_withdrawal_ends_every_relationship_for_good(trusts: Trusts) -> None:
    """Only a withdrawal recorded on the person's behalf is theirs to reverse with its relationships: after
    their own, resuming leaves every trust's affiliation ended (the trusts ask again)."""
    leader_id = trusts.held_by_both()
    as_person = trusts.registry.as_leader(leader_id)
    trusts.registry.leaders.WithdrawLeader(
        lpb.WithdrawLeaderRequest(leader_id=leader_id), metadata=as_person, timeout=10
    )
    trusts.registry.leaders.ResumeLeader(lpb.ResumeLeaderRequest(leader_id=leader_id), metadata=as_person, timeout=10)

    for key in (trusts.a, trusts.b):
        with pytest.raises(grpc.RpcError) as hidden:
            trusts.view(key, leader_id)
        assert hidden.value.code() == grpc.StatusCode.NOT_FOUND
