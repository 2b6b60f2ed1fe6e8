"""The person's own pages against a real registry api (in-process, on this run's PostgreSQL) and the
portal's own database: each page reads and writes the registry as the signed-in person; one person's
session never reaches another's data, whatever ids the URL or the form carry; bad input answers a page
naming the field (never a 500); a change made meanwhile answers "this changed since you opened it"."""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import grpc
import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from plr.registry.v1 import leaders_pb2 as lpb
from plr.registry.v1 import leaders_pb2_grpc, networks_pb2, networks_pb2_grpc, registry_pb2, registry_pb2_grpc

from services.common.grpc_client import bearer, open_channel
from services.portal.adapters.passwords import Argon2Hasher
from services.portal.adapters.registry import RegistryClient
from services.portal.adapters.store import SqlAccountStore, SqlSessions
from services.portal.entrypoints.web import make_app
from services.portal.service_layer.ports import PortalMailer
from services.registry.entrypoints.api import build_server
from tests.support.infra import PlrStack

pytestmark = pytest.mark.integration

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PASSWORD = "lantern crimea seacole 1854"
HASH = Argon2Hasher().hash(PASSWORD)


class UnusedMailer(PortalMailer):
    """These tests make no account through the form: nothing is mailed."""

    def send_verification(self, to: str, url: str) -> None:
        raise AssertionError(f"nothing should be mailed here ({to})")

    def send_password_reset(self, to: str, url: str) -> None:
        raise AssertionError(f"nothing should be mailed here ({to})")


@dataclass
class Registry:
    channel: grpc.Channel
    admin: tuple[tuple[str, str], ...]
    portal_token: str

    @property
    def leaders(self) -> leaders_pb2_grpc.LeaderServiceStub:
        return leaders_pb2_grpc.LeaderServiceStub(self.channel)

    def as_person(self, leader_id: str) -> tuple[tuple[str, str], ...]:
        return (*bearer(self.portal_token), ("x-plr-leader", leader_id))

    def onboard(self, ods: str) -> str:
        made = registry_pb2_grpc.RegistryServiceStub(self.channel).CreateTrust(
            registry_pb2.CreateTrustRequest(ods=ods, name=f"{ods} Community NHS Trust"), metadata=self.admin, timeout=10
        )
        return made.initial_key.key

    def person(self, leader_id: str) -> lpb.Leader:
        request = lpb.GetLeaderRequest(leader_id=leader_id)
        return self.leaders.GetLeader(request, metadata=self.as_person(leader_id), timeout=10)

    def seen_by(self, trust_key: str, leader_id: str) -> lpb.Leader:
        request = lpb.GetLeaderRequest(leader_id=leader_id)
        return self.leaders.GetLeader(request, metadata=bearer(trust_key), timeout=10)

    def consents(self, leader_id: str) -> lpb.ListConsentsResponse:
        request = lpb.ListConsentsRequest(leader_id=leader_id)
        return self.leaders.ListConsents(request, metadata=self.as_person(leader_id), timeout=10)

    def changes(self, leader_id: str) -> list[lpb.ChangeEntry]:
        request = lpb.ListChangesRequest(leader_id=leader_id, page_size=500)
        return list(self.leaders.ListChanges(request, metadata=self.as_person(leader_id), timeout=10).entries)


@dataclass
class World:
    registry: Registry
    app: Flask
    store: SqlAccountStore
    keys: dict[str, str]  # trust ODS -> its key
    skills: list[str]  # global skill codes
    lived: list[str]  # global lived-experience codes


@pytest.fixture(scope="module")
def world(stack: PlrStack) -> Iterator[World]:
    server = build_server(stack.settings, "127.0.0.1:0")
    server.start()
    target = f"127.0.0.1:{server.port}"
    channel = open_channel(target, stack.settings.grpc_tls)
    portal_channel = open_channel(target, stack.settings.grpc_tls)
    engine = stack.engine("portal")
    registry = Registry(channel, bearer(stack.env["PLR_ADMIN_TOKEN"]), stack.env["PLR_REGISTRY_PORTAL_TOKEN"])
    store = SqlAccountStore(engine)
    app = make_app(
        store,
        SqlSessions(engine),
        UnusedMailer(),
        RegistryClient(portal_channel, stack.env["PLR_REGISTRY_PORTAL_TOKEN"]),
        confirm_link_key=stack.env["PLR_REGISTRY_CONFIRM_LINK_KEY"],
        public_url="http://localhost",
        production=False,
    )
    suffix = secrets.token_hex(1).upper()
    keys = {ods: registry.onboard(ods) for ods in (f"PA{suffix}", f"PB{suffix}", f"PC{suffix}")}
    terms = registry.leaders.ListTerms(lpb.ListTermsRequest(), metadata=bearer(next(iter(keys.values()))), timeout=10)
    skills = [t.code for t in terms.terms if t.kind == "skill" and not t.trust_ods]
    lived = [t.code for t in terms.terms if t.kind == "lived_experience" and not t.trust_ods]
    assert len(skills) >= 2 and len(lived) >= 2
    yield World(registry, app, store, keys, skills, lived)
    channel.close()
    portal_channel.close()
    server.stop(grace_s=1)
    engine.dispose()


@dataclass
class Signed:
    client: FlaskClient
    leader_id: str
    email: str

    def get(self, path: str) -> tuple[int, str]:
        answer = self.client.get(path)
        return answer.status_code, answer.get_data(as_text=True)

    def post(self, path: str, form: Mapping[str, str | list[str]], page: str | None = None) -> tuple[int, str]:
        """The form posted with the CSRF token of ``page`` (by default, of a fresh GET of ``path``)."""
        [token] = CSRF.findall(page if page is not None else self.get(path)[1])[:1]
        answer = self.client.post(path, data={**form, "csrf_token": token})
        location = answer.headers.get("Location", "")
        return answer.status_code, location or answer.get_data(as_text=True)


def _person(world: World, *trusts: str, given: str = "Mary") -> Signed:
    """A person registered by each of ``trusts`` and confirming each, with a portal account joined to
    them, signed in through the sign-in form."""
    email = f"profile-{uuid.uuid4().hex[:10]}@example.org"
    leader_id = ""
    for ods in trusts:
        profile = lpb.LeaderProfile(given_name=given, family_name="Seacole", email=email, postcode="LS1 4AP")
        asked = world.registry.leaders.RegisterLeader(
            lpb.RegisterLeaderRequest(profile=profile), metadata=bearer(world.keys[ods]), timeout=10
        ).affiliation
        leader_id = asked.leader_id
        world.registry.leaders.ConfirmAffiliation(
            lpb.ConfirmAffiliationRequest(affiliation_id=asked.affiliation_id),
            metadata=world.registry.as_person(leader_id),
            timeout=10,
        )
    account_id, now = str(uuid.uuid4()), datetime.now(UTC)
    assert world.store.add(account_id, email, HASH, now)
    world.store.mark_verified(account_id, now)
    assert world.store.link_leader(account_id, leader_id)
    signed = Signed(world.app.test_client(), leader_id, email)
    status, where = signed.post("/sign-in", {"email": email, "password": PASSWORD}, signed.get("/sign-in")[1])
    assert status == 303 and where.endswith("/requests"), where
    return signed


def _main(html: str) -> str:
    return html.split("<main", 1)[1].split("</main>", 1)[0]


def _summary(html: str) -> dict[str, str]:
    """The error summary's links: the field each names -> its message."""
    return dict(re.findall(r'<li><a href="#([^"]+)">([^<]+)</a></li>', html))


def _version(html: str) -> str:
    [version] = re.findall(r'name="expected_version" value="(\d+)"', html)
    return version


def _profile_form(page: str, **changes: str | list[str]) -> dict[str, str | list[str]]:
    form: dict[str, str | list[str]] = {
        "expected_version": _version(page),
        "given_name": "Mary",
        "family_name": "Seacole",
        "email": re.findall(r'id="email" name="email" type="email" autocomplete="email" value="([^"]*)"', page)[0],
        "postcode": "LS1 4AP",
        "hours_per_month": "12",
        "days": ["mon", "wed"],
        "modes": ["remote"],
        "access_needs": "Step-free access",
        "support_needs": "Papers a week ahead",
        "preferred_formats": ["large_print"],
    }
    form.update(changes)
    return form


def test_the_profile_page_reads_and_writes_the_persons_record_in_the_registry(world: World) -> None:
    trust = next(iter(world.keys))
    mary = _person(world, trust)
    status, page = mary.get("/profile")
    assert status == 200 and 'value="Seacole"' in page and 'value="LS1 4AP"' in page
    assert f'value="{world.skills[0]}"' in page  # the registry's taxonomy, as choices
    form = _profile_form(page, family_name="Seacole-Grant", skills=world.skills[:2], phone="0113 496 0000")
    status, saved = mary.post("/profile", form, page)
    assert status == 200 and "Your changes are saved" in saved, _main(saved)
    held = world.registry.person(mary.leader_id).profile
    assert held.family_name == "Seacole-Grant" and list(held.skills) == world.skills[:2]
    assert held.availability.hours_per_month == 12 and list(held.availability.days) == ["mon", "wed"]
    assert held.support_needs == "Papers a week ahead" and list(held.preferred_formats) == ["large_print"]
    # the trust that holds the person sees the person's own change (the registry's view, not a copy)
    seen = world.registry.seen_by(world.keys[trust], mary.leader_id)
    assert seen.profile.family_name == "Seacole-Grant" and list(seen.profile.skills) == world.skills[:2]
    # the registry recorded the person themselves as having written it
    updates = [c for c in world.registry.changes(mary.leader_id) if c.method == "UpdateLeader"]
    assert updates and {c.principal for c in updates} == {f"leader:{mary.leader_id}"}


def test_a_new_email_address_waits_for_the_link_the_registry_sends_to_it(world: World) -> None:
    mary = _person(world, next(iter(world.keys)))
    _, page = mary.get("/profile")
    new = f"new-{uuid.uuid4().hex[:8]}@example.org"
    status, saved = mary.post("/profile", _profile_form(page, email=new), page)
    assert status == 200 and f"We have sent a link to {new}" in saved
    assert world.registry.person(mary.leader_id).profile.email == mary.email  # until the link is opened


def test_a_change_made_since_the_page_was_opened_is_not_overwritten(world: World) -> None:
    mary = _person(world, next(iter(world.keys)))
    _, page = mary.get("/profile")
    current = world.registry.person(mary.leader_id)
    meanwhile = lpb.UpdateLeaderRequest(
        leader_id=mary.leader_id,
        expected_version=current.version,
        profile=lpb.LeaderProfile(access_needs="A hearing loop"),
        fields=["access_needs"],
    )
    world.registry.leaders.UpdateLeader(meanwhile, metadata=world.registry.as_person(mary.leader_id), timeout=10)
    status, answer = mary.post("/profile", _profile_form(page, family_name="Overwritten"), page)
    assert status == 409 and "This changed since you opened it" in answer
    held = world.registry.person(mary.leader_id).profile
    assert held.access_needs == "A hearing loop" and held.family_name == "Seacole"


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"postcode": "NOT A CODE"}, {"postcode": "Postcode must be a UK postcode"}),
        ({"phone": "call me"}, {"phone": "Phone number must be 7 to 20 digits"}),
        ({"given_name": "", "email": "nobody"}, {"given_name": "First name is required", "email": "Email address"}),
        ({"hours_per_month": "500"}, {"hours_per_month": "Hours a month must be 0 to 200"}),
        ({"hours_per_month": "lots"}, {"hours_per_month": "Hours a month must be a whole number"}),
        ({"skills": ["no-such-skill"]}, {"skills": "Skills unknown skill term"}),
        ({"days": ["someday"], "modes": ["telepathy"]}, {"days": "Days each must be one of", "modes": "How you"}),
        ({"preferred_formats": ["smoke-signals"]}, {"preferred_formats": "Preferred formats each must be"}),
        ({"access_needs": "x" * 2001}, {"access_needs": "Access needs must be at most 2000 characters"}),
    ],
)
def test_bad_input_answers_the_form_naming_each_field_and_changes_nothing(
    world: World, changes: dict[str, str | list[str]], named: dict[str, str]
) -> None:
    mary = _person(world, next(iter(world.keys)))
    _, page = mary.get("/profile")
    before = world.registry.person(mary.leader_id)
    status, answer = mary.post("/profile", _profile_form(page, **changes), page)
    summary = _summary(_main(answer))
    assert status == 400, _main(answer)
    assert set(summary) == set(named), summary
    for field, starts in named.items():
        assert summary[field].startswith(starts), summary
        assert f'id="{field}-error"' in answer  # the message beside the field too
    after = world.registry.person(mary.leader_id)
    assert after.version == before.version and after.profile == before.profile


@hypothesis_settings(max_examples=15, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    field=st.sampled_from(["given_name", "family_name", "email", "phone", "postcode", "hours_per_month", "skills"]),
    value=st.text(max_size=300),
)
def test_any_text_in_any_profile_field_answers_a_page_never_a_server_error(
    world: World, field: str, value: str
) -> None:
    mary = _fuzzed(world)
    _, page = mary.get("/profile")
    status, answer = mary.post("/profile", _profile_form(page, **{field: value}), page)
    assert status in (200, 400, 409), _main(answer)
    if status == 400:
        assert set(_summary(_main(answer))) <= {field, "given_name"}, _summary(_main(answer))


@hypothesis_settings(max_examples=15, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    purpose=st.sampled_from(["contact_by_trust", "lived_experience_matching", "share_profile_with_network"])
    | st.text(max_size=40),
    target=st.text(max_size=40),
    decision=st.sampled_from(["grant", "withdraw"]) | st.text(max_size=10),
    question=st.sampled_from(["age_band", "sex", "religion", "carer"]),
    answer=st.text(max_size=60),
)
def test_any_consent_or_equality_answer_answers_a_page_never_a_server_error(
    world: World, purpose: str, target: str, decision: str, question: str, answer: str
) -> None:
    mary = _fuzzed(world)
    status, page = mary.post("/consent", {"purpose": purpose, "target": target, "decision": decision})
    assert status in (303, 400), _main(page)
    status, page = mary.post("/equality", {question: answer}, mary.get("/equality")[1])
    assert status in (200, 400), _main(page)
    if status == 400:
        assert set(_summary(_main(page))) == {question}


_FUZZED: list[Signed] = []


def _fuzzed(world: World) -> Signed:
    if not _FUZZED:
        _FUZZED.append(_person(world, next(iter(world.keys))))
    return _FUZZED[0]


def test_lived_experience_follows_its_consent_granted_and_withdrawn_on_the_consent_page(world: World) -> None:
    trust = next(iter(world.keys))
    mary = _person(world, trust)
    status, page = mary.get("/profile/lived-experience")
    assert status == 200 and "What it is used for" in page and 'name="lived_experience"' not in page
    refused, _ = mary.post(
        "/profile/lived-experience",
        {"lived_experience": world.lived[0], "expected_version": str(world.registry.person(mary.leader_id).version)},
        mary.get("/profile")[1],  # the page without the consent has no form: a forged post, with a valid token
    )
    assert refused == 409 and not world.registry.person(mary.leader_id).profile.lived_experience

    grant = {"purpose": "lived_experience_matching", "target": "", "decision": "grant"}
    status, where = mary.post("/consent", grant)
    assert status == 303 and where.endswith("/consent?recorded=1")
    [state] = [c for c in world.registry.consents(mary.leader_id).current if c.purpose == "lived_experience_matching"]
    assert state.granted and state.recorded_by_kind == "leader" and state.wording_version == "portal-2026-12"

    _, page = mary.get("/profile/lived-experience")
    assert f'value="{world.lived[0]}"' in page
    status, _ = mary.post(
        "/profile/lived-experience", {"lived_experience": world.lived[:2], "expected_version": _version(page)}, page
    )
    assert status == 200
    assert list(world.registry.person(mary.leader_id).profile.lived_experience) == world.lived[:2]
    assert list(world.registry.seen_by(world.keys[trust], mary.leader_id).profile.lived_experience) == world.lived[:2]
    _, page = mary.get("/profile")  # the profile page saves its own fields, never lived experience
    assert mary.post("/profile", _profile_form(page, family_name="Kept"), page)[0] == 200
    assert list(world.registry.person(mary.leader_id).profile.lived_experience) == world.lived[:2]

    status, _ = mary.post("/consent", {**grant, "decision": "withdraw"})
    assert status == 303
    assert not world.registry.person(mary.leader_id).profile.lived_experience  # deleted with its consent
    _, page = mary.get("/profile/lived-experience")
    assert 'name="lived_experience"' not in page


def test_consent_is_per_trust_where_the_purpose_is_and_its_history_is_the_registrys(world: World) -> None:
    first, second, _ = world.keys
    admin_networks = networks_pb2_grpc.NetworkServiceStub(world.registry.channel)
    network_id = f"net-{uuid.uuid4().hex[:8]}"
    admin_networks.CreateNetwork(
        networks_pb2.CreateNetworkRequest(network_id=network_id, name="West Yorkshire ICS"),
        metadata=world.registry.admin,
        timeout=10,
    )
    admin_networks.AddTrustToNetwork(
        networks_pb2.NetworkTrustRequest(network_id=network_id, ods=first), metadata=world.registry.admin, timeout=10
    )
    mary = _person(world, first, second)  # two trusts hold the same person
    status, page = mary.get("/consent")
    main = _main(page)
    assert status == 200
    for title in (
        f"Let {first} Community NHS Trust contact you",
        f"Let {second} Community NHS Trust contact you",
        f"Share your checks and training record with {second} Community NHS Trust",
        "Use your lived experience to match you with roles",
        "Let the trusts of West Yorkshire ICS find you",
    ):
        assert title in main, title

    status, _ = mary.post("/consent", {"purpose": "contact_by_trust", "target": first, "decision": "grant"}, page)
    assert status == 303
    assert world.registry.seen_by(world.keys[first], mary.leader_id).profile.email == mary.email
    assert world.registry.seen_by(world.keys[second], mary.leader_id).profile.email == ""  # its own consent
    share = {"purpose": "share_profile_with_network", "target": network_id, "decision": "grant"}
    assert mary.post("/consent", share)[0] == 303
    assert mary.post("/consent", {"purpose": "contact_by_trust", "target": first, "decision": "withdraw"})[0] == 303
    assert world.registry.seen_by(world.keys[first], mary.leader_id).profile.email == ""

    history = world.registry.consents(mary.leader_id).history
    assert [(c.purpose, c.target, c.granted) for c in history] == [
        ("contact_by_trust", first, True),
        ("share_profile_with_network", network_id, True),
        ("contact_by_trust", first, False),
    ]
    _, page = mary.get("/consent")
    rows = _main(page).split("Your history", 1)[1]
    assert rows.count('<tr class="nhsuk-table__row">') == 3
    assert rows.index("Withdrew") < rows.index("Agreed")  # newest first


def test_the_equality_answers_reach_the_registry_and_a_forged_answer_is_named(world: World) -> None:
    mary = _person(world, next(iter(world.keys)))
    status, page = mary.get("/equality")
    assert status == 200 and "No one who decides about you sees your answers" in page
    status, answer = mary.post("/equality", {"age_band": "45_54", "religion": "prefer_not_to_say"}, page)
    assert status == 200 and "your answers are sent" in answer
    written = [c for c in world.registry.changes(mary.leader_id) if "equality_monitoring" in c.fields]
    assert len(written) == 1 and written[0].principal == f"leader:{mary.leader_id}"

    status, answer = mary.post("/equality", {"religion": "jedi", "carer": "sometimes"}, page)
    summary = _summary(_main(answer))
    assert status == 400 and set(summary) == {"religion", "carer"}, summary
    assert summary["religion"].startswith("What is your religion?")
    assert len([c for c in world.registry.changes(mary.leader_id) if "equality_monitoring" in c.fields]) == 1


def test_one_persons_session_never_reaches_anothers_data_whatever_ids_it_sends(world: World) -> None:
    first, _, only_bea = world.keys
    mary = _person(world, first)
    bea = _person(world, only_bea, given="Beatrice")
    bea_before = world.registry.person(bea.leader_id)

    # ids in the URL: no page takes one; adding them changes nothing of whom the page is about
    for path in (f"/profile?leader_id={bea.leader_id}", f"/consent?leader_id={bea.leader_id}"):
        status, page = mary.get(path)
        assert status == 200 and "Beatrice" not in page and only_bea not in page, path
    assert mary.get(f"/profile/{bea.leader_id}")[0] == 404

    # ids in the form: Mary's session saves Mary, whatever leader id and version the form names
    _, page = mary.get("/profile")
    form = _profile_form(page, family_name="Mine", leader_id=bea.leader_id, account_id=bea.leader_id)
    assert mary.post("/profile", form, page)[0] == 200
    assert world.registry.person(mary.leader_id).profile.family_name == "Mine"

    # a consent for a trust that holds only Bea is not offered to Mary, and is refused naming it
    status, answer = mary.post("/consent", {"purpose": "contact_by_trust", "target": only_bea, "decision": "grant"})
    assert status == 400 and "target" in _summary(_main(answer)).get("consent-choices", "")
    assert not [c for c in world.registry.consents(mary.leader_id).current if c.target == only_bea]
    forged = {"purpose": "lived_experience_matching", "target": "", "decision": "grant", "leader_id": bea.leader_id}
    assert mary.post("/consent", forged)[0] == 303

    # Bea is exactly as she was: her record, her consents, no write by anyone else
    bea_after = world.registry.person(bea.leader_id)
    assert bea_after.version == bea_before.version and bea_after.profile == bea_before.profile
    assert not world.registry.consents(bea.leader_id).history
    assert {c.principal for c in world.registry.changes(bea.leader_id)} <= {only_bea, f"leader:{bea.leader_id}"}
    assert not [c for c in world.registry.changes(bea.leader_id) if c.method in ("UpdateLeader", "RecordConsent")]
