"""Who may decide what about a person held by many trusts (``domain/authority.py``), and the use cases
that ask it, on fakes: the person's own decisions, assisted digital, a trust's relationship, withdrawal
and return, and the person's standing in the placement question."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime

import pytest

from services.common.errors import InvalidInput, NotFound, PermissionDenied, PreconditionFailed
from services.common.events import default_registry
from services.common.principals import ADMINISTRATOR, Principal
from services.registry.adapters.event_mapping import to_cloudevent
from services.registry.domain import authority, commands
from services.registry.domain.affiliation import Affiliation
from services.registry.domain.authority import LEADER_WITHDREW, Decider, OnBehalf
from services.registry.domain.consent import Purpose
from services.registry.domain.events import AffiliationEvent, LeaderEvent
from services.registry.domain.leader import Leader
from services.registry.domain.profile import LeaderProfile
from services.registry.service_layer import checks, leaders
from services.registry.tests.unit.fakes import FakeUnitOfWork

NOW = datetime(2026, 11, 26, 10, tzinfo=UTC)
TODAY = NOW.date()
TRUST_A = Principal("trust", "RAA", "RAA", claimed_staff="Sam")
TRUST_B = Principal("trust", "RBB", "RBB")
SERVICE = Principal("service", "recruitment")
ASKED = OnBehalf("Sam at reception", "by phone on 26 Nov, identity checked")
ADA = LeaderProfile(given_name="Ada", family_name="Lovelace", email="ada@example.org")
PERSON_KINDS = ("trust", "administrator", "service")


def clock() -> datetime:
    return NOW


def as_leader(leader_id: str) -> Principal:
    return Principal("leader", f"leader:{leader_id}", leader_id=leader_id)


def types(uow: FakeUnitOfWork) -> list[str]:
    return [e.type.removeprefix("plr.registry.").removesuffix(".v1") for e in uow.outbox]


# --- the rule ------------------------------------------------------------------------------------


def test_only_the_person_decides_for_the_person_and_a_trust_only_on_their_behalf() -> None:
    assert authority.person_decision("leader", None, "x") is Decider.PERSON
    assert authority.person_decision("trust", ASKED, "x") is Decider.ON_BEHALF
    for kind in PERSON_KINDS:
        with pytest.raises(PermissionDenied, match="the person's own decision"):
            authority.person_decision(kind, None, "x")
    for kind in ("administrator", "service"):
        with pytest.raises(PermissionDenied):
            authority.person_decision(kind, ASKED, "x")
    with pytest.raises(InvalidInput, match="on_behalf"):
        authority.person_decision("leader", ASKED, "x")


def test_a_trust_refused_is_pointed_at_its_own_relationship() -> None:
    with pytest.raises(PermissionDenied) as refused:
        authority.person_decision("trust", None, "pausing the person")
    assert "PauseAffiliation" in str(refused.value) and "on_behalf" in str(refused.value)


@pytest.mark.parametrize(("staff", "how_asked", "field"), [("", "by phone", "staff"), ("Sam", " ", "how_asked")])
def test_assisted_digital_needs_who_and_how_the_person_asked(staff: str, how_asked: str, field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        OnBehalf(staff, how_asked)
    assert f"on_behalf.{field}" in refused.value.fields


def test_evidence_is_bounded_and_printable() -> None:
    with pytest.raises(InvalidInput):
        OnBehalf("x" * 501, "by phone")
    with pytest.raises(InvalidInput):
        OnBehalf("Sam", "line\nbreak")


def test_the_person_s_own_consents_need_them_or_staff_on_their_behalf_and_a_trust_records_only_its_own() -> None:
    for purpose, target in ((Purpose.LIVED_EXPERIENCE_MATCHING, ""), (Purpose.SHARE_PROFILE_WITH_NETWORK, "ics-north")):
        assert authority.consent_decision(purpose, target, "leader", None, None) is Decider.PERSON
        assert authority.consent_decision(purpose, target, "trust", "RAA", ASKED) is Decider.ON_BEHALF
        with pytest.raises(PermissionDenied):
            authority.consent_decision(purpose, target, "trust", "RAA", None)
    assert authority.consent_decision(Purpose.CONTACT_BY_TRUST, "RAA", "trust", "RAA", None) is Decider.TRUST
    assert authority.consent_decision(Purpose.SHARE_RECORD_WITH_TRUST, "RBB", "leader", None, None) is Decider.PERSON
    with pytest.raises(InvalidInput, match="on_behalf"):
        authority.consent_decision(Purpose.CONTACT_BY_TRUST, "RAA", "leader", None, ASKED)
    for purpose, target in ((Purpose.CONTACT_BY_TRUST, "RBB"), (Purpose.SHARE_RECORD_WITH_TRUST, "RAA")):
        with pytest.raises(PermissionDenied):
            authority.consent_decision(purpose, target, "trust", "RAA", ASKED)


def person(status: str = "active") -> Leader:
    leader = Leader.register("8c1f4f7e-3a52-4d2b-9b61-2f0e6f4f1a10", LeaderProfile(given_name="Ada"), NOW)
    leader.status = status
    return leader


def held_by(trust: str, status: str = "active") -> Affiliation:
    affiliation = Affiliation.request(f"aff-{trust}", "8c1f4f7e-3a52-4d2b-9b61-2f0e6f4f1a10", trust, NOW)
    affiliation.status = status
    return affiliation


def test_withdrawal_ends_every_relationship_and_confirming_a_new_request_is_the_return() -> None:
    leader, a, b, c = person(), held_by("RAA"), held_by("RBB", "pending"), held_by("RCC", "ended")
    ended = authority.withdraw(leader, [a, b, c], NOW)
    assert ended == [a, b] and leader.status == "withdrawn"
    assert {(x.status, x.end_reason) for x in (a, b)} == {("ended", LEADER_WITHDREW)}
    assert not authority.trusts_may_act(leader.status) and authority.trusts_may_act("paused")
    a.reopen(NOW)
    authority.confirm(leader, a, NOW)
    assert leader.status == "active" and a.status == "active" and b.status == "ended"


def test_a_trust_pauses_only_its_own_relationship_until_a_return_date() -> None:
    affiliation = held_by("RAA")
    with pytest.raises(InvalidInput, match="until"):
        affiliation.pause(TODAY, TODAY, NOW)
    affiliation.pause(date(2027, 1, 31), TODAY, NOW)
    assert affiliation.status == "active" and affiliation.paused_on(TODAY)
    assert not affiliation.paused_on(date(2027, 1, 31))  # the return date
    affiliation.pause(date(2027, 1, 31), TODAY, NOW)  # the same again: nothing new
    affiliation.resume(NOW)
    affiliation.resume(NOW)
    kinds = [type(e).__name__ for e in affiliation.pending_events]
    assert kinds == ["LeaderAffiliated", "AffiliationPaused", "AffiliationResumed"]
    with pytest.raises(PreconditionFailed):
        held_by("RBB", "pending").pause(None, TODAY, NOW)


def test_standing_says_withdrawn_paused_or_relationship_paused_on_the_day() -> None:
    def problems(leader: Leader | None, affiliation: Affiliation, on: date = TODAY) -> list[str]:
        return [b.problem for b in authority.standing_blockers(leader, affiliation, on)]

    assert problems(person(), held_by("RAA")) == []
    withdrew = held_by("RAA", "ended")
    withdrew.end_reason = LEADER_WITHDREW
    assert problems(None, withdrew) == ["leader_withdrawn"]
    paused = person("paused")
    paused.paused_until = date(2027, 1, 1)
    assert problems(paused, held_by("RAA")) == ["leader_paused"]
    assert problems(paused, held_by("RAA"), date(2027, 1, 1)) == []
    relationship = held_by("RAA")
    relationship.pause(None, TODAY, NOW)
    assert problems(person(), relationship) == ["affiliation_paused"]


# --- the use cases -------------------------------------------------------------------------------


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork()


def ids() -> leaders.IdFactory:
    counter = itertools.count(1)
    return lambda: f"00000000-0000-4000-8000-{next(counter):012d}"


def held_by_two(uow: FakeUnitOfWork) -> str:
    """Ada, held actively by RAA and RBB: her id."""
    made = ids()
    first = leaders.register_leader(commands.RegisterLeader(ADA), uow, TRUST_A, clock, made)
    second = leaders.register_leader(commands.RegisterLeader(ADA), uow, TRUST_B, clock, made)
    me = as_leader(first.leader_id)
    for affiliation in (first, second):
        leaders.confirm_affiliation(commands.ConfirmAffiliation(affiliation.affiliation_id), uow, me, clock)
    return first.leader_id


def test_a_trust_s_person_level_call_changes_nothing(uow: FakeUnitOfWork) -> None:
    leader_id = held_by_two(uow)
    before, events = uow.leaders.rows[leader_id].version, len(uow.outbox)
    calls = [
        lambda p: leaders.pause_leader(commands.PauseLeader(leader_id), uow, p, clock),
        lambda p: leaders.resume_leader(commands.ResumeLeader(leader_id), uow, p, clock),
        lambda p: leaders.withdraw_leader(commands.WithdrawLeader(leader_id), uow, p, clock),
        lambda p: leaders.update_leader(commands.UpdateLeader(leader_id, before, LeaderProfile(), ()), uow, p, clock),
    ]
    for call in calls:
        for principal in (TRUST_A, ADMINISTRATOR, SERVICE):
            with pytest.raises(PermissionDenied):
                call(principal)
    assert uow.leaders.rows[leader_id].version == before and len(uow.outbox) == events


def test_staff_pause_the_person_on_their_behalf_with_evidence_kept_and_the_person_told(uow: FakeUnitOfWork) -> None:
    leader_id = held_by_two(uow)
    view = leaders.pause_leader(commands.PauseLeader(leader_id, date(2027, 1, 31), ASKED), uow, TRUST_A, clock, ids())
    assert view.leader.status == "paused"
    [change] = uow.leaders.changes_on_behalf
    assert (change.trust_ods, change.fields, change.on_behalf, change.recorded_by) == (
        "RAA",
        ("status", "paused_until"),
        ASKED,
        "RAA/claimed-staff:Sam",  # a staff name sent with the key: a claim, recorded as one
    )
    told = uow.outbox[-1]
    assert told.type == "plr.registry.leader.changed_on_behalf.v1" and told.trust_ods == "RAA"
    assert told.data == {
        "leader_id": leader_id,
        "ods": "RAA",
        "fields": ["status", "paused_until"],
        "change_id": change.change_id,
    }
    default_registry().validate(told.to_dict())
    # the person reverses it themselves
    assert (
        leaders.resume_leader(commands.ResumeLeader(leader_id), uow, as_leader(leader_id), clock).leader.status
        == "active"
    )


def test_a_change_on_behalf_that_changes_nothing_tells_nobody(uow: FakeUnitOfWork) -> None:
    leader_id = held_by_two(uow)
    events = len(uow.outbox)
    leaders.resume_leader(commands.ResumeLeader(leader_id, ASKED), uow, TRUST_A, clock)
    assert len(uow.outbox) == events and uow.leaders.changes_on_behalf == []


def test_staff_record_the_person_s_own_consent_only_on_their_behalf(uow: FakeUnitOfWork) -> None:
    leader_id = held_by_two(uow)
    consent = commands.RecordConsent(leader_id, "lived_experience_matching", "", True, "2026-11", "form 12")
    with pytest.raises(PermissionDenied):
        leaders.record_consent(consent, uow, TRUST_A, clock)
    made = leaders.record_consent(
        commands.RecordConsent(leader_id, "lived_experience_matching", "", True, "2026-11", "form 12", ASKED),
        uow,
        TRUST_A,
        clock,
    )
    assert made.recorded_by_kind == "staff"
    assert types(uow)[-2:] == ["consent.granted", "leader.changed_on_behalf"]
    assert uow.outbox[-1].data["fields"] == ["consent.lived_experience_matching"]


def test_withdrawal_ends_both_trusts_relationships_and_blocks_them_until_the_person_returns(
    uow: FakeUnitOfWork,
) -> None:
    leader_id = held_by_two(uow)
    leaders.withdraw_leader(commands.WithdrawLeader(leader_id), uow, as_leader(leader_id), clock)
    assert {(a.trust_ods, a.status, a.end_reason) for a in uow.affiliations.rows.values()} == {
        ("RAA", "ended", LEADER_WITHDREW),
        ("RBB", "ended", LEADER_WITHDREW),
    }
    assert types(uow)[-3:] == ["leader.withdrawn", "leader.affiliation_ended", "leader.affiliation_ended"]
    with pytest.raises(NotFound):
        leaders.get_leader(commands.GetLeader(leader_id), uow, TRUST_A)
    blockers = checks.may_place(commands.MayPlace(leader_id, ()), uow, TRUST_B, clock)
    assert [(b.check_type, b.problem) for b in blockers] == [(None, "leader_withdrawn")]
    again = leaders.register_leader(commands.RegisterLeader(ADA), uow, TRUST_A, clock, ids())
    assert again.status == "pending"
    leaders.confirm_affiliation(commands.ConfirmAffiliation(again.affiliation_id), uow, as_leader(leader_id), clock)
    assert uow.leaders.rows[leader_id].status == "active"
    assert uow.affiliations.for_trust("RBB", leader_id).status == "ended"  # type: ignore[union-attr]


def test_a_withdrawn_person_s_shared_record_is_shown_to_no_trust_asking_again(uow: FakeUnitOfWork) -> None:
    leader_id = held_by_two(uow)
    me = as_leader(leader_id)
    share = commands.RecordConsent(leader_id, "share_record_with_trust", "RBB", True, "2026-11")
    leaders.record_consent(share, uow, me, clock)
    assert checks.get_shared_record(commands.GetSharedRecord(leader_id), uow, TRUST_B).leader_id == leader_id
    leaders.withdraw_leader(commands.WithdrawLeader(leader_id), uow, me, clock)
    assert leaders.register_leader(commands.RegisterLeader(ADA), uow, TRUST_B, clock, ids()).status == "pending"
    # pending, with the consent still standing: but they have withdrawn, so it awaits them, as GetLeader says
    with pytest.raises(PreconditionFailed, match="has not yet confirmed your trust's affiliation"):
        checks.get_shared_record(commands.GetSharedRecord(leader_id), uow, TRUST_B)


def test_a_trust_pauses_its_relationship_and_the_person_and_the_other_trust_see_no_change(uow: FakeUnitOfWork) -> None:
    leader_id = held_by_two(uow)
    version = uow.leaders.rows[leader_id].version
    paused = leaders.pause_affiliation(commands.PauseAffiliation(leader_id, date(2027, 1, 31)), uow, TRUST_A, clock)
    assert paused.paused_until == date(2027, 1, 31) and paused.status == "active"
    assert uow.leaders.rows[leader_id].version == version and uow.leaders.rows[leader_id].status == "active"
    assert uow.affiliations.for_trust("RBB", leader_id).paused_at is None  # type: ignore[union-attr]
    told = uow.outbox[-1]
    assert told.type == "plr.registry.leader.affiliation_paused.v1" and told.trust_ods == "RAA"
    default_registry().validate(told.to_dict())
    assert [b.problem for b in checks.may_place(commands.MayPlace(leader_id, ()), uow, TRUST_A, clock)] == [
        "affiliation_paused"
    ]
    assert checks.may_place(commands.MayPlace(leader_id, ()), uow, TRUST_B, clock) == []
    leaders.resume_affiliation(commands.ResumeAffiliation(leader_id), uow, TRUST_A, clock)
    assert types(uow)[-1] == "leader.affiliation_resumed"
    with pytest.raises(PermissionDenied):
        leaders.pause_affiliation(commands.PauseAffiliation(leader_id), uow, as_leader(leader_id), clock)


def test_a_trust_s_pause_ends_on_its_return_date_once(uow: FakeUnitOfWork) -> None:
    leader_id = held_by_two(uow)
    leaders.pause_affiliation(commands.PauseAffiliation(leader_id, date(2027, 1, 31)), uow, TRUST_A, clock)
    assert leaders.resume_due_leaders(lambda: uow, lambda: datetime(2027, 1, 30, tzinfo=UTC)) == 0
    assert leaders.resume_due_leaders(lambda: uow, lambda: datetime(2027, 1, 31, tzinfo=UTC)) == 1
    assert leaders.resume_due_leaders(lambda: uow, lambda: datetime(2027, 2, 1, tzinfo=UTC)) == 0
    assert types(uow)[-1] == "leader.affiliation_resumed"
    assert uow.affiliations.for_trust("RAA", leader_id).paused_at is None  # type: ignore[union-attr]


def test_every_new_event_maps_to_its_schema() -> None:
    leader = person()
    leader.record_on_behalf("RAA", ("skills",), "7b3e1c55-0d2a-4e8f-9c61-3a4b5c6d7e80")
    affiliation = Affiliation("2d7e9b10-6c4a-4f3e-8a21-5b9c0d1e2f34", leader.leader_id, "RAA", "active", 2)
    affiliation.pause(None, TODAY, NOW)
    affiliation.resume(NOW)
    made: list[LeaderEvent | AffiliationEvent] = [leader.pending_events[-1], *affiliation.pending_events]
    for event in made:
        default_registry().validate(to_cloudevent(event).to_dict())
