"""The person's own pages against a real registry api (in-process, on this run's PostgreSQL) and the
portal's own database: each journey as the signed-in person (pause with a return date, resume,
withdraw after checking, download, the access and change history, the trusts' invitations, an
invitation's emailed link, deleting the account), what the trusts then see, one person's session never
reaching another's data by changing ids in URLs or form fields, and bad input answering a page that
names the field (never a 500)."""

from __future__ import annotations

import json
import re
import secrets
import string
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote

import grpc
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from plr.registry.v1 import leaders_pb2 as lpb
from plr.registry.v1 import leaders_pb2_grpc, networks_pb2_grpc, registry_pb2_grpc
from plr.registry.v1 import networks_pb2 as npb
from plr.registry.v1 import registry_pb2 as rpb
from werkzeug.test import TestResponse

from services.common import signed_links
from services.common.db import process_engine, scoped_transaction
from services.common.events import CONTRACTS_DIR, SchemaRegistry
from services.common.grpc_client import bearer, open_channel
from services.common.inbox import InboxConsumer
from services.common.mail import OutgoingMail
from services.common.platform_tables import outbox
from services.common.settings import own_settings
from services.common.tenancy import TenantScope
from services.portal.adapters.registry import RegistryClient
from services.portal.adapters.store import SqlAccountStore, SqlSessions
from services.portal.domain.person_data import RETENTION_WORDS
from services.portal.entrypoints.web import make_app
from services.portal.service_layer.ports import PortalMailer
from services.registry.entrypoints.api import build_server
from services.registry.entrypoints.worker import notification_handlers, portal_confirm_link
from tests.support.infra import PlrStack

pytestmark = pytest.mark.integration

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PASSWORD = "seacole crimea lantern 1854"


class Verifications(PortalMailer):
    """The portal's verification emails, kept for the test to follow."""

    def __init__(self) -> None:
        self.urls: dict[str, str] = {}

    def send_verification(self, to: str, url: str) -> None:
        self.urls[to] = url

    def send_password_reset(self, to: str, url: str) -> None:
        self.urls[to] = url


@dataclass
class Registry:
    leaders: leaders_pb2_grpc.LeaderServiceStub
    invitations: networks_pb2_grpc.InvitationServiceStub
    trusts: registry_pb2_grpc.RegistryServiceStub
    admin: tuple[tuple[str, str], ...]
    portal_token: str

    def as_person(self, leader_id: str) -> tuple[tuple[str, str], ...]:
        return (*bearer(self.portal_token), ("x-plr-leader", leader_id))

    def onboard(self) -> tuple[str, str]:
        """A trust of its own for the test (the database is shared by the run): (ODS code, its key)."""
        ods = "P" + "".join(secrets.choice(string.ascii_uppercase) for _ in range(4))
        made = self.trusts.CreateTrust(
            rpb.CreateTrustRequest(ods=ods, name=f"{ods.title()} Hospitals NHS Trust"), metadata=self.admin, timeout=10
        )
        assert made.created, ods
        return ods, made.initial_key.key

    def seen_by(self, key: str, leader_id: str) -> lpb.Leader:
        return self.leaders.GetLeader(lpb.GetLeaderRequest(leader_id=leader_id), metadata=bearer(key), timeout=10)

    def invite(self, key: str, email: str) -> npb.Invitation:
        return self.invitations.InviteLeader(npb.InviteLeaderRequest(email=email), metadata=bearer(key), timeout=10)

    def trusts_view(self, key: str, invitation_id: str) -> npb.Invitation:
        listed = self.invitations.ListInvitations(
            npb.ListInvitationsRequest(page_size=500), metadata=bearer(key), timeout=10
        )
        [found] = [i for i in listed.invitations if i.invitation_id == invitation_id]
        return found


@dataclass
class Person:
    browser: FlaskClient
    email: str
    leader_id: str
    affiliation_id: str

    def page(self, path: str, **query: str) -> TestResponse:
        return self.browser.get(path, query_string=query)

    def post(self, path: str, form_page: str = "/requests", **fields: str) -> TestResponse:
        """Posts as a browser does: with the CSRF token of a page of the person's session."""
        [token] = CSRF.findall(self.browser.get(form_page).get_data(as_text=True))[:1]
        return self.browser.post(path, data={"csrf_token": token, **fields})


@pytest.fixture(scope="module")
def registry_api(stack: PlrStack) -> Iterator[grpc.Channel]:
    server = build_server(stack.settings, "127.0.0.1:0")
    server.start()
    channel = open_channel(f"127.0.0.1:{server.port}", stack.settings.grpc_tls)
    yield channel
    channel.close()
    server.stop(grace_s=1)


@pytest.fixture(scope="module")
def registry(stack: PlrStack, registry_api: grpc.Channel) -> Registry:
    return Registry(
        leaders_pb2_grpc.LeaderServiceStub(registry_api),
        networks_pb2_grpc.InvitationServiceStub(registry_api),
        registry_pb2_grpc.RegistryServiceStub(registry_api),
        bearer(stack.env["PLR_ADMIN_TOKEN"]),
        stack.env["PLR_REGISTRY_PORTAL_TOKEN"],
    )


@dataclass
class Portal:
    app: Flask
    store: SqlAccountStore
    verifications: Verifications
    link_key: str  # the key the registry worker signs its emailed links with


def _portal(stack: PlrStack, channel: grpc.Channel, token: str) -> Iterator[Portal]:
    engine = process_engine(stack.settings, "portal", "web", pool_size=2)
    store, verifications = SqlAccountStore(engine), Verifications()
    key = stack.env["PLR_REGISTRY_CONFIRM_LINK_KEY"]
    app = make_app(
        store,
        SqlSessions(engine),
        verifications,
        RegistryClient(channel, token),
        confirm_link_key=key,
        public_url="http://localhost",
        production=False,
    )
    yield Portal(app, store, verifications, key)
    engine.dispose()


@pytest.fixture(scope="module")
def portal(stack: PlrStack, registry_api: grpc.Channel) -> Iterator[Portal]:
    yield from _portal(stack, registry_api, stack.env["PLR_REGISTRY_PORTAL_TOKEN"])


def _path(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def sign_up(portal: Portal, email: str) -> FlaskClient:
    """An account made, verified and signed in to, through the portal's own pages."""
    browser = portal.app.test_client()
    form = browser.get("/register").get_data(as_text=True)
    [token] = CSRF.findall(form)
    assert (
        browser.post("/register", data={"csrf_token": token, "email": email, "password": PASSWORD}).status_code == 200
    )
    assert browser.get(_path(portal.verifications.urls[email])).status_code == 200
    [token] = CSRF.findall(browser.get("/sign-in").get_data(as_text=True))
    signed = browser.post("/sign-in", data={"csrf_token": token, "email": email, "password": PASSWORD})
    assert signed.status_code == 303
    return browser


def person(portal: Portal, registry: Registry, trust_key: str, given: str = "Mary") -> Person:
    """A person a trust registered, who signed up through its emailed link and confirmed the trust."""
    email = f"{given.lower()}-{uuid.uuid4().hex[:8]}@example.org"
    profile = lpb.LeaderProfile(given_name=given, family_name="Seacole", email=email, postcode="LS1 4AP")
    registered = registry.leaders.RegisterLeader(
        lpb.RegisterLeaderRequest(profile=profile), metadata=bearer(trust_key), timeout=10
    ).affiliation
    payload = {
        "leader_id": registered.leader_id,
        "affiliation_id": registered.affiliation_id,
        "to": signed_links.address_tag(portal.link_key, email),
    }
    # the link the registry worker emails (tests/e2e proves the worker's own)
    link = signed_links.sign(
        portal.link_key, signed_links.CONFIRM_AFFILIATION, payload, datetime.now(UTC), timedelta(days=1)
    )
    browser = sign_up(portal, email)
    assert browser.get(f"/confirm/{link}").status_code == 303
    joined = Person(browser, email, registered.leader_id, registered.affiliation_id)
    confirmed = joined.post(f"/requests/{registered.affiliation_id}/confirm")
    assert confirmed.status_code == 200 and "You confirmed the trust" in confirmed.get_data(as_text=True)
    return joined


def main(response: TestResponse) -> str:
    text = response.get_data(as_text=True)
    return text.split("<main", 1)[1].split("</main>", 1)[0] if "<main" in text else text


# ---- taking part ---------------------------------------------------------------------------------


def test_a_person_pauses_with_a_return_date_resumes_and_withdraws_after_checking(
    portal: Portal, registry: Registry
) -> None:
    ods, key = registry.onboard()
    mary = person(portal, registry, key)
    assert registry.seen_by(key, mary.leader_id).status == "active"

    explained = main(mary.page("/taking-part"))
    assert "You are taking part" in explained and "Pause taking part" in explained
    bad = mary.post("/taking-part/pause", "/taking-part/pause", **{"until-day": "30", "until-month": "2"})
    assert bad.status_code == 400 and "The return date must include a year" in main(bad)
    assert registry.seen_by(key, mary.leader_id).status == "active"  # nothing changed

    until = datetime.now(UTC).date() + timedelta(days=60)
    fields = {"until-day": str(until.day), "until-month": str(until.month), "until-year": str(until.year)}
    paused = mary.post("/taking-part/pause", "/taking-part/pause", **fields)
    assert paused.status_code == 200 and "You have paused taking part" in main(paused)
    seen = registry.seen_by(key, mary.leader_id)
    assert seen.status == "paused" and seen.paused_until == until.isoformat()  # what the trust sees
    assert f"until {until.day} {until:%B %Y}" in main(mary.page("/taking-part"))

    resumed = mary.post("/taking-part/resume", "/taking-part")
    assert resumed.status_code == 200 and registry.seen_by(key, mary.leader_id).status == "active"

    checked = mary.post("/taking-part/withdraw", "/taking-part/withdraw", step="check", reason="Moving away")
    assert "Check your answer before withdrawing" in main(checked) and "Moving away" in main(checked)
    assert registry.seen_by(key, mary.leader_id).status == "active"  # checking changes nothing
    withdrawn = mary.post("/taking-part/withdraw", "/taking-part/withdraw", step="confirm", reason="Moving away")
    assert withdrawn.status_code == 200 and "You have withdrawn" in main(withdrawn)
    cannot = mary.post("/taking-part/pause", "/taking-part/pause", **fields)  # the page offers no pause now
    assert cannot.status_code == 409 and "You cannot pause now" in main(cannot) and mary.leader_id not in main(cannot)
    with pytest.raises(grpc.RpcError) as unseen:  # every trust's link ended
        registry.seen_by(key, mary.leader_id)
    assert unseen.value.code() in (grpc.StatusCode.FAILED_PRECONDITION, grpc.StatusCode.NOT_FOUND)
    own = registry.leaders.GetLeader(
        lpb.GetLeaderRequest(leader_id=mary.leader_id), metadata=registry.as_person(mary.leader_id), timeout=10
    )
    assert own.status == "withdrawn"

    back = mary.post("/taking-part/resume", "/taking-part")
    assert back.status_code == 200 and "You are taking part again" in main(back)
    own = registry.leaders.GetLeader(
        lpb.GetLeaderRequest(leader_id=mary.leader_id), metadata=registry.as_person(mary.leader_id), timeout=10
    )
    assert own.status == "active"
    # a date in the past is refused naming the field, and leaves the person as they are
    past = {"until-day": "1", "until-month": "1", "until-year": "2020"}
    refused = mary.post("/taking-part/pause", "/taking-part/pause", **past)
    assert refused.status_code == 400 and "The return date must be in the future" in main(refused)
    own = registry.leaders.GetLeader(
        lpb.GetLeaderRequest(leader_id=mary.leader_id), metadata=registry.as_person(mary.leader_id), timeout=10
    )
    assert own.status == "active"
    # back after their own withdrawal, no trust holds them until they answer a trust again
    with pytest.raises(grpc.RpcError):
        registry.seen_by(key, mary.leader_id)


# ---- my data -------------------------------------------------------------------------------------


def test_a_person_downloads_their_data_and_reads_who_looked_at_and_changed_it(
    portal: Portal, registry: Registry
) -> None:
    ods, key = registry.onboard()
    ada = person(portal, registry, key, "Ada")
    for _ in range(22):  # the trust looks: an access entry each time, more than a page
        registry.seen_by(key, ada.leader_id)

    got = ada.page("/my-data/download")
    assert got.status_code == 200 and got.mimetype == "application/json"
    today = datetime.now(UTC).date().isoformat()
    assert got.headers["Content-Disposition"] == f'attachment; filename="my-patient-leader-data-{today}.json"'
    document = json.loads(got.get_data(as_text=True))
    assert ada.leader_id in json.dumps(document) and "Ada" in json.dumps(document)

    first = main(ada.page("/my-data/access-history"))
    assert f"{ods.title()} Hospitals NHS Trust" in first and "looked at your record" in first
    [token] = re.findall(r'href="/my-data/access-history\?page=([^"]+)"', first)
    second = ada.page("/my-data/access-history", page=unquote(token.replace("&amp;", "&")))
    assert second.status_code == 200 and "First page" in main(second)
    assert ada.email not in token and ada.leader_id not in token  # no personal data in the URL

    changes = main(ada.page("/my-data/change-history"))
    assert "You" in changes and "confirmed a trust&#39;s request" in changes
    assert f"{ods.title()} Hospitals NHS Trust" in changes and "added you as a patient leader" in changes

    bad = ada.page("/my-data/change-history", page="bm90LWEtdG9rZW4")
    assert bad.status_code == 400 and "This page of history cannot be found" in main(bad)


def test_deleting_the_account_erases_the_person_in_the_registry_then_the_portal_account(
    stack: PlrStack, portal: Portal, registry: Registry, registry_api: grpc.Channel
) -> None:
    ods, key = registry.onboard()
    ben = person(portal, registry, key, "Ben")
    account = portal.store.by_email(ben.email)
    assert account is not None and account.leader_id == ben.leader_id

    # a portal whose calls the registry refuses (a wrong credential) deletes nothing
    broken = next(_portal(stack, registry_api, "not-the-portal-token-" + "x" * 20))
    stray = broken.app.test_client()
    [token] = CSRF.findall(stray.get("/sign-in").get_data(as_text=True))
    stray.post("/sign-in", data={"csrf_token": token, "email": ben.email, "password": PASSWORD})
    [token] = CSRF.findall(stray.get("/my-data/delete").get_data(as_text=True))
    failed = stray.post("/my-data/delete", data={"csrf_token": token, "confirm": "yes"})
    assert failed.status_code in (409, 503) and "Your account was not deleted" in main(failed)
    assert portal.store.by_email(ben.email) is not None
    assert registry.seen_by(key, ben.leader_id).profile.given_name == "Ben"

    asked = main(ben.page("/my-data/delete"))
    assert "What is deleted" in asked and "What is kept, and why" in asked
    unsure = ben.post("/my-data/delete", "/my-data/delete")
    assert unsure.status_code == 400 and 'href="#confirm"' in main(unsure)
    assert portal.store.by_email(ben.email) is not None

    deleted = ben.post("/my-data/delete", "/my-data/delete", confirm="yes")
    shown = main(deleted)
    assert deleted.status_code == 200 and "Your account is deleted" in shown
    # every kind of record the registry keeps has the portal's words, and the confirm page said so
    for words in RETENTION_WORDS.values():
        assert words in shown and words in asked
    assert shown.count("(kept for ") == len(RETENTION_WORDS)  # and the registry keeps nothing more
    with pytest.raises(grpc.RpcError):
        registry.seen_by(key, ben.leader_id)
    assert portal.store.by_email(ben.email) is None and portal.store.by_id(account.account_id) is None
    with portal.store.engine.begin() as c:
        left = c.execute(sa.text("SELECT count(*) FROM sessions WHERE account_id = :a"), {"a": account.account_id})
        assert left.scalar_one() == 0
    assert ben.browser.get("/requests").status_code == 303  # signed out: its session went with it
    [token] = CSRF.findall(ben.browser.get("/sign-in").get_data(as_text=True))
    again = ben.browser.post("/sign-in", data={"csrf_token": token, "email": ben.email, "password": PASSWORD})
    assert again.status_code == 401


# ---- trusts' invitations -------------------------------------------------------------------------


def test_a_person_sees_a_trusts_invitation_by_name_and_accepts_or_declines_it(
    portal: Portal, registry: Registry
) -> None:
    _, holder = registry.onboard()
    inviter_ods, inviter = registry.onboard()
    other_ods, other = registry.onboard()
    cleo = person(portal, registry, holder, "Cleo")
    accepted_one = registry.invite(inviter, cleo.email)
    declined_one = registry.invite(other, cleo.email)

    page = main(cleo.page("/requests"))
    assert f"{inviter_ods.title()} Hospitals NHS Trust ({inviter_ods}) invites you" in page
    assert f"{other_ods.title()} Hospitals NHS Trust ({other_ods}) invites you" in page
    assert "If you accept, it will see:" in page and "never sees your answers to equality questions" in page
    with pytest.raises(grpc.RpcError):
        registry.seen_by(inviter, cleo.leader_id)

    accepted = cleo.post(f"/invitations/{accepted_one.invitation_id}/accept")
    assert accepted.status_code == 200 and "You accepted the invitation" in main(accepted)
    assert registry.seen_by(inviter, cleo.leader_id).profile.given_name == "Cleo"
    declined = cleo.post(f"/invitations/{declined_one.invitation_id}/decline")
    assert declined.status_code == 200 and "You declined the invitation" in main(declined)
    assert registry.trusts_view(other, declined_one.invitation_id).status == "declined"
    again = cleo.post(f"/invitations/{declined_one.invitation_id}/accept")
    assert again.status_code == 409  # declined: the registry refuses, and says why
    assert "invites you" not in main(cleo.page("/requests"))


def _invitation_mail(stack: PlrStack, invitation_id: str) -> list[OutgoingMail]:
    """The registry worker's notifier, given the invitation's outbox event as the broker would: the
    mail it sends, with the links the worker makes (its own settings: this run's portal and key)."""
    sent: list[OutgoingMail] = []

    class Caught:
        def send(self, mail: OutgoingMail) -> None:
            sent.append(mail)

    own = own_settings("registry", role="worker", env=stack.env)
    answer = portal_confirm_link(own, purpose=signed_links.ANSWER_INVITATION, about="invitation_id")
    handlers = notification_handlers(Caught(), stack.env["PLR_REGISTRY_PORTAL_URL"], invitation_link=answer)
    consumer = InboxConsumer(
        "registry.notifications", stack.engine("registry"), handlers, registry=SchemaRegistry(CONTRACTS_DIR)
    )
    with scoped_transaction(stack.engine("registry"), TenantScope.platform_wide()) as connection:
        payloads = connection.execute(
            sa.select(outbox.c.payload).where(
                outbox.c.aggregate_id == invitation_id, outbox.c.event_type == "plr.registry.invitation.sent.v1"
            )
        ).scalars()
        for payload in list(payloads):
            consumer.process(payload.encode())
    return sent


def test_the_invitation_emails_link_joins_a_new_account_and_lands_on_the_invitation(
    stack: PlrStack, portal: Portal, registry: Registry
) -> None:
    _, holder = registry.onboard()
    inviter_ods, inviter = registry.onboard()
    email = f"dora-{uuid.uuid4().hex[:8]}@example.org"
    profile = lpb.LeaderProfile(given_name="Dora", family_name="Lee", email=email)
    leader_id = registry.leaders.RegisterLeader(
        lpb.RegisterLeaderRequest(profile=profile), metadata=bearer(holder), timeout=10
    ).affiliation.leader_id
    invitation = registry.invite(inviter, email)

    [mail] = _invitation_mail(stack, invitation.invitation_id)
    assert mail.to == email and "invites you" in mail.subject
    [link] = re.findall(re.escape(stack.env["PLR_REGISTRY_PORTAL_URL"]) + r"/confirm/\S+", mail.body)
    path = _path(link)

    browser = portal.app.test_client()  # followed before signing up: kept through sign-up and sign-in
    kept = browser.get(path)
    assert kept.status_code == 200 and "Sign in to answer the trust" in main(kept)
    form = browser.get("/register").get_data(as_text=True)
    [token] = CSRF.findall(form)
    browser.post("/register", data={"csrf_token": token, "email": email, "password": PASSWORD})
    browser.get(_path(portal.verifications.urls[email]))
    [token] = CSRF.findall(browser.get("/sign-in").get_data(as_text=True))
    landed = browser.post("/sign-in", data={"csrf_token": token, "email": email, "password": PASSWORD})
    assert landed.status_code == 303 and landed.headers["Location"].endswith("/requests")
    account = portal.store.by_email(email)
    assert account is not None and account.leader_id == leader_id
    page = main(browser.get("/requests"))
    assert f"{inviter_ods.title()} Hospitals NHS Trust ({inviter_ods}) invites you" in page
    dora = Person(browser, email, leader_id, "")
    assert dora.post(f"/invitations/{invitation.invitation_id}/accept").status_code == 200
    assert registry.seen_by(inviter, leader_id).profile.given_name == "Dora"
    # the link works once: another account cannot take the person with it
    stranger = sign_up(portal, f"eve-{uuid.uuid4().hex[:8]}@example.org")
    refused = stranger.get(path)
    assert refused.status_code == 400 and "This link cannot be used" in main(refused)


# ---- one person's session reaches no one else's data ---------------------------------------------


def test_changing_ids_in_urls_or_forms_reaches_nothing_of_another_person(portal: Portal, registry: Registry) -> None:
    _, holder = registry.onboard()
    _, inviter = registry.onboard()
    ada, ben = person(portal, registry, holder, "Ada"), person(portal, registry, holder, "Ben")
    adas = registry.invite(inviter, ada.email)

    for answer in ("accept", "decline"):
        theirs = ben.post(f"/invitations/{adas.invitation_id}/{answer}")
        assert theirs.status_code == 404 and "There is no such invitation for you" in main(theirs)
    assert registry.trusts_view(inviter, adas.invitation_id).status == "sent"
    # Ada's ids in the query or form change nothing: the session's person is the one acted for
    ben.post("/taking-part/pause", "/taking-part/pause", leader_id=ada.leader_id, account_id=ada.leader_id)
    assert registry.seen_by(holder, ada.leader_id).status == "active"
    assert registry.seen_by(holder, ben.leader_id).status == "paused"
    download = ben.page("/my-data/download", leader_id=ada.leader_id)
    assert ben.leader_id in download.get_data(as_text=True) and ada.leader_id not in download.get_data(as_text=True)
    history = main(ben.page("/my-data/access-history", leader_id=ada.leader_id))
    assert "Who looked at your record" in history
    # another person's affiliation on the requests page's own form reaches nothing either
    assert ben.post(f"/requests/{ada.affiliation_id}/decline").status_code == 404
    assert registry.seen_by(holder, ada.leader_id).profile.given_name == "Ada"
    assert "invites you" in main(ada.page("/requests"))


# ---- bad input: a page naming the field, never a 500 -----------------------------------------------


@pytest.mark.parametrize(
    ("path", "form_page", "fields", "named"),
    [
        (
            "/taking-part/pause",
            "/taking-part/pause",
            {"until-day": "x", "until-month": "1", "until-year": "2027"},
            "#until",
        ),
        (
            "/taking-part/pause",
            "/taking-part/pause",
            {"until-day": "9" * 5000, "until-month": "", "until-year": ""},
            "#until",
        ),
        (
            "/taking-part/pause",
            "/taking-part/pause",
            {"until-day": "\x00", "until-month": "1", "until-year": "2027"},
            "#until",
        ),
        (
            "/taking-part/pause",
            "/taking-part/pause",
            {"until-day": "31", "until-month": "4", "until-year": "2027"},
            "#until",
        ),
        ("/taking-part/withdraw", "/taking-part/withdraw", {"step": "check", "reason": "x" * 501}, "#reason"),
        ("/taking-part/withdraw", "/taking-part/withdraw", {"step": "confirm", "reason": "a\x00b"}, "#reason"),
        ("/my-data/delete", "/my-data/delete", {"confirm": "no"}, "#confirm"),
    ],
)
def test_bad_input_answers_the_form_naming_the_field_and_changes_nothing(
    portal: Portal, registry: Registry, path: str, form_page: str, fields: dict[str, str], named: str
) -> None:
    _, key = registry.onboard()
    fay = person(portal, registry, key, "Fay")
    answered = fay.post(path, form_page, **fields)
    assert answered.status_code == 400 and f'href="{named}"' in main(answered)
    assert registry.seen_by(key, fay.leader_id).status == "active"
    assert portal.store.by_email(fay.email) is not None


def test_bad_ids_and_tokens_answer_a_page_never_a_500(portal: Portal, registry: Registry) -> None:
    _, key = registry.onboard()
    gus = person(portal, registry, key, "Gus")
    for invitation_id in ("not-an-id", "x" * 300, str(uuid.uuid4()), "%00"):
        for answer in ("accept", "decline"):
            assert gus.post(f"/invitations/{invitation_id}/{answer}").status_code == 404, invitation_id
    for token in ("garbage", "x" * 600, "\x7f", "AAAA"):
        for kind in ("access", "change"):
            got = gus.page(f"/my-data/{kind}-history", page=token)
            assert got.status_code == 400, (kind, token)
    forged = gus.browser.post("/taking-part/resume", data={"csrf_token": "forged"})
    assert forged.status_code == 400
