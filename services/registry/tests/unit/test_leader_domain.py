"""The rules about leaders, affiliations and consent, without a database."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from services.common.errors import InvalidInput, PreconditionFailed
from services.common.principals import Principal
from services.registry.domain import events
from services.registry.domain.affiliation import Affiliation
from services.registry.domain.consent import ConsentRecord, Purpose, check_recorder, is_granted, parse_purpose
from services.registry.domain.leader import Leader, VersionConflict
from services.registry.domain.profile import Availability, LeaderProfile, normalise_postcode, profile_problems
from services.registry.service_layer.leaders import view_for

NOW = datetime(2026, 11, 26, 10, tzinfo=UTC)
LEADER_ID = "8c1f4f7e-3a52-4d2b-9b61-2f0e6f4f1a10"
PROFILE = LeaderProfile(
    given_name="Ada",
    family_name="Lovelace",
    email="Ada@Example.org",
    phone="07700 900123",
    postcode="sw1a1aa",
    skills=("chairing",),
)


def consent(purpose: Purpose, target: str = "", granted: bool = True) -> ConsentRecord:
    return ConsentRecord(purpose, target, granted, "2026-11", "leader", "leader", None, "", NOW)


def leader() -> Leader:
    made = Leader.register(LEADER_ID, PROFILE, NOW)
    made.pending_events.clear()
    return made


def test_registering_normalises_the_profile_and_records_a_thin_event() -> None:
    made = Leader.register(LEADER_ID, PROFILE, NOW)
    assert made.profile.postcode == "SW1A 1AA" and made.email_key == "ada@example.org"
    assert made.pending_events == [events.LeaderRegistered(leader_id=LEADER_ID, version=1)]


def test_the_leader_declines_only_a_request_still_waiting_never_one_they_confirmed() -> None:
    """A stale page's Decline (the back button, a second tab) after confirming must not end the
    relationship the person confirmed."""
    affiliation = Affiliation.request("a1", LEADER_ID, "RXX", NOW)
    affiliation.confirm(NOW)
    with pytest.raises(PreconditionFailed, match="confirmed"):
        affiliation.decline(NOW)
    assert affiliation.active and affiliation.version == 2
    waiting = Affiliation.request("a2", LEADER_ID, "RXX", NOW)
    waiting.decline(NOW)
    waiting.decline(NOW)  # twice (a double click): declined once
    assert waiting.status == "ended" and waiting.version == 2


def test_an_affiliation_waits_for_the_leader_and_can_end_and_be_asked_again() -> None:
    affiliation = Affiliation.request("a1", LEADER_ID, "RXX", NOW)
    assert affiliation.status == "pending" and not affiliation.active
    affiliation.confirm(NOW)
    assert affiliation.active and affiliation.version == 2
    affiliation.confirm(NOW)
    assert affiliation.version == 2  # confirming twice changes nothing
    with pytest.raises(InvalidInput):
        affiliation.end("  ", NOW)
    affiliation.end("role finished", NOW)
    with pytest.raises(PreconditionFailed):
        affiliation.confirm(NOW)
    affiliation.reopen(NOW)
    assert affiliation.status == "pending" and affiliation.version == 4
    assert [type(e) for e in affiliation.pending_events] == [
        events.LeaderAffiliated,
        events.AffiliationConfirmed,
        events.AffiliationEnded,
        events.LeaderAffiliated,
    ]


def test_a_stale_update_names_the_current_version() -> None:
    person = leader()
    person.update(LeaderProfile(skills=("co_design",)), ("skills",), 1, NOW)
    with pytest.raises(VersionConflict, match="version 2"):
        person.update(LeaderProfile(skills=("chairing",)), ("skills",), 1, NOW)


def test_an_update_that_changes_nothing_records_nothing() -> None:
    person = leader()
    person.update(PROFILE, ("skills",), 1, NOW)
    assert person.version == 1 and not person.pending_events


def test_lived_experience_needs_consent_and_goes_when_consent_is_withdrawn() -> None:
    person = leader()
    with pytest.raises(PreconditionFailed, match="lived_experience"):
        person.update(LeaderProfile(lived_experience=("cancer",)), ("lived_experience",), 1, NOW)
    person.record_consent(consent(Purpose.LIVED_EXPERIENCE_MATCHING))
    person.update(LeaderProfile(lived_experience=("cancer",)), ("lived_experience",), person.version, NOW)
    assert person.profile.lived_experience == ("cancer",)
    person.record_consent(consent(Purpose.LIVED_EXPERIENCE_MATCHING, granted=False))
    assert person.profile.lived_experience == ()
    kinds = [type(e) for e in person.pending_events]
    assert kinds[-2:] == [events.ConsentChanged, events.LeaderUpdated]


def test_consent_reads_the_latest_record_and_keeps_every_one() -> None:
    person = leader()
    person.record_consent(consent(Purpose.CONTACT_BY_TRUST, "RXX"))
    person.record_consent(consent(Purpose.CONTACT_BY_TRUST, "RXX"))  # repeated: kept, no event
    person.record_consent(consent(Purpose.CONTACT_BY_TRUST, "RXX", granted=False))
    assert not is_granted(person.consents, Purpose.CONTACT_BY_TRUST, "RXX")
    assert len(person.consents) == 3
    assert [e.granted for e in person.pending_events if isinstance(e, events.ConsentChanged)] == [True, False]


@pytest.mark.parametrize(
    ("purpose", "target"),
    [
        ("contact_by_trust", ""),
        ("lived_experience_matching", "RXX"),
        ("share_profile_with_network", "Bad Net"),
        ("nonsense", ""),
    ],
)
def test_a_consent_needs_a_known_purpose_and_a_fitting_target(purpose: str, target: str) -> None:
    with pytest.raises(InvalidInput):
        parse_purpose(purpose, target)


def test_staff_record_consent_only_with_evidence() -> None:
    check_recorder("leader", "")
    check_recorder("staff", "form 12")
    with pytest.raises(InvalidInput, match="evidence"):
        check_recorder("staff", " ")


def test_a_trust_sees_contact_details_only_with_consent_and_only_its_consents() -> None:
    person = leader()
    person.record_consent(consent(Purpose.CONTACT_BY_TRUST, "RYY"))
    trust = Principal("trust", "RXX", "RXX")
    view = view_for(trust, person, None)
    assert view.profile.email == "" and view.profile.phone == "" and not view.contactable
    assert view.profile.given_name == "Ada" and view.consents == ()
    person.record_consent(consent(Purpose.CONTACT_BY_TRUST, "RXX"))
    view = view_for(trust, person, None)
    assert view.contactable and view.profile.email == "Ada@Example.org"
    assert [c.target for c in view.consents] == ["RXX"]
    assert "email" in view.fields_shown and "lived_experience" not in view.fields_shown


def test_pause_until_a_future_date_then_resume() -> None:
    person = leader()
    with pytest.raises(InvalidInput, match="until"):
        person.pause(date(2026, 11, 1), NOW.date(), NOW)
    person.pause(date(2027, 1, 1), NOW.date(), NOW)
    assert person.status == "paused"
    person.resume_if_due(date(2027, 1, 1), NOW)
    assert person.status == "active" and person.paused_until is None


def test_an_erased_leader_keeps_no_profile_and_accepts_no_change() -> None:
    person = leader()
    person.erase(NOW)
    assert person.profile == LeaderProfile() and person.status == "erased" and person.email_key == ""
    with pytest.raises(PreconditionFailed):
        person.update(PROFILE, ("skills",), person.version, NOW)
    version = person.version
    person.erase(NOW)
    assert person.version == version


def test_profile_problems_are_named_by_field() -> None:
    bad = LeaderProfile(
        given_name="",
        family_name="x" * 101,
        email="nope",
        phone="12",
        postcode="XYZ",
        skills=("unknown",),
        availability=Availability(hours_per_month=500, modes=("telepathy",)),
        preferred_formats=("smoke_signals",),
        declarations_of_interest=("",),
    )
    problems = profile_problems(bad, lambda kind, code: code == "chairing")
    assert set(problems) == {
        "given_name",
        "family_name",
        "email",
        "phone",
        "postcode",
        "skills",
        "availability.hours_per_month",
        "availability.modes",
        "preferred_formats",
        "declarations_of_interest",
    }
    assert normalise_postcode(" sw1a1aa ") == "SW1A 1AA"


def test_a_trust_does_not_learn_which_other_trust_recorded_a_consent() -> None:
    person = leader()
    by_ryy = ConsentRecord(
        Purpose.LIVED_EXPERIENCE_MATCHING, "", True, "2026-11", "staff", "RYY/j.smith", "RYY", "form 7", NOW
    )
    person.record_consent(by_ryy)
    [seen] = view_for(Principal("trust", "RXX", "RXX"), person, None).consents
    assert seen.granted and seen.recorded_by == "" and seen.evidence == "" and seen.recorder_trust is None
    [own] = view_for(Principal("trust", "RYY", "RYY"), person, None).consents
    assert own.recorded_by == "RYY/j.smith" and own.evidence == "form 7"
