"""The portal in a real browser: Debian's Chromium driven by Playwright (nothing downloads a browser),
with the processes the portal needs running on this run's own stack, and people made as a trust and a
person would make them (the registry's email, the portal's own email, from this run's mail catcher).

Every page of the portal is found from its Flask application's url_map (tests/browser/pages.py), so a
page added later is covered without editing these tests."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import grpc
import pytest
import requests
from flask import Flask
from plr.registry.v1 import leaders_pb2 as lpb
from plr.registry.v1 import leaders_pb2_grpc, networks_pb2_grpc
from plr.registry.v1 import networks_pb2 as npb

from services.common.admin.mail_catcher import caught
from services.common.grpc_client import bearer
from services.common.manifest import manifests
from services.common.settings import load_settings
from tests.e2e.conftest import Running
from tests.e2e.test_leader_acceptance import onboard
from tests.support.infra import ROOT, Infra, PlrStack, plr_stack, service_env, unavailable, wait_for

# Debian's Chromium (apt-get install chromium; .ci/run installs it): never a browser Playwright downloads
CHROMIUM = Path(os.environ.get("PLR_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",  # root in CI, and no user namespaces in its container
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # nothing but the portal on this machine: no update, sync or background calls out
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE = ROOT / "services" / "portal" / "frontend" / "node_modules" / "axe-core" / "axe.min.js"
# screenshots of every page at 320 px, kept after the run for a person to look at
ARTEFACTS = Path(os.environ.get("PLR_TEST_ARTEFACTS", ROOT / ".plr" / "test-artefacts")) / "browser"
TRUST_ODS = "RB1"  # the browser tests' own trust (the e2e tests own theirs)
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PASSWORD = "lantern crimea scutari 1855"


@dataclass(frozen=True)
class Person:
    """A patient leader a trust registered, with a verified portal account joined to their record and
    the trust's request still waiting for their answer."""

    given_name: str
    family_name: str
    email: str
    password: str
    leader_id: str
    affiliation_id: str  # the trust's pending request
    claim_link: str  # the registry's one-time link (used: it joined the account to the record)
    verify_link: str  # the portal's one-time link (used: it verified the address)
    invitation_id: str  # a trust's invitation, waiting for their answer

    @property
    def markers(self) -> tuple[str, ...]:
        """What of this person no one else may be shown."""
        return (self.email, self.leader_id, self.affiliation_id, self.invitation_id, self.family_name)


@dataclass
class Portal:
    stack: PlrStack
    url: str
    trust_key: str
    app: Flask  # the same application the web process serves, built here for its url_map and test client

    @cached_property
    def channel(self) -> grpc.Channel:
        return grpc.insecure_channel(self.stack.env["PLR_REGISTRY_API_TARGET"])

    def registry(self) -> leaders_pb2_grpc.LeaderServiceStub:
        return leaders_pb2_grpc.LeaderServiceStub(self.channel)

    def invitations(self) -> networks_pb2_grpc.InvitationServiceStub:
        return networks_pb2_grpc.InvitationServiceStub(self.channel)

    def as_person(self, leader_id: str) -> tuple[tuple[str, str], ...]:
        return (*bearer(self.stack.env["PLR_REGISTRY_PORTAL_TOKEN"]), ("x-plr-leader", leader_id))

    def mail(self, to: str, subject: str) -> str:
        """The body of the email ``to`` was sent whose subject has ``subject`` (waits for it)."""
        directory = Path(self.stack.env["PLR_MAIL_DIR"])

        def found() -> list[str]:
            return [m.body for m in caught(directory) if m.to == to and subject in m.subject]

        return str(wait_for(found, timeout=60, message=f"the email {subject!r} to {to}")[-1])

    def link_in(self, body: str) -> str:
        [link] = re.findall(re.escape(self.url) + r"/\S+", body)
        return link

    def registered_by_trust(self, given_name: str) -> tuple[str, str, str, str]:
        """A person the trust registers: (email, leader id, affiliation id, the claim link it mailed them)."""
        email = f"browser-{uuid.uuid4().hex[:10]}@example.org"
        profile = lpb.LeaderProfile(given_name=given_name, family_name=f"Fam{uuid.uuid4().hex[:8]}", email=email)
        registered = self.registry().RegisterLeader(
            lpb.RegisterLeaderRequest(profile=profile), metadata=bearer(self.trust_key), timeout=10
        )
        link = self.link_in(self.mail(email, "asks you to confirm"))
        return email, registered.affiliation.leader_id, registered.affiliation.affiliation_id, link

    def person(self, given_name: str) -> Person:
        """A person with a verified account, joined to their record, the trust's request pending: made
        over HTTP as a browser without scripts would (the browser journeys make theirs in the browser)."""
        email, leader_id, affiliation_id, claim = self.registered_by_trust(given_name)
        family_name = (
            self.registry()
            .GetLeader(lpb.GetLeaderRequest(leader_id=leader_id), metadata=self.as_person(leader_id), timeout=10)
            .profile.family_name
        )
        http = requests.Session()
        assert http.get(claim, timeout=10).status_code == 200
        submit(http, f"{self.url}/register", http.get(f"{self.url}/register", timeout=10).text, email=email)
        verify = self.link_in(self.mail(email, "Confirm your email address"))
        assert http.get(verify, timeout=10).status_code == 200
        signed_in = submit(http, f"{self.url}/sign-in", http.get(f"{self.url}/sign-in", timeout=10).text, email=email)
        assert affiliation_id in signed_in.text, "the trust's request is not on the person's page"
        http.close()
        # and a trust's invitation: the trust's key invites the address it holds
        self.invitations().InviteLeader(
            npb.InviteLeaderRequest(email=email), metadata=bearer(self.trust_key), timeout=10
        )
        listed = self.invitations().ListInvitations(
            npb.ListInvitationsRequest(page_size=500), metadata=self.as_person(leader_id), timeout=10
        )
        [invitation] = [i.invitation_id for i in listed.invitations if i.status == "sent"]
        return Person(given_name, family_name, email, PASSWORD, leader_id, affiliation_id, claim, verify, invitation)

    def affiliations(self, leader_id: str) -> dict[str, str]:
        """The person's affiliations and their status, as the registry holds them."""
        listed = self.registry().ListAffiliations(
            lpb.ListAffiliationsRequest(page_size=500), metadata=self.as_person(leader_id), timeout=10
        )
        return {a.affiliation_id: a.status for a in listed.affiliations}

    def standing(self, leader_id: str) -> dict[str, str]:
        """The person's affiliations and invitations, each with its status, as the registry holds them."""
        listed = self.invitations().ListInvitations(
            npb.ListInvitationsRequest(page_size=500), metadata=self.as_person(leader_id), timeout=10
        )
        return {**self.affiliations(leader_id), **{i.invitation_id: i.status for i in listed.invitations}}

    def leader_version(self, leader_id: str) -> int:
        """The version of the person's record: any change to it moves it on."""
        request = lpb.GetLeaderRequest(leader_id=leader_id)
        return int(self.registry().GetLeader(request, metadata=self.as_person(leader_id), timeout=10).version)


def submit(http: requests.Session, url: str, form_page: str, **fields: str) -> requests.Response:
    """A form posted with the page's CSRF token (and the fixture password unless given)."""
    token = CSRF.findall(form_page)[0]
    return http.post(url, data={"csrf_token": token, "password": PASSWORD, **fields}, timeout=10)


def portal_app(stack: PlrStack) -> Flask:
    """The portal's application as its web process builds it, from the portal's own settings only."""
    web = manifests()["portal"].web
    assert web is not None
    settings = load_settings(service_env({**os.environ, **stack.env}, "portal"), services=("portal",), role="web")
    app = web.app(settings)
    assert isinstance(app, Flask)
    return app


@pytest.fixture(scope="package")
def portal(infra: Infra) -> Iterator[Portal]:
    """Every process running (as `make run` and the e2e tests have them: the portal's pages may call
    any service), a trust onboarded, and the portal's address."""
    with plr_stack(infra) as stack:
        running = Running(stack)
        running.start_all()
        try:
            wait_for(lambda: stack.plr("health").returncode == 0, timeout=90, interval=0.5, message="every process")
            made = Portal(
                stack, f"http://{stack.env['PLR_PORTAL_WEB_LISTEN']}", onboard(stack, TRUST_ODS), portal_app(stack)
            )
            try:
                yield made
            finally:
                made.channel.close()
        finally:
            codes = running.stop()
            errors = {
                name: [line for line in lines if '"level": "error"' in line] for name, lines in running.logs.items()
            }
            assert not any(errors.values()), f"processes logged errors: { {k: v[:3] for k, v in errors.items() if v} }"
            assert all(code == 0 for code in codes.values()), f"processes did not stop cleanly: {codes}"


@pytest.fixture(scope="package")
def person(portal: Portal) -> Person:
    """The person whose signed-in pages are visited (their request stays pending: nothing answers it)."""
    return portal.person("Florence")


@pytest.fixture(scope="package")
def chromium() -> Iterator[object]:
    """Debian's Chromium, headless. Missing, it fails the run in CI (CI=true) and skips elsewhere."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("playwright is not installed: `make venv` installs the dev extra")
    if not CHROMIUM.is_file():
        unavailable(f"Chromium is not at {CHROMIUM}: apt-get install chromium (.ci/run does)")
    if not AXE.is_file():
        unavailable(f"axe-core is not at {AXE}: `make venv` runs npm ci in services/portal/frontend")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()
