"""Issue 9's invitations with every process running: a network trust finds a person, invites them, the
registry worker's notifier sends the invitation through SMTP (this run's mail catcher) with a one-time
link to the portal, the person follows it, signs up and accepts there, and the trust now sees them."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import requests
from plr.registry.v1 import leaders_pb2 as lpb
from plr.registry.v1 import leaders_pb2_grpc, networks_pb2_grpc
from plr.registry.v1 import networks_pb2 as npb

from services.common.admin.mail_catcher import CaughtMail, caught
from services.common.grpc_client import api_channel, bearer
from tests.e2e.conftest import Running
from tests.e2e.test_leader_acceptance import onboard
from tests.e2e.test_portal_confirmation import _link, _mail, _post
from tests.support.infra import PlrStack, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.e2e]


def test_an_invitation_reaches_the_person_by_email_and_accepting_lets_the_trust_see_them(
    system: tuple[PlrStack, Running],
) -> None:
    stack, _ = system
    holder, finder = onboard(stack, "RE1"), onboard(stack, "RE2")
    network_id = f"e2e-{uuid.uuid4().hex[:8]}"
    assert stack.plr("network", "create", network_id, "--name", "E2E Care System").returncode == 0
    for ods in ("RE1", "RE2"):
        assert stack.plr("network", "add-trust", network_id, ods).returncode == 0
    channel = api_channel(stack.settings, "registry")
    leaders = leaders_pb2_grpc.LeaderServiceStub(channel)
    found = networks_pb2_grpc.NetworkServiceStub(channel)
    invitations = networks_pb2_grpc.InvitationServiceStub(channel)

    def as_leader(leader_id: str) -> tuple[tuple[str, str], ...]:
        return (*bearer(stack.env["PLR_REGISTRY_PORTAL_TOKEN"]), ("x-plr-leader", leader_id))

    address = f"invited-{uuid.uuid4().hex[:8]}@example.org"
    profile = lpb.LeaderProfile(given_name="Mary", family_name="Seacole", email=address, postcode="LS1 4AP")
    registered = leaders.RegisterLeader(lpb.RegisterLeaderRequest(profile=profile), metadata=bearer(holder), timeout=10)
    leader_id = registered.affiliation.leader_id
    leaders.ConfirmAffiliation(
        lpb.ConfirmAffiliationRequest(affiliation_id=registered.affiliation.affiliation_id),
        metadata=as_leader(leader_id),
        timeout=10,
    )
    leaders.RecordConsent(
        lpb.RecordConsentRequest(
            leader_id=leader_id,
            purpose="share_profile_with_network",
            target=network_id,
            grant=True,
            wording_version="1",
        ),
        metadata=as_leader(leader_id),
        timeout=10,
    )
    candidates = found.FindNetworkCandidates(npb.FindNetworkCandidatesRequest(page_size=500), metadata=bearer(finder))
    assert leader_id in [c.leader_id for c in candidates.candidates]

    invitation = invitations.InviteLeader(npb.InviteLeaderRequest(leader_id=leader_id), metadata=bearer(finder))
    directory = Path(stack.env["PLR_MAIL_DIR"])

    def invited() -> list[CaughtMail]:
        # the registration may also have mailed the person its confirm link (if the notifier ran before
        # the confirmation): the invitation is the one that invites
        return [m for m in caught(directory) if m.to == address and "invites you" in m.subject]

    wait_for(invited, timeout=30, message="the invitation's email")
    [mail] = invited()
    assert "RE2 NHS Trust" in mail.subject and invitation.invitation_id in mail.body

    # the email's one-time link lands in the portal: the person signs up there, sees the invitation with
    # the trust's name, and accepts it
    portal = f"http://{stack.env['PLR_PORTAL_WEB_LISTEN']}"
    browser = requests.Session()
    landed = browser.get(_link(mail.body, portal), timeout=10)
    assert landed.status_code == 200 and "Sign in to answer the trust" in landed.text
    form = browser.get(f"{portal}/register", timeout=10)
    password = "seacole crimea lantern 1854"
    assert _post(browser, f"{portal}/register", form.text, email=address, password=password).status_code == 200
    browser.get(_link(_mail(directory, address, "Confirm your email address"), portal), timeout=10)
    sign_in = browser.get(f"{portal}/sign-in", timeout=10)
    asked = _post(browser, f"{portal}/sign-in", sign_in.text, email=address, password=password)
    assert "RE2 NHS Trust (RE2) invites you" in asked.text, asked.text
    accept = f"{portal}/invitations/{invitation.invitation_id}/accept"
    assert accept.removeprefix(portal) in asked.text
    accepted = _post(browser, accept, asked.text)
    assert accepted.status_code == 200 and "You accepted the invitation" in accepted.text
    seen = leaders.GetLeader(lpb.GetLeaderRequest(leader_id=leader_id), metadata=bearer(finder), timeout=10)
    assert seen.profile.given_name == "Mary"
    channel.close()
