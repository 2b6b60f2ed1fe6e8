"""The person's own pages (profile, lived experience, consent, equality questions) on fakes: a person
in memory as the registry would answer, server-side sessions in memory. Each page acts for the
session's person only; bad input answers the form naming its field; a stale version answers "this
changed since you opened it"."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from flask.testing import FlaskClient

from services.common.errors import InvalidInput, NotFound, PreconditionFailed
from services.portal.adapters.registry import RegistryClient
from services.portal.adapters.store import Session
from services.portal.domain.accounts import Account
from services.portal.domain.profile import (
    CONSENT_WORDING_VERSION,
    Availability,
    ChangedSinceOpened,
    Consent,
    Network,
    PersonRecord,
    Profile,
    Purpose,
    Term,
    TrustLink,
    consent_offers,
    registry_problems,
)
from services.portal.entrypoints.web import COOKIE, make_app
from services.portal.service_layer.person import PersonRegistry
from services.portal.tests.unit.test_accounts import FakeStore
from services.portal.tests.unit.test_nhs_login import FakeNhsLogins
from services.portal.tests.unit.test_resets import FakeResets
from services.portal.tests.unit.test_trust_pages import FakeTrustNames

NOW = datetime(2026, 12, 2, 10, tzinfo=UTC)
ADA, BEA = "0f0e0d0c-0b0a-4000-8000-00000000000a", "0f0e0d0c-0b0a-4000-8000-00000000000b"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
TERMS = {
    "skill": [Term("chairing", "Chairing meetings"), Term("writing", "Writing")],
    "interest": [Term("panels", "Interview panels")],
    "lived_experience": [Term("diabetes", "Diabetes"), Term("carer", "Caring for someone")],
}


@dataclass
class FakeSessions:
    """Server-side sessions in memory, as SqlSessions keeps them (no expiry: the clock stands still)."""

    held: dict[str, Session] = field(default_factory=dict)
    count: int = 0

    def start(self, now: datetime, account_id: str | None = None, confirm_link: str | None = None) -> Session:
        self.count += 1
        made = Session(f"session-{self.count}", account_id, f"csrf-{self.count}", confirm_link)
        self.held[made.session_id] = made
        return made

    def find(self, session_id: str, now: datetime) -> Session | None:
        return self.held.get(session_id)

    def keep_link(self, session: Session, confirm_link: str | None) -> None:
        self.held[session.session_id] = replace(session, confirm_link=confirm_link)

    def end(self, session_id: str) -> None:
        self.held.pop(session_id, None)


@dataclass
class Person:
    version: int
    profile: Profile
    consents: list[Consent] = field(default_factory=list)
    trusts: list[TrustLink] = field(default_factory=list)
    networks: list[Network] = field(default_factory=list)
    equality: dict[str, str] | None = None


class FakePersonRegistry(PersonRegistry):
    """People as the registry answers the person themselves, with a few of its rules (versions, known
    terms, lived experience only with its consent), and every call's leader id recorded."""

    def __init__(self, people: dict[str, Person]):
        self.people = people
        self.calls: list[tuple[str, str]] = []  # (method, leader id)
        self.refusal: InvalidInput | None = None  # the next write's answer, as the registry would name it

    def _person(self, method: str, leader_id: str) -> Person:
        self.calls.append((method, leader_id))
        if leader_id not in self.people:
            raise NotFound(f"leader {leader_id} not found")
        return self.people[leader_id]

    def _refuse(self) -> None:
        refusal, self.refusal = self.refusal, None
        if refusal is not None:
            raise refusal

    def record(self, leader_id: str) -> PersonRecord:
        p = self._person("record", leader_id)
        latest = {(c.purpose, c.target): c for c in p.consents}
        return PersonRecord(p.version, "active", p.profile, tuple(latest.values()))

    def terms(self, leader_id: str, kind: str) -> list[Term]:
        self.calls.append(("terms", leader_id))
        return TERMS[kind]

    def update(self, leader_id: str, expected_version: int, profile: Profile, fields: Sequence[str]) -> bool:
        p = self._person("update", leader_id)
        self._refuse()
        unknown = [c for c in profile.skills if c not in {t.code for t in TERMS["skill"]}]
        if "skills" in fields and unknown:
            raise InvalidInput({"skills": f"unknown skill term(s): {unknown[0]!r}"})
        if expected_version != p.version:
            raise ChangedSinceOpened(f"leader {leader_id} is at version {p.version}, not {expected_version}")
        if (
            "lived_experience" in fields
            and profile.lived_experience
            and not self.record(leader_id).granted(Purpose.LIVED_EXPERIENCE_MATCHING)
        ):
            raise PreconditionFailed("lived_experience: the leader has not consented")
        email_pending = "email" in fields and profile.email.strip() != p.profile.email
        kept = {name: getattr(profile, name) for name in fields if name != "email"}
        p.profile, p.version = replace(p.profile, **kept), p.version + 1
        return email_pending

    def consents(self, leader_id: str) -> tuple[list[Consent], list[Consent]]:
        p = self._person("consents", leader_id)
        return list(self.record(leader_id).consents), list(p.consents)

    def record_consent(self, leader_id: str, purpose: str, target: str, grant: bool, wording_version: str) -> None:
        p = self._person("record_consent", leader_id)
        assert wording_version == CONSENT_WORDING_VERSION
        p.consents.append(Consent(purpose, target, grant, "leader", NOW + timedelta(minutes=len(p.consents))))
        p.version += 1

    def trusts(self, leader_id: str) -> list[TrustLink]:
        return self._person("trusts", leader_id).trusts

    def networks(self, leader_id: str) -> list[Network]:
        return self._person("networks", leader_id).networks

    def submit_equality(self, leader_id: str, answers: Mapping[str, str]) -> None:
        p = self._person("submit_equality", leader_id)
        self._refuse()
        p.equality = dict(answers)


def _ada() -> Person:
    profile = Profile(
        given_name="Ada",
        family_name="Lovelace",
        email="ada@example.org",
        postcode="LS1 4AP",
        skills=("chairing",),
        availability=Availability(8, ("mon",), ("remote",)),
        access_needs="Step-free access",
    )
    trusts = [TrustLink("RX1", "Leeds Teaching Hospitals", "active"), TrustLink("RX2", "York Hospital", "pending")]
    return Person(3, profile, trusts=trusts, networks=[Network("north-ics", "North ICS")])


Portal = tuple[FlaskClient, FakePersonRegistry, FakeSessions]


@pytest.fixture
def portal() -> Iterator[Portal]:
    store, sessions = FakeStore(), FakeSessions()
    store.accounts["acc-ada"] = Account("acc-ada", "ada@example.org", "$argon2id$x", True, ADA)
    store.accounts["acc-bea"] = Account("acc-bea", "bea@example.org", "$argon2id$x", True, BEA)
    store.accounts["acc-new"] = Account("acc-new", "new@example.org", "$argon2id$x", True, None)
    person = FakePersonRegistry({ADA: _ada(), BEA: Person(1, Profile(given_name="Bea", email="bea@example.org"))})
    channel = grpc.insecure_channel("127.0.0.1:9")  # never called: the pages use the fake
    app = make_app(
        store,  # type: ignore[arg-type]
        sessions,  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]
        RegistryClient(channel, "unused"),
        confirm_link_key="k" * 40,
        public_url="http://localhost",
        production=False,
        clock=lambda: NOW,
        person=person,
        resets=FakeResets(store),
        nhs_logins=FakeNhsLogins(store),
        trust_names=FakeTrustNames(),
    )
    yield app.test_client(), person, sessions
    channel.close()


def _sign_in(client: FlaskClient, sessions: FakeSessions, account_id: str = "acc-ada") -> str:
    session = sessions.start(NOW, account_id)
    client.set_cookie(COOKIE, session.session_id)
    return session.csrf_token


def _main(html: str) -> str:
    return html.split("<main", 1)[1].split("</main>", 1)[0]


def _profile_form(**changes: str | list[str]) -> dict[str, str | list[str]]:
    form: dict[str, str | list[str]] = {
        "expected_version": "3",
        "given_name": "Ada",
        "family_name": "King",
        "email": "ada@example.org",
        "phone": "",
        "postcode": "LS1 4AP",
        "skills": ["chairing", "writing"],
        "interests": ["panels"],
        "hours_per_month": "10",
        "days": ["tue", "thu"],
        "modes": ["in_person"],
        "access_needs": "Step-free access",
        "support_needs": "Papers a week ahead",
        "preferred_formats": ["large_print", "email"],
    }
    form.update(changes)
    return form


def test_every_page_sends_a_visitor_to_sign_in_and_an_unjoined_account_to_its_requests(portal: Portal) -> None:
    client, person, sessions = portal
    for path in ("/profile", "/profile/lived-experience", "/consent", "/equality"):
        answer = client.get(path)
        assert answer.status_code == 303 and answer.headers["Location"].endswith("/sign-in"), path
    _sign_in(client, sessions, "acc-new")
    for path in ("/profile", "/profile/lived-experience", "/consent", "/equality"):
        answer = client.get(path)
        assert answer.status_code == 303 and answer.headers["Location"].endswith("/requests"), path
    assert person.calls == []


def test_a_form_without_the_sessions_csrf_token_changes_nothing(portal: Portal) -> None:
    client, person, sessions = portal
    _sign_in(client, sessions)
    for path, form in (("/profile", _profile_form()), ("/consent", {"purpose": "contact_by_trust"})):
        assert client.post(path, data={**form, "csrf_token": "forged"}).status_code == 400
    assert person.calls == [] and person.people[ADA].version == 3


def test_the_profile_shows_the_persons_details_and_the_taxonomy_each_labelled(portal: Portal) -> None:
    client, person, sessions = portal
    _sign_in(client, sessions)
    page = client.get("/profile")
    html = _main(page.get_data(as_text=True))
    assert page.status_code == 200
    assert 'value="Lovelace"' in html and 'value="LS1 4AP"' in html and "Step-free access</textarea>" in html
    assert 'name="expected_version" value="3"' in html
    # every choice of the taxonomy with its label, the person's own checked
    assert re.search(r'id="skills" name="skills" type="checkbox" value="chairing" checked', html)
    assert re.search(r'name="skills" type="checkbox" value="writing">', html)
    assert "Chairing meetings" in html and "Interview panels" in html and "Large print" in html
    # every input has its label (by id), and lived experience is not on this page
    for input_id in re.findall(r'<(?:input|textarea)[^>]* id="([^"]+)"', html):
        assert f'for="{input_id}"' in html, input_id
    assert 'name="lived_experience"' not in html
    assert {leader for _, leader in person.calls} == {ADA}


def test_saving_the_profile_changes_the_session_persons_fields_whatever_ids_the_form_carries(
    portal: Portal,
) -> None:
    client, person, sessions = portal
    csrf = _sign_in(client, sessions)
    answer = client.post("/profile", data={**_profile_form(leader_id=BEA, account_id="acc-bea"), "csrf_token": csrf})
    assert answer.status_code == 200 and "Your changes are saved" in answer.get_data(as_text=True)
    ada = person.people[ADA].profile
    assert ada.family_name == "King" and ada.skills == ("chairing", "writing") and ada.interests == ("panels",)
    assert ada.availability == Availability(10, ("tue", "thu"), ("in_person",))
    assert ada.support_needs == "Papers a week ahead" and ada.preferred_formats == ("large_print", "email")
    assert person.people[BEA].profile.given_name == "Bea" and person.people[BEA].version == 1
    assert {leader for _, leader in person.calls} == {ADA}


def test_a_new_email_address_waits_for_its_link_and_the_page_says_so(portal: Portal) -> None:
    client, person, sessions = portal
    csrf = _sign_in(client, sessions)
    answer = client.post("/profile", data={**_profile_form(email="ada@new.example"), "csrf_token": csrf})
    text = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "We have sent a link to ada@new.example" in text
    assert person.people[ADA].profile.email == "ada@example.org"


def test_the_registrys_refusal_is_shown_on_the_fields_it_names_with_an_error_summary(portal: Portal) -> None:
    client, person, sessions = portal
    csrf = _sign_in(client, sessions)
    person.refusal = InvalidInput(
        {"postcode": "must be a UK postcode", "availability.days": "each must be one of mon, tue"}
    )
    answer = client.post("/profile", data={**_profile_form(postcode="NOT A CODE"), "csrf_token": csrf})
    html = _main(answer.get_data(as_text=True))
    assert answer.status_code == 400
    assert '<a href="#postcode">Postcode must be a UK postcode</a>' in html
    assert '<a href="#days">Days each must be one of mon, tue</a>' in html
    assert 'id="postcode-error"' in html and 'id="days-error"' in html
    assert 'value="NOT A CODE"' in html  # what the person typed is kept
    assert person.people[ADA].version == 3


def test_hours_that_are_not_a_whole_number_are_named_without_asking_the_registry(portal: Portal) -> None:
    client, person, sessions = portal
    csrf = _sign_in(client, sessions)
    for hours in ("ten", "²", "١٢"):  # digits to str.isdigit, not to int() or to a person typing hours
        answer = client.post("/profile", data={**_profile_form(hours_per_month=hours), "csrf_token": csrf})
        html = _main(answer.get_data(as_text=True))
        assert answer.status_code == 400 and '<a href="#hours_per_month">Hours a month must be a whole number' in html
    assert ("update", ADA) not in person.calls


def test_a_version_that_is_not_ascii_digits_is_a_stale_form_not_a_server_error(portal: Portal) -> None:
    client, person, sessions = portal
    csrf = _sign_in(client, sessions)
    answer = client.post("/profile", data={**_profile_form(expected_version="³"), "csrf_token": csrf})
    assert answer.status_code == 409 and person.people[ADA].profile.family_name == "Lovelace"


def test_a_stale_version_answers_that_it_changed_since_it_was_opened_and_saves_nothing(portal: Portal) -> None:
    client, person, sessions = portal
    csrf = _sign_in(client, sessions)
    person.people[ADA].version = 4  # changed in another window
    answer = client.post("/profile", data={**_profile_form(family_name="Byron"), "csrf_token": csrf})
    assert answer.status_code == 409 and "This changed since you opened it" in answer.get_data(as_text=True)
    assert person.people[ADA].profile.family_name == "Lovelace"
    forged = client.post("/profile", data={**_profile_form(expected_version="-1"), "csrf_token": csrf})
    assert forged.status_code == 409 and person.people[ADA].profile.family_name == "Lovelace"


def test_lived_experience_is_neither_shown_nor_taken_without_its_consent(portal: Portal) -> None:
    client, person, sessions = portal
    csrf = _sign_in(client, sessions)
    page = _main(client.get("/profile/lived-experience").get_data(as_text=True))
    assert "What it is used for" in page and 'name="lived_experience"' not in page
    answer = client.post(
        "/profile/lived-experience", data={"lived_experience": "diabetes", "expected_version": "3", "csrf_token": csrf}
    )
    assert answer.status_code == 409 and ("update", ADA) not in person.calls

    person.people[ADA].consents.append(Consent("lived_experience_matching", "", True, "leader", NOW))
    page = _main(client.get("/profile/lived-experience").get_data(as_text=True))
    assert 'id="lived_experience" name="lived_experience" type="checkbox" value="diabetes"' in page
    answer = client.post(
        "/profile/lived-experience",
        data={"lived_experience": ["diabetes", "carer"], "expected_version": "3", "csrf_token": csrf},
    )
    assert answer.status_code == 200
    ada = person.people[ADA].profile
    assert ada.lived_experience == ("diabetes", "carer") and ada.family_name == "Lovelace"


def test_the_consent_page_words_each_purpose_per_trust_and_network_and_records_the_choice(portal: Portal) -> None:
    client, person, sessions = portal
    csrf = _sign_in(client, sessions)
    html = _main(client.get("/consent").get_data(as_text=True))
    for title in (
        "Let Leeds Teaching Hospitals contact you",
        "Let York Hospital contact you",
        "Share your checks and training record with Leeds Teaching Hospitals",
        "Use your lived experience to match you with roles",
        "Let the trusts of North ICS find you",
    ):
        assert title in html, title
    assert "You have not made any choice yet" in html
    answer = client.post(
        "/consent", data={"purpose": "contact_by_trust", "target": "RX1", "decision": "grant", "csrf_token": csrf}
    )
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/consent?recorded=1")
    assert person.people[ADA].consents[-1] == Consent("contact_by_trust", "RX1", True, "leader", NOW)
    client.post(
        "/consent", data={"purpose": "contact_by_trust", "target": "RX1", "decision": "withdraw", "csrf_token": csrf}
    )
    html = _main(client.get("/consent?recorded=1").get_data(as_text=True))
    assert "Your choice is recorded" in html
    history = html.split("Your history", 1)[1]
    assert history.index("Withdrew") < history.index("Agreed")  # newest first


@pytest.mark.parametrize(
    ("form", "named"),
    [
        ({"purpose": "contact_by_trust", "target": "RZZ", "decision": "grant"}, "target"),  # a trust not theirs
        ({"purpose": "share_profile_with_network", "target": "south-ics", "decision": "grant"}, "target"),
        ({"purpose": "sell_my_data", "target": "", "decision": "grant"}, "purpose"),
        ({"purpose": "contact_by_trust", "target": "RX1", "decision": "maybe"}, "Decision"),
    ],
)
def test_a_consent_the_page_did_not_offer_is_refused_naming_the_field_and_records_nothing(
    portal: Portal,
    form: dict[str, str],
    named: str,
) -> None:
    client, person, sessions = portal
    csrf = _sign_in(client, sessions)
    answer = client.post("/consent", data={**form, "csrf_token": csrf})
    html = _main(answer.get_data(as_text=True))
    [summary] = re.findall(r'<a href="#consent-choices">([^<]+)</a>', html)
    assert answer.status_code == 400 and named in summary, summary
    assert 'id="consent-choices"' in html
    assert person.people[ADA].consents == []


def test_the_equality_questions_say_why_offer_prefer_not_to_say_and_send_only_what_is_answered(portal: Portal) -> None:
    client, person, sessions = portal
    csrf = _sign_in(client, sessions)
    html = _main(client.get("/equality").get_data(as_text=True))
    assert "Why we ask" in html and "No one who decides about you sees your answers" in html
    assert html.count('value="prefer_not_to_say"') == 8
    empty = client.post("/equality", data={"csrf_token": csrf})
    assert "You answered no questions" in empty.get_data(as_text=True) and person.people[ADA].equality is None
    sent = client.post("/equality", data={"age_band": "35_44", "carer": "prefer_not_to_say", "csrf_token": csrf})
    assert sent.status_code == 200 and person.people[ADA].equality == {
        "age_band": "35_44",
        "carer": "prefer_not_to_say",
    }
    person.refusal = InvalidInput({"religion": "must be one of none, christian"})
    refused = client.post("/equality", data={"religion": "jedi", "csrf_token": csrf})
    html = _main(refused.get_data(as_text=True))
    assert refused.status_code == 400 and '<a href="#religion">What is your religion?' in html
    assert 'id="religion-error"' in html and person.people[ADA].equality == {
        "age_band": "35_44",
        "carer": "prefer_not_to_say",
    }


def test_a_record_the_registry_no_longer_shows_the_person_answers_a_page_not_a_server_error(portal: Portal) -> None:
    client, person, sessions = portal
    csrf = _sign_in(client, sessions)
    del person.people[ADA]  # erased, as the registry would answer: NOT_FOUND
    for path in ("/profile", "/profile/lived-experience", "/consent", "/equality"):
        answer = client.get(path)
        assert answer.status_code in (200, 404), path
    answer = client.post("/profile", data={**_profile_form(), "csrf_token": csrf})
    assert answer.status_code == 404 and "Your record was not found" in answer.get_data(as_text=True)


def test_the_registrys_invalid_argument_details_are_read_field_by_field() -> None:
    details = "availability.days: each must be one of mon, tue; postcode: must be a UK postcode"
    assert registry_problems(details) == {
        "availability.days": "each must be one of mon, tue",
        "postcode": "must be a UK postcode",
    }
    assert registry_problems("skills: unknown skill term(s): 'x; y'") == {"skills": "unknown skill term(s): 'x; y'"}


def test_consent_offers_keep_a_decided_target_the_person_no_longer_has_so_they_can_withdraw_it() -> None:
    current = [Consent("contact_by_trust", "RX9", True, "leader", NOW)]
    offers = consent_offers([TrustLink("RX1", "Leeds", "active")], [], current)
    contact = [(o.target, o.granted) for o in offers if o.purpose is Purpose.CONTACT_BY_TRUST]
    assert contact == [("RX1", False), ("RX9", True)]
    assert [o.target for o in offers if o.purpose is Purpose.SHARE_PROFILE_WITH_NETWORK] == []
    assert [o.target for o in offers if o.purpose is Purpose.LIVED_EXPERIENCE_MATCHING] == [""]


def test_the_portals_words_cover_exactly_the_registrys_codes() -> None:
    """The portal words the registry's codes for people; the registry alone decides what is valid. This
    fails when either side adds or drops one."""
    from services.portal.domain import profile as words
    from services.registry.domain import authority, consent, equality
    from services.registry.domain import profile as registry_profile

    assert [c for c, _ in words.DAYS] == list(registry_profile.DAYS)
    assert [c for c, _ in words.MODES] == list(registry_profile.MODES)
    assert [c for c, _ in words.FORMATS] == list(registry_profile.FORMATS)
    assert {p.value for p in words.Purpose} == {p.value for p in consent.Purpose}
    assert {
        q: tuple(c for c, _ in options) for q, (_, options) in words.EQUALITY_QUESTIONS.items()
    } == equality.QUESTIONS
    assert words.PREFER_NOT[0] == equality.PREFER_NOT
    for purpose, said in words.PURPOSES.items():
        pattern, _ = consent.TARGET_RULES[consent.Purpose(purpose.value)]
        assert (said.target is words.TargetKind.NONE) == (pattern is None), purpose
        per_network = said.target is words.TargetKind.NETWORK
        assert per_network == (consent.Purpose(purpose.value) is consent.Purpose.SHARE_PROFILE_WITH_NETWORK)
        # a purpose the person alone decides is never worded as one trust's
        if consent.Purpose(purpose.value) in authority.PERSON_CONSENTS:
            assert said.target is not words.TargetKind.TRUST, purpose
    assert set(words.PROFILE_PAGE_FIELDS) <= set(registry_profile.LeaderProfile.field_names())
