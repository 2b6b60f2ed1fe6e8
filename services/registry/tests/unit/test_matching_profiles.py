"""GetMatchingProfile's use case: lived experience only while the person consents to its use in matching
(whatever the registry still holds), the district and never the postcode, matching's credential alone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.common.errors import NotFound, PermissionDenied
from services.common.principals import ADMINISTRATOR, Principal
from services.registry.domain.consent import ConsentRecord, Purpose
from services.registry.domain.leader import Leader
from services.registry.domain.profile import LeaderProfile
from services.registry.service_layer.matching_profiles import get_matching_profile
from services.registry.tests.unit.fakes import FakeUnitOfWork, stored

NOW = datetime(2026, 12, 2, tzinfo=UTC)
LEADER = "00000000-0000-4000-8000-000000000001"
MATCHING = Principal("service", "matching")


def consent(purpose: Purpose, target: str = "", granted: bool = True) -> ConsentRecord:
    return ConsentRecord(purpose, target, granted, "2026-11", "leader", LEADER, None, "", NOW)


def uow_with(*consents: ConsentRecord) -> FakeUnitOfWork:
    uow = FakeUnitOfWork()
    profile = LeaderProfile(
        given_name="Ada",
        email="ada@example.org",
        phone="07700 900000",
        postcode="LS1 4AP",
        lived_experience=("cancer",),
    )
    uow.leaders.add(stored(Leader(LEADER, profile, version=3, consents=list(consents))))
    return uow


@pytest.mark.parametrize(
    "consents",
    [
        (),
        (consent(Purpose.LIVED_EXPERIENCE_MATCHING), consent(Purpose.LIVED_EXPERIENCE_MATCHING, granted=False)),
        (consent(Purpose.CONTACT_BY_TRUST, "RXX"),),
    ],
)
def test_lived_experience_never_leaves_without_the_consent(consents: tuple[ConsentRecord, ...]) -> None:
    uow = uow_with(*consents)
    found = get_matching_profile(LEADER, uow, MATCHING, "matching")
    assert found.lived_experience == () and not found.lived_experience_consent
    assert "lived_experience" not in uow.audit.entries[-1].fields
    assert "cancer" not in repr(found)


def test_with_the_consent_it_is_there_and_the_audit_says_so() -> None:
    uow = uow_with(consent(Purpose.LIVED_EXPERIENCE_MATCHING), consent(Purpose.CONTACT_BY_TRUST, "RXX"))
    found = get_matching_profile(LEADER, uow, MATCHING, "matching")
    assert found.lived_experience == ("cancer",) and found.contact_trusts == ("RXX",)
    assert found.postcode_district == "LS1" and "4AP" not in repr(found) and "Ada" not in repr(found)
    [entry] = uow.audit.entries
    assert (entry.principal_kind, entry.principal, entry.method) == ("service", "matching", "GetMatchingProfile")
    assert "lived_experience" in entry.fields


@pytest.mark.parametrize(
    "principal",
    [
        ADMINISTRATOR,
        Principal("service", "portal"),
        Principal("trust", "RXX", "RXX"),
        Principal("leader", "l", leader_id=LEADER),
    ],
)
def test_anyone_but_matching_is_refused(principal: Principal) -> None:
    uow = uow_with(consent(Purpose.LIVED_EXPERIENCE_MATCHING))
    with pytest.raises(PermissionDenied):
        get_matching_profile(LEADER, uow, principal, "matching")
    assert uow.audit.entries == []


def test_an_unknown_person_is_not_found() -> None:
    with pytest.raises(NotFound):
        get_matching_profile("00000000-0000-4000-8000-000000000002", uow_with(), MATCHING, "matching")
