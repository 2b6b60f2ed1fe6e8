"""Networks, invitations and the notifier's choice of message, on fakes."""

from __future__ import annotations

import pytest

from services.common.errors import InvalidInput, NotFound, PermissionDenied, PreconditionFailed
from services.common.principals import ADMINISTRATOR, Principal
from services.registry.domain import commands
from services.registry.domain.network import Network
from services.registry.domain.trust import Trust
from services.registry.service_layer import erasure, invitations, leaders, networks, notifications, trusts
from services.registry.tests.unit.fakes import FakeUnitOfWork
from services.registry.tests.unit.test_leaders import ADA, NOW, TRUST_A, TRUST_B, active, as_leader, clock, ids, types


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork()


def network(uow: FakeUnitOfWork, network_id: str, *members: str) -> None:
    networks.create_network(commands.CreateNetwork(network_id, "North ICS"), uow, ADMINISTRATOR, clock)
    for ods in members:
        uow.trusts.rows.setdefault(ods, _trust(ods))
        networks.add_trust_to_network(commands.AddTrustToNetwork(network_id, ods), uow, ADMINISTRATOR, clock)


def _trust(ods: str) -> Trust:
    return Trust(ods, f"{ods} NHS Trust")


def share(uow: FakeUnitOfWork, leader_id: str, network_id: str, grant: bool = True) -> None:
    cmd = commands.RecordConsent(leader_id, "share_profile_with_network", network_id, grant, "2026-12")
    leaders.record_consent(cmd, uow, as_leader(leader_id), clock)


def test_a_network_records_each_change_once() -> None:
    made = Network.create("north-ics", " North ICS ", NOW)
    made.add_trust("RAA", NOW)
    made.add_trust("RAA", NOW)
    made.remove_trust("RBB", NOW)
    made.remove_trust("RAA", NOW)
    assert [type(e).__name__ for e in made.pending_events] == [
        "NetworkCreated",
        "NetworkTrustAdded",
        "NetworkTrustRemoved",
    ]
    assert made.name == "North ICS" and made.version == 3
    with pytest.raises(InvalidInput) as bad:
        Network.create("North ICS", "x", NOW)
    assert set(bad.value.fields) == {"network_id"}


def test_networks_are_the_administrators_to_change_and_creating_again_changes_nothing(uow: FakeUnitOfWork) -> None:
    with pytest.raises(PermissionDenied):
        networks.create_network(commands.CreateNetwork("north-ics", "North"), uow, TRUST_A, clock)
    first, created = networks.create_network(commands.CreateNetwork("north-ics", "North"), uow, ADMINISTRATOR, clock)
    again, created_again = networks.create_network(commands.CreateNetwork("north-ics", "Other"), uow, ADMINISTRATOR)
    assert created and not created_again and again.name == "North"
    with pytest.raises(NotFound):  # no such trust
        networks.add_trust_to_network(commands.AddTrustToNetwork("north-ics", "RZZ"), uow, ADMINISTRATOR)
    assert types(uow) == ["network.created"]


def test_a_grant_must_name_a_network_of_one_of_the_leaders_trusts_and_finding_follows_the_consent(
    uow: FakeUnitOfWork,
) -> None:
    leader_id = active(uow)  # held by RAA
    network(uow, "north-ics", "RAA", "RBB")
    network(uow, "south-ics", "RCC")
    refusals = []
    for target in ("south-ics", "no-such-network"):
        with pytest.raises(InvalidInput) as refused:
            share(uow, leader_id, target)
        refusals.append(refused.value.fields)
    assert refusals[0] == refusals[1] == {"target": networks.NOT_SHAREABLE}
    share(uow, leader_id, "north-ics")
    found = networks.find_network_candidates(commands.FindNetworkCandidates(), uow, TRUST_B)
    assert [c.leader_id for c in found] == [leader_id] and found[0].network_ids == ("north-ics",)
    assert uow.audit.entries[-1].method == "FindNetworkCandidates"
    share(uow, leader_id, "north-ics", grant=False)
    assert networks.find_network_candidates(commands.FindNetworkCandidates(), uow, TRUST_B) == []


def test_an_invitation_answers_alike_whoever_it_names_and_only_the_person_it_reached_answers(
    uow: FakeUnitOfWork,
) -> None:
    leader_id = active(uow)
    make = ids()
    held = invitations.invite_leader(commands.InviteLeader(email=ADA.email), uow, TRUST_B, clock, make)
    nobody = invitations.invite_leader(commands.InviteLeader(email="no.one@example.org"), uow, TRUST_B, clock, make)
    assert (held.status, held.leader_id_for_trust) == (nobody.status, nobody.leader_id_for_trust) == ("sent", "")
    assert held.leader_id == leader_id and nobody.leader_id is None  # known to the registry, never to the trust
    again = invitations.invite_leader(commands.InviteLeader(email="ADA@example.org"), uow, TRUST_B, clock, make)
    assert again.invitation_id == held.invitation_id
    with pytest.raises(NotFound):  # not theirs to answer
        invitations.accept_invitation(commands.AcceptInvitation(nobody.invitation_id), uow, as_leader(leader_id))
    accepted = invitations.accept_invitation(commands.AcceptInvitation(held.invitation_id), uow, as_leader(leader_id))
    assert accepted.leader_id_for_trust == leader_id
    assert uow.affiliations.for_trust("RBB", leader_id).active  # type: ignore[union-attr]
    with pytest.raises(PreconditionFailed):
        invitations.decline_invitation(commands.DeclineInvitation(held.invitation_id), uow, as_leader(leader_id))
    assert sorted(types(uow)[-3:]) == ["invitation.accepted", "leader.affiliated", "leader.affiliation_confirmed"]


def test_an_invitation_names_one_target(uow: FakeUnitOfWork) -> None:
    for cmd, bad in [
        (commands.InviteLeader(), "leader_id"),
        (commands.InviteLeader(leader_id="x", email="a@example.org"), "leader_id"),
        (commands.InviteLeader(email="not an address"), "email"),
    ]:
        with pytest.raises(InvalidInput) as refused:
            invitations.invite_leader(cmd, uow, TRUST_A, clock)
        assert set(refused.value.fields) == {bad}


def test_asking_again_sends_a_pending_invitation_to_the_person_it_names_now(uow: FakeUnitOfWork) -> None:
    early = invitations.invite_leader(commands.InviteLeader(email=ADA.email), uow, TRUST_B, clock, ids())
    assert early.leader_id is None  # no one has the address yet
    leader_id = active(uow)
    again = invitations.invite_leader(commands.InviteLeader(email=ADA.email), uow, TRUST_B, clock, ids())
    assert again.invitation_id == early.invitation_id and again.leader_id == leader_id and again.version == 2
    assert [e.aggregate_version for e in uow.outbox if e.type == notifications.INVITATION_SENT] == [1, 2]
    invitations.invite_leader(commands.InviteLeader(email=ADA.email), uow, TRUST_B, clock, ids())
    assert len([e for e in uow.outbox if e.type == notifications.INVITATION_SENT]) == 2  # once reached, once sent


def test_an_offboarded_trust_leaves_its_networks_and_its_invitations_go_and_an_erased_persons_too(
    uow: FakeUnitOfWork,
) -> None:
    leader_id = active(uow)
    uow.trusts.rows["RBB"] = _trust("RBB")
    uow.trusts.rows["RCC"] = _trust("RCC")
    from_b = invitations.invite_leader(commands.InviteLeader(email=ADA.email), uow, TRUST_B, clock, ids())
    network(uow, "north-ics", "RAA", "RBB")
    taken = trusts.offboard_trust(commands.OffboardTrust("RBB", "RBB"), uow, ADMINISTRATOR, clock=clock)
    confirmed = commands.ConfirmOffboardExport("RBB", taken.export_sha256)
    trusts.confirm_offboard_export(confirmed, uow, ADMINISTRATOR, clock=clock)
    assert uow.networks.rows["north-ics"].trusts == {"RAA"} and "network.trust_removed" in types(uow)
    with pytest.raises(NotFound):
        invitations.accept_invitation(commands.AcceptInvitation(from_b.invitation_id), uow, as_leader(leader_id))
    trust_c = Principal("trust", "RCC", "RCC")
    invitations.invite_leader(commands.InviteLeader(email=ADA.email), uow, trust_c, clock, ids())
    assert len(uow.invitations.rows) == 1
    erasure.erase_leader(commands.EraseLeader(leader_id), uow, ADMINISTRATOR, clock)
    assert uow.invitations.rows == {}
