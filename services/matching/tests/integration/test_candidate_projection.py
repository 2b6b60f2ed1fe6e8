"""Matching's projection of the registry's people, from registry's events applied through the worker's
own inbox (one transaction: the inbox row and the handler's writes), and read by ``SqlCandidatePool``
in a trust's scope, on PostgreSQL with row security.

The registry's ``GetMatchingProfile`` is played by ``Registry`` (what the real one answers is tested in
the registry's tests and end to end); it can be made to fail, to show that a withdrawal, pause, end or
erasure takes effect from the event alone.

One person P is held by CPA (P lets CPA contact them; CPA verified a DBS check that expires) and by CPB
(which paused its relationship with P, and accepted CPA's check). Q is held by no trust above and
shares their profile with network cp-net, of which CPC is a member and CPA is not.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from plr.registry.v1 import matching_profiles_pb2 as pb

from services.common.db import scoped_transaction
from services.common.events import CloudEvent
from services.common.inbox import HandlerFailed, InboxConsumer
from services.common.platform_tables import inbox
from services.common.tenancy import TenantScope
from services.matching.adapters.candidate_projection import candidate_handlers
from services.matching.adapters.candidates import SqlCandidatePool
from services.matching.adapters.tables import candidate_checks, candidate_trusts, candidates
from services.matching.domain.ranking import Candidate
from services.matching.service_layer.ports import Reach
from services.matching.tests.integration.conftest import MatchingClient

pytestmark = pytest.mark.integration

NETWORK = "cp-net"
TODAY = date(2027, 1, 5)
EXPIRES = "2027-01-10"


class Registry:
    """``GetMatchingProfile`` as the registry answers it: the current state of each person it knows."""

    def __init__(self) -> None:
        self.people: dict[str, pb.MatchingProfile] = {}
        self.reads: list[str] = []
        self.down = False

    def get(self, leader_id: str) -> pb.MatchingProfile | None:
        if self.down:
            raise RuntimeError("the registry's api cannot be reached")
        self.reads.append(leader_id)
        return self.people.get(leader_id)


def new_id() -> str:
    return str(uuid.uuid4())


def event(
    type_: str, aggregate: str, aggregate_id: str, version: int, data: dict[str, Any], trust: str | None = None
) -> CloudEvent:
    return CloudEvent(
        type=f"plr.registry.{type_}.v1",
        source="plr/registry",
        data=data,
        aggregate_type=aggregate,
        aggregate_id=aggregate_id,
        aggregate_version=version,
        trust_ods=trust,
    )


def leader_event(name: str, leader_id: str, version: int, **data: Any) -> CloudEvent:
    return event(f"leader.{name}", "leader", leader_id, version, {"leader_id": leader_id, **data})


def consent_event(granted: bool, leader_id: str, version: int, purpose: str, target: str = "") -> CloudEvent:
    data = {"leader_id": leader_id, "purpose": purpose, "target": target, "recorded_by_kind": "leader"}
    trust = target if purpose == "contact_by_trust" else None
    return event(f"consent.{'granted' if granted else 'withdrawn'}", "leader", leader_id, version, data, trust)


def affiliation_event(
    name: str, affiliation_id: str, leader_id: str, ods: str, version: int, **extra: Any
) -> CloudEvent:
    data = {"affiliation_id": affiliation_id, "leader_id": leader_id, "ods": ods, **extra}
    return event(f"leader.{name}", "affiliation", affiliation_id, version, data, ods)


def check_event(name: str, check_id: str, leader_id: str, ods: str, version: int, **extra: Any) -> CloudEvent:
    data = {
        "check_id": check_id,
        "leader_id": leader_id,
        "ods": ods,
        "check_type": "dbs",
        "expires_on": EXPIRES,
        **extra,
    }
    return event(f"check.{name}", "check", check_id, version, data, ods)


class World:
    def __init__(self, matching: MatchingClient):
        self.engine = matching.engine
        self.registry = Registry()
        self.consumer = InboxConsumer(
            name=f"test.candidates-{uuid.uuid4().hex[:8]}",
            engine=self.engine,
            handlers=candidate_handlers(self.registry),
            sleep=lambda _: None,
        )
        self.p, self.q = new_id(), new_id()
        self.p_a, self.p_b = new_id(), new_id()  # P's affiliations with CPA and CPB
        self.check = new_id()

    def apply(self, *events: CloudEvent) -> None:
        for e in events:
            self.consumer.apply_once(e)

    def profile(self, leader_id: str, version: int, **fields: Any) -> pb.MatchingProfile:
        defaults: dict[str, Any] = {
            "leader_id": leader_id,
            "version": version,
            "status": "active",
            "skills": ["chairing"],
            "interests": ["research"],
            "hours_per_month": 8,
            "days": ["mon"],
            "modes": ["remote"],
            "postcode_district": "LS1",
        }
        found = pb.MatchingProfile(**{**defaults, **fields})
        self.registry.people[leader_id] = found
        return found

    def pool(self, ods: str) -> Iterator[SqlCandidatePool]:
        with scoped_transaction(self.engine, TenantScope.trust(ods)) as connection:
            yield SqlCandidatePool(connection)

    def seen_by(self, ods: str, networks: frozenset[str] = frozenset(), today: date = TODAY) -> dict[str, Candidate]:
        for pool in self.pool(ods):
            return {c.leader_id: c for c in pool.for_trust(ods, networks, today)}
        raise AssertionError("unreachable")


P_AFFILIATIONS = lambda w, a_version=2, b_version=3: [  # noqa: E731
    pb.MatchingAffiliation(affiliation_id=w.p_a, ods="CPA", status="active", version=a_version),
    pb.MatchingAffiliation(
        affiliation_id=w.p_b, ods="CPB", status="active", paused=True, paused_until="2027-03-01", version=b_version
    ),
]


@pytest.fixture
def world(matching: MatchingClient) -> World:
    w = World(matching)
    matching.network(f"{NETWORK}-{w.q[:8]}", "CPC")  # a network of its own per test: versions start anew
    w.network = f"{NETWORK}-{w.q[:8]}"  # type: ignore[attr-defined]
    w.profile(
        w.p,
        4,
        lived_experience=["cancer"],
        lived_experience_consent=True,
        contact_trusts=["CPA"],
        affiliations=P_AFFILIATIONS(w),
        checks=[
            pb.MatchingCheck(
                check_id=w.check, check_type="dbs", ods="CPA", expires_on=EXPIRES, accepted_by=["CPB"], version=2
            )
        ],
    )
    w.apply(leader_event("registered", w.p, 1))
    w.profile(w.q, 2, shared_networks=[w.network])  # type: ignore[attr-defined]
    w.apply(leader_event("registered", w.q, 1), consent_event(True, w.q, 2, "share_profile_with_network", w.network))  # type: ignore[attr-defined]
    return w


def test_two_trusts_holding_one_person_see_them_each_as_their_own_relationship_and_consent_allow(world: World) -> None:
    by_a, by_b = world.seen_by("CPA"), world.seen_by("CPB")
    a, b = by_a[world.p], by_b[world.p]
    assert (a.held, a.active, a.contactable) == (True, True, True)
    assert (b.held, b.active, b.contactable) == (True, False, False)  # paused with CPB; consent to CPA only
    assert a.skills == b.skills == frozenset({"chairing"}) and a.district == "LS1"
    assert a.lived_experience == frozenset({"cancer"}) and a.modes == frozenset({"remote"}) and a.hours_per_month == 8
    assert a.checks == b.checks == frozenset({"dbs"})  # CPA verified it, CPB accepted it
    assert world.q not in by_a and world.q not in by_b
    # the pause with CPB ends on its return date
    assert world.seen_by("CPB", today=date(2027, 3, 1))[world.p].active


def test_a_network_trust_finds_who_shares_with_its_network_and_no_one_else(world: World) -> None:
    network = frozenset({world.network})  # type: ignore[attr-defined]
    by_c = world.seen_by("CPC", network)
    assert set(by_c) == {world.q}
    q = by_c[world.q]
    assert (q.held, q.active, q.contactable, q.checks) == (False, True, True, frozenset())
    assert world.seen_by("CPC") == {}  # not asked for that network
    assert world.q not in world.seen_by("CPA", network)  # CPA is no member of it
    for pool in world.pool("CPC"):
        assert pool.get(world.p, "CPC", network, TODAY) is None
        assert pool.get(world.q, "CPC", network, TODAY) == q


def test_checks_count_until_their_expiry_date(world: World) -> None:
    assert world.seen_by("CPA", today=date(2027, 1, 9))[world.p].checks == frozenset({"dbs"})
    assert world.seen_by("CPA", today=date(2027, 1, 10))[world.p].checks == frozenset()
    # a renewal's notice moves the date for every trust holding the check
    world.apply(check_event("expiring", world.check, world.p, "CPA", 3, expires_on="2028-01-10"))
    assert world.seen_by("CPB", today=date(2027, 6, 1))[world.p].checks == frozenset({"dbs"})


def test_lived_experience_is_gone_with_the_consent_event_even_while_the_registry_is_down(world: World) -> None:
    withdrawn = consent_event(False, world.p, 5, "lived_experience_matching")
    world.registry.down = True
    world.apply(withdrawn)
    assert world.seen_by("CPA")[world.p].lived_experience is None
    with scoped_transaction(world.engine, TenantScope.platform_wide()) as connection:
        applied = connection.execute(
            sa.select(inbox.c.event_id).where(inbox.c.consumer == world.consumer.name, inbox.c.event_id == withdrawn.id)
        ).all()
    assert applied  # the same transaction as its inbox row
    # an older grant arriving late reads the registry, whose current state has no consent: still none
    world.registry.down = False
    world.profile(world.p, 5, contact_trusts=["CPA"], affiliations=P_AFFILIATIONS(world))
    world.apply(consent_event(True, world.p, 3, "lived_experience_matching"))
    assert world.seen_by("CPA")[world.p].lived_experience is None


@pytest.mark.parametrize(
    ("withdrawal", "who", "what"),
    [
        (lambda w: consent_event(False, w.p, 5, "contact_by_trust", "CPA"), "CPA", lambda c: not c.contactable),
        (lambda w: leader_event("paused", w.p, 5, until="2027-02-01"), "CPA", lambda c: not c.active),
        (lambda w: leader_event("withdrawn", w.p, 5), "CPA", lambda c: not c.active),
        (lambda w: affiliation_event("affiliation_paused", w.p_a, w.p, "CPA", 3), "CPA", lambda c: not c.active),
    ],
)
def test_each_withdrawal_or_pause_applies_from_the_event_alone(world: World, withdrawal, who, what) -> None:  # type: ignore[no-untyped-def]
    world.registry.down = True
    world.apply(withdrawal(world))
    assert what(world.seen_by(who)[world.p])


def test_a_network_share_withdrawn_and_an_ended_relationship_drop_the_person_from_the_trust(world: World) -> None:
    network = frozenset({world.network})  # type: ignore[attr-defined]
    world.registry.down = True
    world.apply(consent_event(False, world.q, 3, "share_profile_with_network", world.network))  # type: ignore[attr-defined]
    assert world.seen_by("CPC", network) == {}
    world.apply(affiliation_event("affiliation_ended", world.p_a, world.p, "CPA", 3))
    assert world.p not in world.seen_by("CPA")


def test_out_of_order_events_never_undo_a_newer_state(world: World) -> None:
    world.registry.down = True  # none of these needs the registry
    world.apply(affiliation_event("affiliation_resumed", world.p_b, world.p, "CPB", 5))
    world.apply(affiliation_event("affiliation_paused", world.p_b, world.p, "CPB", 4, until="2027-05-01"))
    assert world.seen_by("CPB")[world.p].active
    world.apply(leader_event("paused", world.p, 3, until="2027-02-01"))  # older than what was read (4)
    assert world.seen_by("CPA")[world.p].active
    world.apply(consent_event(False, world.p, 4, "lived_experience_matching"))  # already reflected at 4
    assert world.seen_by("CPA")[world.p].lived_experience == frozenset({"cancer"})
    # a redelivered registration does not read the registry again
    world.registry.down = False
    reads = len(world.registry.reads)
    world.apply(leader_event("registered", world.p, 1))
    assert len(world.registry.reads) == reads


def test_an_erased_person_is_removed_and_a_late_event_does_not_bring_them_back(world: World) -> None:
    world.registry.down = True
    world.apply(leader_event("erased", world.p, 6))
    assert world.p not in world.seen_by("CPA") and world.p not in world.seen_by("CPB")
    world.registry.down = False
    del world.registry.people[world.p]  # the registry knows them no more
    world.apply(leader_event("updated", world.p, 5, fields=["skills"]))
    with scoped_transaction(world.engine, TenantScope.platform_wide()) as connection:
        for table in (candidates, candidate_trusts, candidate_checks):
            assert connection.execute(sa.select(sa.func.count()).where(table.c.leader_id == world.p)).scalar() == 0


def test_the_relationships_an_erasure_ends_and_a_late_check_expiry_leave_nothing_of_the_person(world: World) -> None:
    """The registry ends every affiliation of an erased person in the erasure's transaction: those events
    (and a check's expiry) arrive after leader.erased, and must not put back a row of someone matching
    no longer holds."""
    world.registry.down = True  # none of these reads the registry
    world.apply(
        leader_event("erased", world.p, 6),
        affiliation_event("affiliation_ended", world.p_a, world.p, "CPA", 3, reason="leader_erased"),
        affiliation_event("affiliation_ended", world.p_b, world.p, "CPB", 4, reason="leader_erased"),
        check_event("expired", world.check, world.p, "CPA", 3),
        check_event("expiring", world.check, world.p, "CPA", 4, expires_on="2028-01-10"),
    )
    with scoped_transaction(world.engine, TenantScope.platform_wide()) as connection:
        for table in (candidates, candidate_trusts, candidate_checks):
            assert connection.execute(sa.select(sa.func.count()).where(table.c.leader_id == world.p)).scalar() == 0


def test_an_update_reads_the_registry_and_replaces_what_is_held(world: World) -> None:
    world.profile(
        world.p,
        6,
        skills=["finance"],
        contact_trusts=["CPA", "CPB"],
        affiliations=[pb.MatchingAffiliation(affiliation_id=world.p_b, ods="CPB", status="active", version=4)],
    )
    world.apply(leader_event("updated", world.p, 6, fields=["skills"]))
    b = world.seen_by("CPB")[world.p]
    assert b.skills == frozenset({"finance"}) and b.active and b.contactable
    assert b.lived_experience is None  # the registry's answer had no consent
    assert world.p not in world.seen_by("CPA")  # no longer held by CPA
    assert b.checks == frozenset()  # the registry's answer had no checks


def test_row_security_shows_a_trust_only_its_own_rows(world: World) -> None:
    with scoped_transaction(world.engine, TenantScope.trust("CPD")) as connection:  # holds no one
        for table in (candidates, candidate_trusts, candidate_checks):
            assert connection.execute(sa.select(sa.func.count()).select_from(table)).scalar() == 0
    with scoped_transaction(world.engine, TenantScope.trust("CPB")) as connection:
        rows = connection.execute(
            sa.select(candidate_trusts.c.trust_ods).where(candidate_trusts.c.leader_id == world.p)
        ).scalars()
        assert set(rows) == {"CPB"}
        # only the platform's scope writes: a trust's update finds nothing to change, its insert is refused
        changed = connection.execute(sa.update(candidates).values(skills=[]).where(candidates.c.leader_id == world.p))
        assert changed.rowcount == 0
    with pytest.raises(sa.exc.DBAPIError), scoped_transaction(world.engine, TenantScope.trust("CPB")) as connection:
        connection.execute(sa.insert(candidates).values(leader_id=new_id(), version=1, status="active"))


def test_whose_roles_a_person_may_be_recommended(world: World) -> None:
    with scoped_transaction(world.engine, TenantScope.platform_wide()) as connection:
        pool = SqlCandidatePool(connection)
        assert pool.trusts_of(world.p) == Reach(frozenset({"CPA", "CPB"}), frozenset())
        assert pool.trusts_of(world.q) == Reach(frozenset(), frozenset({world.network}))  # type: ignore[attr-defined]
        assert pool.trusts_of(new_id()) is None


def test_an_offboarded_trust_leaves_nothing_of_its_own_behind(world: World) -> None:
    world.registry.down = True
    world.apply(event("trust.offboarded", "trust", "CPB", 9, {"ods": "CPB"}, "CPB"))
    with scoped_transaction(world.engine, TenantScope.platform_wide()) as connection:
        assert connection.execute(sa.select(sa.func.count()).where(candidate_trusts.c.trust_ods == "CPB")).scalar() == 0
        assert (
            connection.execute(sa.select(sa.func.count()).where(candidate_checks.c.holder_ods == "CPB")).scalar() == 0
        )
    assert world.seen_by("CPB") == {}
    a = world.seen_by("CPA")[world.p]  # CPA's relationship, consent and check are untouched
    assert (a.active, a.contactable, a.checks) == (True, True, frozenset({"dbs"}))


def test_the_withdrawal_and_its_inbox_row_commit_together_or_not_at_all(world: World) -> None:
    """In one batch with an event whose handler fails (someone new while the registry is down), the
    withdrawal's change and its inbox row are both rolled back; applied again, both are there."""
    withdrawn = consent_event(False, world.p, 5, "lived_experience_matching")
    stranger = new_id()
    failing = affiliation_event("affiliated", new_id(), stranger, "CPA", 1)
    world.registry.down = True
    with pytest.raises(HandlerFailed):
        world.consumer.apply_batch([withdrawn, failing])

    def inbox_has(e: CloudEvent) -> bool:
        with scoped_transaction(world.engine, TenantScope.platform_wide()) as connection:
            found = connection.execute(
                sa.select(inbox.c.event_id).where(inbox.c.consumer == world.consumer.name, inbox.c.event_id == e.id)
            ).first()
        return found is not None

    assert not inbox_has(withdrawn) and not inbox_has(failing)
    assert world.seen_by("CPA")[world.p].lived_experience == frozenset({"cancer"})
    world.apply(withdrawn)
    assert inbox_has(withdrawn) and world.seen_by("CPA")[world.p].lived_experience is None


def test_pauses_resumptions_and_consents_after_an_erasure_leave_nothing_of_the_person(world: World) -> None:
    """Late events the erasure left in flight, or redelivered: none puts back a row (the registry is
    down: none may need it either)."""
    world.registry.down = True
    world.apply(
        leader_event("erased", world.p, 6),
        affiliation_event("affiliation_paused", world.p_a, world.p, "CPA", 5, until="2099-01-01"),
        affiliation_event("affiliation_resumed", world.p_b, world.p, "CPB", 6),
        leader_event("paused", world.p, 7, until="2099-01-01"),
        leader_event("withdrawn", world.p, 8),
        consent_event(False, world.p, 9, "lived_experience_matching"),
        consent_event(False, world.p, 10, "contact_by_trust", "CPA"),
    )
    with scoped_transaction(world.engine, TenantScope.platform_wide()) as connection:
        for table in (candidates, candidate_trusts, candidate_checks):
            assert connection.execute(sa.select(sa.func.count()).where(table.c.leader_id == world.p)).scalar() == 0


def test_a_trust_whose_relationship_ended_reads_nothing_of_the_person(world: World) -> None:
    world.apply(affiliation_event("affiliation_ended", world.p_a, world.p, "CPA", 3, reason="the person left"))
    assert world.p not in world.seen_by("CPA")
    with scoped_transaction(world.engine, TenantScope.trust("CPA")) as connection:
        held = connection.execute(sa.select(candidates.c.lived_experience).where(candidates.c.leader_id == world.p))
        assert held.first() is None  # row security too: the person's facts are no longer the trust's to read
