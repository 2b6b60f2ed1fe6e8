"""Use cases about networks of trusts, and the people who share their profile with one.

The administrator creates networks and adds or removes trusts. A leader shares their profile with a
network they can see (one holding a trust they are actively affiliated with), by the consent
``share_profile_with_network``; while that consent stands, the network's trusts find them through
``find_network_candidates``: leader id, postcode district, skills, interests and availability, never a
name or a contact detail. Finding is not contacting: a trust invites (``invitations.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from services.common.errors import InvalidInput, NotFound, PreconditionFailed
from services.common.principals import Principal
from services.registry.domain import commands
from services.registry.domain.network import Network, check_member_ods, check_network_id
from services.registry.service_layer.ports import Candidate, CandidateFilter
from services.registry.service_layer.unit_of_work import UnitOfWork

Clock = Callable[[], datetime]
# what a trust reads of a candidate, for the access audit
CANDIDATE_FIELDS = ("postcode_district", "skills", "interests", "availability")
# the same answer whether the network does not exist or the leader cannot see it
NOT_SHAREABLE = "names no network you can share your profile with"


def utc_now() -> datetime:
    return datetime.now(UTC)


def create_network(
    cmd: commands.CreateNetwork, uow: UnitOfWork, by: Principal, clock: Clock = utc_now
) -> tuple[Network, bool]:
    """Idempotent on the id: (the network, whether this call created it)."""
    by.require_administrator()
    network = Network.create(cmd.network_id, cmd.name, clock())
    with uow:
        existing = uow.networks.get(cmd.network_id)
        if existing is not None:
            return existing, False
        if not uow.networks.add(network):  # created concurrently by another call: that one wins
            uow.rollback()
            return _require(uow, cmd.network_id), False
        uow.commit()
    return network, True


def _require(uow: UnitOfWork, network_id: str, *, lock: bool = False) -> Network:
    network = uow.networks.get(network_id, lock=lock)
    if network is None:
        raise NotFound(f"no network {network_id}")
    return network


def add_trust_to_network(
    cmd: commands.AddTrustToNetwork, uow: UnitOfWork, by: Principal, clock: Clock = utc_now
) -> Network:
    by.require_administrator()
    check_network_id(cmd.network_id)
    check_member_ods(cmd.ods)
    with uow:
        trust = uow.trusts.get(cmd.ods)
        if trust is None:
            raise NotFound(f"no trust with ODS code {cmd.ods}")
        if trust.status == "offboarded":
            raise PreconditionFailed(f"trust {cmd.ods} has been offboarded")
        return _change(uow, cmd.network_id, lambda n: n.add_trust(cmd.ods, clock()))


def remove_trust_from_network(
    cmd: commands.RemoveTrustFromNetwork, uow: UnitOfWork, by: Principal, clock: Clock = utc_now
) -> Network:
    """Its trusts stop finding the network's candidates at once; what they found stays theirs."""
    by.require_administrator()
    check_network_id(cmd.network_id)
    check_member_ods(cmd.ods)
    with uow:
        return _change(uow, cmd.network_id, lambda n: n.remove_trust(cmd.ods, clock()))


def _change(uow: UnitOfWork, network_id: str, change: Callable[[Network], None]) -> Network:
    """Inside an open unit of work: saved and committed only if the change changed something."""
    network = _require(uow, network_id, lock=True)
    expected = network.version
    change(network)
    if network.version != expected:
        uow.networks.save(network, expected)
        uow.commit()
    return network


def list_networks(cmd: commands.ListNetworks, uow: UnitOfWork, by: Principal) -> list[Network]:
    """The administrator (and an internal service) reads every network; a trust those it belongs to;
    a leader those they may share their profile with."""
    with uow:
        if by.kind == "trust":
            return uow.networks.list(by.require_trust())
        if by.kind == "leader":
            visible = shareable_networks(uow, by.require_leader())
            return [n for n in uow.networks.list() if n.network_id in visible]
        return uow.networks.list()


def shareable_networks(uow: UnitOfWork, leader_id: str) -> set[str]:
    """The networks holding a trust the leader is actively affiliated with (inside an open unit of work).
    The scope decides which affiliations count: the leader's own, or (staff recording on the person's
    behalf) the recording trust's alone, so that another trust's network answers as an unknown one."""
    trusts = {a.trust_ods for a in uow.affiliations.of_leader(leader_id) if a.active}
    return {n.network_id for n in uow.networks.list() if n.trusts & trusts}


def check_shareable(uow: UnitOfWork, leader_id: str, network_id: str) -> None:
    """A grant of share_profile_with_network must name a network the leader can see."""
    if network_id not in shareable_networks(uow, leader_id):
        raise InvalidInput({"target": NOT_SHAREABLE})


def find_network_candidates(cmd: commands.FindNetworkCandidates, uow: UnitOfWork, by: Principal) -> list[Candidate]:
    """Runs in the platform scope (the trust cannot see the people it looks for); answers only what the
    people's consent allows, and audits each read. A trust in no network finds no one."""
    trust = by.require_trust()
    with uow:
        networks = candidate_networks(uow, trust)
        if not networks:
            return []
        where = CandidateFilter(networks, cmd.skill, cmd.interest, cmd.postcode_district)
        found = uow.network_candidates.find(where, cmd.after_leader_id, cmd.limit)
        reads = {c.leader_id: CANDIDATE_FIELDS for c in found}
        uow.audit.record(by.kind, by.audit_name, trust, "FindNetworkCandidates", reads)
        uow.commit()
    return found


def candidate_networks(uow: UnitOfWork, trust_ods: str) -> tuple[str, ...]:
    return tuple(n.network_id for n in uow.networks.list(trust_ods))
