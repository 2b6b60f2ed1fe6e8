"""The leader use cases on fakes: registration and affiliations, reads and their audit, changes by the
person and by a trust, consent with its idempotency key, the taxonomy, and the return from a pause."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from services.common.errors import (
    AlreadyExists,
    ConcurrentChange,
    InvalidInput,
    NotFound,
    PermissionDenied,
    PreconditionFailed,
)
from services.common.idempotency import Idempotent
from services.common.principals import ADMINISTRATOR, Principal
from services.registry.domain import commands
from services.registry.domain.affiliation import Affiliation
from services.registry.domain.authority import OnBehalf
from services.registry.domain.consent import ConsentRecord
from services.registry.domain.email_change import AddressInUse, EmailChangeNotFound, new_token, token_digest
from services.registry.domain.profile import LeaderProfile
from services.registry.service_layer import email_changes, leaders
from services.registry.tests.unit.fakes import FakeUnitOfWork

NOW = datetime(2026, 11, 26, 10, tzinfo=UTC)
TRUST_A = Principal("trust", "RAA", "RAA")
TRUST_B = Principal("trust", "RBB", "RBB")
STRANGER = "0d9b7a57-6a35-4a8e-bc1f-6f3c1d2e4b55"
ADA = LeaderProfile(given_name="Ada", family_name="Lovelace", email="Ada@Example.org", phone="07700 900123")


def clock() -> datetime:
    return NOW


def ids() -> leaders.IdFactory:
    counter = itertools.count(1)
    return lambda: f"00000000-0000-4000-8000-{next(counter):012d}"


def as_leader(leader_id: str) -> Principal:
    return Principal("leader", f"leader:{leader_id}", leader_id=leader_id)


def types(uow: FakeUnitOfWork) -> list[str]:
    return [e.type.removeprefix("plr.registry.").removesuffix(".v1") for e in uow.outbox]


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork()


def registered(uow: FakeUnitOfWork, trust: Principal = TRUST_A, make: leaders.IdFactory | None = None) -> Affiliation:
    return leaders.register_leader(commands.RegisterLeader(ADA), uow, trust, clock, make or ids())


def active(uow: FakeUnitOfWork) -> str:
    """Ada, registered by RAA and confirmed by her: her id."""
    affiliation = registered(uow)
    leaders.confirm_affiliation(
        commands.ConfirmAffiliation(affiliation.affiliation_id), uow, as_leader(affiliation.leader_id), clock
    )
    return affiliation.leader_id


# --- registration and affiliations ---------------------------------------------------------------


def test_registering_makes_one_person_and_a_pending_affiliation_with_their_events(uow: FakeUnitOfWork) -> None:
    made = ids()
    first = registered(uow, TRUST_A, made)
    second = registered(uow, TRUST_B, made)
    assert first.leader_id == second.leader_id and len(uow.leaders.rows) == 1
    assert {(a.trust_ods, a.status) for a in uow.affiliations.rows.values()} == {("RAA", "pending"), ("RBB", "pending")}
    assert types(uow) == ["leader.registered", "leader.affiliated", "leader.affiliated"]
    assert all("Ada" not in e.to_json().decode() for e in uow.outbox)


def test_a_person_registered_by_another_call_between_look_up_and_insert_is_found_on_a_second_look(
    uow: FakeUnitOfWork, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The other call's insert wins the unique email key; this registration looks again and answers as
    any registration does (the same person, a pending affiliation of its own), revealing nothing."""
    made = ids()
    other = registered(uow, TRUST_B, made)
    real_find, looks = uow.leaders.find_by_email_key, []

    def find(key: str) -> str | None:
        looks.append(key)
        return None if len(looks) == 1 else real_find(key)  # the first look ran before the other's commit

    monkeypatch.setattr(uow.leaders, "find_by_email_key", find)

    mine = registered(uow, TRUST_A, made)

    assert mine.leader_id == other.leader_id and mine.status == "pending" and mine.trust_ods == "RAA"
    assert len(uow.leaders.rows) == 1 and len(looks) == 2


def test_a_second_collision_in_a_row_is_answered_as_a_concurrent_change(
    uow: FakeUnitOfWork, monkeypatch: pytest.MonkeyPatch
) -> None:
    registered(uow, TRUST_B)
    monkeypatch.setattr(uow.leaders, "find_by_email_key", lambda key: None)
    with pytest.raises(ConcurrentChange):
        registered(uow, TRUST_A)


def test_registering_is_for_a_trust_and_refuses_lived_experience_before_consent(uow: FakeUnitOfWork) -> None:
    with pytest.raises(PermissionDenied):
        leaders.register_leader(commands.RegisterLeader(ADA), uow, ADMINISTRATOR, clock, ids())
    with pytest.raises(InvalidInput) as refused:
        leaders.register_leader(
            commands.RegisterLeader(LeaderProfile(**{**vars(ADA), "lived_experience": ("diabetes",)})),
            uow,
            TRUST_A,
            clock,
        )
    assert list(refused.value.fields) == ["lived_experience"]
    assert uow.leaders.rows == {} and uow.outbox == []


def test_a_registration_may_use_global_terms_and_the_trust_s_own_but_not_another_trust_s(
    uow: FakeUnitOfWork,
) -> None:
    leaders.add_term(commands.AddTerm("skill", "raa_private", "Ours"), uow, TRUST_A)
    leaders.add_term(commands.AddTerm("skill", "rbb_private", "Theirs"), uow, TRUST_B)

    def register_with(skill: str) -> Affiliation:
        profile = replace(ADA, skills=("chairing", skill))
        return leaders.register_leader(commands.RegisterLeader(profile), uow, TRUST_A, clock, ids())

    with pytest.raises(InvalidInput) as theirs:
        register_with("rbb_private")
    with pytest.raises(InvalidInput) as unknown:
        register_with("no_such_term")
    assert str(theirs.value).replace("rbb_private", "X") == str(unknown.value).replace("no_such_term", "X")
    assert not uow.leaders.rows
    assert register_with("raa_private").status == "pending"


def test_an_idempotency_key_answers_the_first_registration_again(uow: FakeUnitOfWork) -> None:
    kept: dict[bytes, Affiliation] = {}

    def key(digest: str) -> Idempotent[Affiliation]:
        return Idempotent(
            "RAA", "RegisterLeader", "k1", digest, "RAA", None, lambda a: a.affiliation_id.encode(), kept.__getitem__
        )

    first = leaders.register_leader(commands.RegisterLeader(ADA), uow, TRUST_A, clock, ids(), idempotent=key("d1"))
    kept[first.affiliation_id.encode()] = first
    again = leaders.register_leader(commands.RegisterLeader(ADA), uow, TRUST_A, clock, ids(), idempotent=key("d1"))
    assert again is first and len(uow.affiliations.rows) == 1 and len(uow.outbox) == 2
    with pytest.raises(PreconditionFailed):
        leaders.register_leader(commands.RegisterLeader(ADA), uow, TRUST_A, clock, ids(), idempotent=key("d2"))


def test_only_the_leader_confirms_or_declines_their_affiliation(uow: FakeUnitOfWork) -> None:
    affiliation = registered(uow)
    with pytest.raises(PermissionDenied):
        leaders.confirm_affiliation(commands.ConfirmAffiliation(affiliation.affiliation_id), uow, TRUST_A, clock)
    with pytest.raises(NotFound):
        leaders.confirm_affiliation(
            commands.ConfirmAffiliation(affiliation.affiliation_id), uow, as_leader(STRANGER), clock
        )
    confirmed = leaders.confirm_affiliation(
        commands.ConfirmAffiliation(affiliation.affiliation_id), uow, as_leader(affiliation.leader_id), clock
    )
    assert confirmed.status == "active" and uow.affiliations.rows[affiliation.affiliation_id].status == "active"
    assert types(uow)[-1] == "leader.affiliation_confirmed"


def test_a_trust_ends_its_own_affiliation_only(uow: FakeUnitOfWork) -> None:
    leader_id = active(uow)
    with pytest.raises(NotFound):
        leaders.end_affiliation(commands.EndAffiliation(leader_id, "moved"), uow, TRUST_B, clock)
    ended = leaders.end_affiliation(commands.EndAffiliation(leader_id, "moved"), uow, TRUST_A, clock)
    assert (ended.status, ended.end_reason) == ("ended", "moved") and types(uow)[-1] == "leader.affiliation_ended"


def test_registering_again_after_the_end_reopens_the_affiliation(uow: FakeUnitOfWork) -> None:
    leader_id = active(uow)
    leaders.end_affiliation(commands.EndAffiliation(leader_id, "moved"), uow, TRUST_A, clock)
    again = registered(uow)
    assert again.leader_id == leader_id and again.status == "pending" and len(uow.affiliations.rows) == 1


# --- reads --------------------------------------------------------------------------------------


def test_a_trust_reads_a_leader_only_through_an_active_affiliation_and_is_audited(uow: FakeUnitOfWork) -> None:
    pending = registered(uow)
    with pytest.raises(PreconditionFailed, match="has not yet confirmed your trust's affiliation"):
        leaders.get_leader(commands.GetLeader(pending.leader_id), uow, TRUST_A)
    leaders.confirm_affiliation(
        commands.ConfirmAffiliation(pending.affiliation_id), uow, as_leader(pending.leader_id), clock
    )
    view = leaders.get_leader(commands.GetLeader(pending.leader_id), uow, TRUST_A)
    assert view.profile.given_name == "Ada" and view.profile.email == ""  # no contact consent
    (entry,) = uow.audit.entries
    assert (entry.trust_ods, entry.method) == ("RAA", "GetLeader") and "email" not in entry.fields
    with pytest.raises(NotFound):
        leaders.get_leader(commands.GetLeader(pending.leader_id), uow, TRUST_B)


def test_the_leader_reads_all_of_themselves_and_nobody_else(uow: FakeUnitOfWork) -> None:
    leader_id = active(uow)
    assert (
        leaders.get_leader(commands.GetLeader(leader_id), uow, as_leader(leader_id)).profile.email == "Ada@Example.org"
    )
    with pytest.raises(NotFound):
        leaders.get_leader(commands.GetLeader(leader_id), uow, as_leader(STRANGER))


def test_the_audit_is_listed_to_the_leader_and_to_an_affiliated_trust(uow: FakeUnitOfWork) -> None:
    leader_id = active(uow)
    leaders.get_leader(commands.GetLeader(leader_id), uow, TRUST_A)
    assert [
        e.method
        for _, e in leaders.list_audit_entries(
            commands.ListAuditEntries(leader_id, 0, None, 10), uow, as_leader(leader_id)
        )
    ] == ["GetLeader"]
    assert len(leaders.list_audit_entries(commands.ListAuditEntries(leader_id, 0, None, 10), uow, TRUST_A)) == 1
    with pytest.raises(NotFound):
        leaders.list_audit_entries(commands.ListAuditEntries(leader_id, 0, None, 10), uow, TRUST_B)


# --- changes ------------------------------------------------------------------------------------


def test_a_trust_s_change_to_name_or_contact_details_is_its_own_record_never_the_person_s(
    uow: FakeUnitOfWork,
) -> None:
    leader_id = active(uow)
    before = uow.leaders.rows[leader_id]
    change = LeaderProfile(given_name=" Augusta ", phone="01234 567890", skills=("chairing",))
    view = leaders.update_leader(
        commands.UpdateLeader(leader_id, before.version, change, ("given_name", "phone")), uow, TRUST_A, clock
    )
    after = uow.leaders.rows[leader_id]
    assert after.profile == before.profile and after.version == before.version  # no consent needed, none asked
    assert view.known is not None and (view.known.given_name, view.known.phone) == ("Augusta", "01234 567890")
    assert uow.known.get("RAA", leader_id) == view.known and uow.known.get("RBB", leader_id) is None
    assert uow.history.entries[-1].fields == ("known_details.given_name", "known_details.phone")
    with pytest.raises(PermissionDenied):  # any other field is the person's: only on their behalf
        leaders.update_leader(
            commands.UpdateLeader(leader_id, before.version, change, ("phone", "skills")), uow, TRUST_A, clock
        )


def test_a_trust_asks_for_the_person_s_new_address_on_their_behalf_and_nothing_changes_until_it_is_confirmed(
    uow: FakeUnitOfWork,
) -> None:
    leader_id = active(uow)
    leaders.record_consent(
        commands.RecordConsent(leader_id, "contact_by_trust", "RAA", True, "2026-11", ""),
        uow,
        as_leader(leader_id),
        clock,
    )
    asked = OnBehalf("Sam at reception", "by phone, identity checked")
    version = uow.leaders.rows[leader_id].version
    new = LeaderProfile(email="New@Example.org")
    view = leaders.update_leader(commands.UpdateLeader(leader_id, version, new, ("email",), asked), uow, TRUST_A, clock)
    assert view.email_change_pending and view.profile.email == ADA.email
    assert uow.leaders.rows[leader_id].profile.email == ADA.email
    [change] = uow.email_changes.rows.values()
    assert (change.email, change.on_behalf_of, change.token_sha256) == ("New@Example.org", "RAA", None)
    assert types(uow)[-1] == "leader.email_change_requested"
    assert uow.outbox[-1].data == {"leader_id": leader_id, "change_id": change.change_id, "ods": "RAA"}
    assert uow.leaders.changes_on_behalf[-1].fields == ("email_change_requested",)
    assert uow.history.entries[-1].fields == ("email_change_requested",)


def test_the_person_s_confirmation_makes_the_address_theirs_once(uow: FakeUnitOfWork) -> None:
    leader_id = active(uow)
    me = as_leader(leader_id)
    version = uow.leaders.rows[leader_id].version
    leaders.update_leader(
        commands.UpdateLeader(leader_id, version, LeaderProfile(email="new@example.org"), ("email",)), uow, me, clock
    )
    [change] = uow.email_changes.rows.values()
    token = new_token()
    uow.email_changes.rows[change.change_id] = replace(change, token_sha256=token_digest(token))
    with pytest.raises(NotFound):  # another person's link answers as no link
        email_changes.verify_email_change(commands.VerifyEmailChange(token), uow, as_leader(STRANGER), clock)
    view = email_changes.verify_email_change(commands.VerifyEmailChange(token), uow, me, clock)
    assert view.profile.email == "new@example.org" and uow.leaders.rows[leader_id].email_key == "new@example.org"
    assert types(uow)[-1] == "leader.updated" and uow.outbox[-1].data["fields"] == ["email"]
    with pytest.raises(EmailChangeNotFound):
        email_changes.verify_email_change(commands.VerifyEmailChange(token), uow, me, clock)
    with pytest.raises(InvalidInput) as malformed:
        email_changes.verify_email_change(commands.VerifyEmailChange("not a token"), uow, me, clock)
    assert list(malformed.value.fields) == ["token"]


def test_a_link_opened_after_24_hours_changes_nothing(uow: FakeUnitOfWork) -> None:
    leader_id = active(uow)
    me = as_leader(leader_id)
    version = uow.leaders.rows[leader_id].version
    leaders.update_leader(
        commands.UpdateLeader(leader_id, version, LeaderProfile(email="new@example.org"), ("email",)), uow, me, clock
    )
    [change] = uow.email_changes.rows.values()
    token = new_token()
    uow.email_changes.rows[change.change_id] = replace(change, token_sha256=token_digest(token))
    late = lambda: NOW + timedelta(hours=24)  # noqa: E731
    with pytest.raises(EmailChangeNotFound):
        email_changes.verify_email_change(commands.VerifyEmailChange(token), uow, me, late)
    assert uow.leaders.rows[leader_id].profile.email == ADA.email


def test_a_trust_changes_contact_details_for_the_person_only_while_it_may_contact_them(uow: FakeUnitOfWork) -> None:
    leader_id = active(uow)
    asked = OnBehalf("Sam at reception", "by phone, identity checked")
    phone = LeaderProfile(phone="01234 567890")
    with pytest.raises(PermissionDenied):
        leaders.update_leader(commands.UpdateLeader(leader_id, 2, phone, ("phone",), asked), uow, TRUST_A, clock)
    leaders.record_consent(
        commands.RecordConsent(leader_id, "contact_by_trust", "RAA", True, "2026-11", ""),
        uow,
        as_leader(leader_id),
        clock,
    )
    version = uow.leaders.rows[leader_id].version
    view = leaders.update_leader(
        commands.UpdateLeader(leader_id, version, phone, ("phone",), asked), uow, TRUST_A, clock
    )
    assert view.profile.phone == "01234 567890" and uow.leaders.rows[leader_id].version == version + 2
    assert types(uow)[-2:] == ["leader.updated", "leader.changed_on_behalf"]


def test_an_update_names_unknown_fields_and_refuses_a_stale_version(uow: FakeUnitOfWork) -> None:
    leader_id = active(uow)
    me = as_leader(leader_id)
    with pytest.raises(InvalidInput) as refused:
        leaders.update_leader(commands.UpdateLeader(leader_id, 1, LeaderProfile(), ("shoe_size",)), uow, me, clock)
    assert "shoe_size" in refused.value.fields["fields"]
    with pytest.raises(PreconditionFailed):
        leaders.update_leader(
            commands.UpdateLeader(leader_id, 99, LeaderProfile(given_name="Augusta"), ("given_name",)), uow, me, clock
        )
    assert uow.leaders.rows[leader_id].profile.given_name == "Ada"


def test_an_address_another_person_holds_is_asked_for_as_any_other_and_refused_only_at_confirmation(
    uow: FakeUnitOfWork,
) -> None:
    made = ids()
    ada = registered(uow, make=made).leader_id
    bo = LeaderProfile(given_name="Bo", family_name="B", email="bo@example.org")
    leaders.register_leader(commands.RegisterLeader(bo), uow, TRUST_A, clock, made)

    def ask(address: str) -> leaders.LeaderView:
        version = uow.leaders.rows[ada].version
        cmd = commands.UpdateLeader(ada, version, LeaderProfile(email=address), ("email",))
        return leaders.update_leader(cmd, uow, as_leader(ada), clock, made)

    free, taken = ask("free@example.org"), ask("BO@example.org")
    assert (free.profile, free.email_change_pending) == (taken.profile, taken.email_change_pending)
    change = next(c for c in uow.email_changes.rows.values() if c.email == "BO@example.org")
    token = new_token()
    uow.email_changes.rows[change.change_id] = replace(change, token_sha256=token_digest(token))
    with pytest.raises(AddressInUse) as refused:
        email_changes.verify_email_change(commands.VerifyEmailChange(token), uow, as_leader(ada), clock)
    assert "Bo" not in str(refused.value) and uow.leaders.rows[ada].profile.email == ADA.email
    assert uow.email_changes.rows == {}  # every link of hers is used up


def test_a_pause_with_a_return_date_ends_when_the_worker_finds_it_due(uow: FakeUnitOfWork) -> None:
    leader_id = active(uow)
    view = leaders.pause_leader(commands.PauseLeader(leader_id, date(2026, 12, 1)), uow, as_leader(leader_id), clock)
    assert view.leader.status == "paused"
    assert leaders.resume_due_leaders(lambda: uow, clock) == 0
    assert leaders.resume_due_leaders(lambda: uow, lambda: NOW + timedelta(days=5)) == 1
    assert uow.leaders.rows[leader_id].status == "active"
    assert types(uow)[-2:] == ["leader.paused", "leader.resumed"]


def test_withdrawing_is_the_person_s_own_and_a_trust_cannot_see_one_it_is_not_affiliated_with(
    uow: FakeUnitOfWork,
) -> None:
    leader_id = active(uow)
    with pytest.raises(PermissionDenied):
        leaders.withdraw_leader(commands.WithdrawLeader(leader_id), uow, TRUST_A, clock)
    asked = OnBehalf("Sam", "in person at the clinic")
    with pytest.raises(NotFound):
        leaders.withdraw_leader(commands.WithdrawLeader(leader_id, asked), uow, TRUST_B, clock)
    assert (
        leaders.withdraw_leader(commands.WithdrawLeader(leader_id), uow, as_leader(leader_id), clock).leader.status
        == "withdrawn"
    )


# --- consent and the taxonomy -------------------------------------------------------------------


def test_consent_is_recorded_by_the_leader_or_by_staff_and_listed_as_each_may_see_it(uow: FakeUnitOfWork) -> None:
    leader_id = active(uow)
    me = as_leader(leader_id)
    with pytest.raises(InvalidInput):
        leaders.record_consent(
            commands.RecordConsent(leader_id, "contact_by_trust", "RAA", True, "", ""), uow, me, clock
        )
    with pytest.raises(PermissionDenied):
        leaders.record_consent(
            commands.RecordConsent(leader_id, "contact_by_trust", "RAA", True, "1", ""), uow, ADMINISTRATOR, clock
        )
    made = leaders.record_consent(
        commands.RecordConsent(leader_id, "contact_by_trust", "RAA", True, "2026-11", ""), uow, me, clock
    )
    assert isinstance(made, ConsentRecord) and made.recorded_by_kind == "leader"
    leaders.record_consent(
        commands.RecordConsent(leader_id, "contact_by_trust", "RBB", True, "2026-11", ""), uow, me, clock
    )
    current, history = leaders.list_consents(commands.ListConsents(leader_id), uow, TRUST_A)
    assert [(r.purpose.value, r.target) for r in current] == [("contact_by_trust", "RAA")] and len(history) == 1
    assert len(leaders.list_consents(commands.ListConsents(leader_id), uow, me)[1]) == 2
    assert types(uow).count("consent.granted") == 2


def test_a_trust_adds_its_own_term_once(uow: FakeUnitOfWork) -> None:
    term = leaders.add_term(commands.AddTerm("skill", "raa_only", "Ours"), uow, TRUST_A)
    assert term.trust_ods == "RAA" and uow.committed == 1
    [added] = [e for e in uow.outbox if e.type == "plr.registry.term.added.v1"]
    assert added.data == {"term_id": "RAA/skill/raa_only", "kind": "skill", "code": "raa_only", "ods": "RAA"}
    assert (added.trust_ods, added.aggregate_type, added.aggregate_version) == ("RAA", "term", 1)
    leaders.add_term(commands.AddTerm("skill", "raa_only", "Ours"), uow, TRUST_A)
    assert (
        uow.committed == 1
        and [t.code for t in leaders.list_terms(commands.ListTerms("skill"), uow)].count("raa_only") == 1
    )
    assert [e.type for e in uow.outbox].count("plr.registry.term.added.v1") == 1  # announced once
    with pytest.raises(PermissionDenied):
        leaders.add_term(commands.AddTerm("skill", "mine", "Mine"), uow, as_leader(STRANGER))


def test_a_term_added_again_with_another_label_already_exists_and_keeps_its_label(uow: FakeUnitOfWork) -> None:
    leaders.add_term(commands.AddTerm("skill", "raa_named", "Ours"), uow, TRUST_A)
    with pytest.raises(AlreadyExists, match="labelled 'Ours'"):
        leaders.add_term(commands.AddTerm("skill", "raa_named", "Renamed"), uow, TRUST_A)
    [kept] = [t for t in leaders.list_terms(commands.ListTerms("skill"), uow) if t.code == "raa_named"]
    assert kept.label == "Ours"
