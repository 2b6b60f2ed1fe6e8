"""Test people for a trust's developers: confirmed people in any environment but production.

A trust sees a person only once the person confirms, and a test environment has no person to confirm;
so the administrator may make numbered test people who have confirmed the trust and consented to be
contacted by it. They are ordinary people (the same events, the same rules afterwards); their email
addresses are under ``example.invalid``, a name that can never deliver mail.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.common.errors import InvalidInput, NotFound, PreconditionFailed
from services.common.principals import Principal
from services.common.tenancy import ODS_CODE, ODS_CODE_RULE
from services.registry.domain import authority, commands
from services.registry.domain.affiliation import Affiliation
from services.registry.domain.consent import ConsentRecord, Purpose
from services.registry.domain.leader import Leader
from services.registry.domain.profile import Availability, LeaderProfile, normalise_email
from services.registry.service_layer.leaders import Clock, IdFactory, new_id, utc_now
from services.registry.service_layer.unit_of_work import UnitOfWork

MAX_TEST_PEOPLE = 100
PRODUCTION_REFUSAL = "test people are never made in production (PLR_ENVIRONMENT=production)"
WORDING = "test-person"


@dataclass(frozen=True)
class TestPerson:
    leader_id: str
    affiliation_id: str
    email: str
    created: bool


def create_test_people(
    cmd: commands.CreateTestPeople,
    uow: UnitOfWork,
    principal: Principal,
    production: bool,
    clock: Clock = utc_now,
    ids: IdFactory = new_id,
) -> list[TestPerson]:
    """People 1 to ``count`` of the trust, each confirmed; those that exist already are left as they are."""
    principal.require_administrator()
    _check(cmd, production)
    now = clock()
    with uow:
        trust = uow.trusts.get(cmd.trust_ods)
        if trust is None:
            raise NotFound(f"no trust {cmd.trust_ods}")
        if trust.status != "active":
            raise PreconditionFailed(f"trust {cmd.trust_ods} is {trust.status}")
        people = [_confirmed_person(uow, cmd.trust_ods, n, now, ids) for n in range(1, cmd.count + 1)]
        uow.commit()
    return people


def _check(cmd: commands.CreateTestPeople, production: bool) -> None:
    problems = {}
    if not ODS_CODE.fullmatch(cmd.trust_ods):
        problems["trust_ods"] = ODS_CODE_RULE
    if not 1 <= cmd.count <= MAX_TEST_PEOPLE:
        problems["count"] = f"must be 1 to {MAX_TEST_PEOPLE}"
    if problems:
        raise InvalidInput(problems)
    if production:
        raise PreconditionFailed(PRODUCTION_REFUSAL)


def demo_email(trust_ods: str, number: int) -> str:
    return f"demo.{trust_ods.lower()}.{number}@example.invalid"


def _confirmed_person(uow: UnitOfWork, trust_ods: str, number: int, now: datetime, ids: IdFactory) -> TestPerson:
    email = demo_email(trust_ods, number)
    known = uow.leaders.find_by_email_key(normalise_email(email))
    found = uow.leaders.get(known, lock=True) if known else None
    leader = found or Leader.register(ids(), _profile(number, email), now)
    affiliation = uow.affiliations.for_trust(trust_ods, leader.leader_id) if found else None
    if affiliation is not None and affiliation.active:
        return TestPerson(leader.leader_id, affiliation.affiliation_id, email, False)
    expected = leader.version
    asked = affiliation  # pending, or ended (asked again); None: a new request
    affiliation = asked or Affiliation.request(ids(), leader.leader_id, trust_ods, now)
    was = affiliation.version
    if affiliation.status == "ended":
        affiliation.reopen(now)
    authority.confirm(leader, affiliation, now)  # as the person would (a withdrawn one returns)
    leader.record_consent(
        ConsentRecord(Purpose.CONTACT_BY_TRUST, trust_ods, True, WORDING, "leader", "test person", None, "", now)
    )
    _store(uow, leader, expected if found else None, affiliation, was if asked else None)
    return TestPerson(leader.leader_id, affiliation.affiliation_id, email, True)


def _store(
    uow: UnitOfWork, leader: Leader, leader_was: int | None, affiliation: Affiliation, affiliation_was: int | None
) -> None:
    """Saves what existed (at the version read), adds what is new."""
    if leader_was is None:
        uow.leaders.add(leader)
    else:
        uow.leaders.save(leader, leader_was)
    if affiliation_was is None:
        uow.affiliations.add(affiliation)
    else:
        uow.affiliations.save(affiliation, affiliation_was)


def _profile(number: int, email: str) -> LeaderProfile:
    return LeaderProfile(
        given_name="Demo",
        family_name=f"Person {number}",
        email=email,
        postcode="LS1 4AP",
        skills=("chairing", "co_design")[: 1 + number % 2],
        availability=Availability(8, ("tue", "thu"), ("remote", "in_person")),
    ).normalised()
