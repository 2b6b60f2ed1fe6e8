"""Issue 16's acceptance, with every process running: a trust registers a person through the API; the
registry emails them a one-time link (this run's mail catcher); the person follows it into the portal,
creates an account, confirms their address (the portal's own email), signs in, sees the trust's
request with its name, and confirms it; the trust's GetLeader then answers. Driven over HTTP, without
JavaScript, as a browser without scripts would."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
import requests
from plr.registry.v1 import leaders_pb2 as lpb
from plr.registry.v1 import leaders_pb2_grpc

from services.common.admin.mail_catcher import caught
from services.common.grpc_client import bearer
from tests.e2e.conftest import Running, running_system
from tests.e2e.test_leader_acceptance import onboard
from tests.support.infra import Infra, PlrStack, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(scope="module")
def system(infra: Infra) -> Iterator[tuple[PlrStack, Running]]:
    """A system of its own: the package's shared one may still be mailing the thousands of people the
    import tests registered, and this test waits for one email."""
    yield from running_system(infra)


def _mail(directory: Path, to: str, subject: str) -> str:
    # the e2e system is shared by the package: an import earlier in the run (thousands of people, each
    # mailed to confirm) can sit ahead of this mail in the registry's notifications queue
    wait_for(
        lambda: [m for m in caught(directory) if m.to == to and subject in m.subject],
        timeout=180,
        message=f"the email {subject!r}",
    )
    [mail] = [m for m in caught(directory) if m.to == to and subject in m.subject]
    return mail.body


def _link(body: str, portal: str) -> str:
    [link] = re.findall(re.escape(portal) + r"/\S+", body)
    return link


def _post(browser: requests.Session, url: str, page: str, **fields: str) -> requests.Response:
    [token] = CSRF.findall(page)[:1]
    return browser.post(url, data={"csrf_token": token, **fields}, timeout=10)


def test_a_person_a_trust_registered_follows_its_email_signs_up_and_confirms_and_the_trust_sees_them(
    system: tuple[PlrStack, Running],
) -> None:
    stack, _ = system
    trust_key = onboard(stack, "RP1")
    portal = f"http://{stack.env['PLR_PORTAL_WEB_LISTEN']}"
    channel = grpc.insecure_channel(stack.env["PLR_REGISTRY_API_TARGET"])
    leaders = leaders_pb2_grpc.LeaderServiceStub(channel)
    address = f"portal-{uuid.uuid4().hex[:8]}@example.org"
    profile = lpb.LeaderProfile(given_name="Mary", family_name="Seacole", email=address, postcode="LS1 4AP")
    registered = leaders.RegisterLeader(lpb.RegisterLeaderRequest(profile=profile), metadata=bearer(trust_key))
    leader_id = registered.affiliation.leader_id
    with pytest.raises(grpc.RpcError) as unseen:
        leaders.GetLeader(lpb.GetLeaderRequest(leader_id=leader_id), metadata=bearer(trust_key), timeout=10)
    assert unseen.value.code() == grpc.StatusCode.FAILED_PRECONDITION

    mail_dir = Path(stack.env["PLR_MAIL_DIR"])
    asked = _mail(mail_dir, address, "asks you to confirm")
    browser = requests.Session()
    landed = browser.get(_link(asked, portal), timeout=10)
    assert landed.status_code == 200 and "Sign in to answer the trust" in landed.text

    form = browser.get(f"{portal}/register", timeout=10)
    weak = _post(browser, f"{portal}/register", form.text, email=address, password="password1234")
    assert weak.status_code == 400 and "too common" in weak.text
    password = "seacole crimea lantern 1854"
    made = _post(browser, f"{portal}/register", form.text, email=address, password=password)
    assert made.status_code == 200 and "Check your email" in made.text
    verified = browser.get(_link(_mail(mail_dir, address, "Confirm your email address"), portal), timeout=10)
    assert "Your email address is confirmed" in verified.text

    sign_in = browser.get(f"{portal}/sign-in", timeout=10)
    requests_page = _post(browser, f"{portal}/sign-in", sign_in.text, email=address, password=password)
    main = requests_page.text.split("<main")[1].split("</main>")[0]
    # the trust by its name (the registry names it to the person it asks) and its code
    assert requests_page.status_code == 200 and "RP1 NHS Trust (RP1)" in main, main
    affiliation_id = registered.affiliation.affiliation_id
    assert f"/requests/{affiliation_id}/confirm" in requests_page.text

    # a form without the session's CSRF token changes nothing
    forged = browser.post(f"{portal}/requests/{affiliation_id}/confirm", data={"csrf_token": "x"}, timeout=10)
    assert forged.status_code == 400
    confirmed = _post(browser, f"{portal}/requests/{affiliation_id}/confirm", requests_page.text)
    assert confirmed.status_code == 200 and "You confirmed the trust" in confirmed.text

    seen = leaders.GetLeader(lpb.GetLeaderRequest(leader_id=leader_id), metadata=bearer(trust_key), timeout=10)
    assert seen.profile.given_name == "Mary"

    # a change of email address: asked for (as the portal would, for the signed-in person), mailed to the
    # new address, and confirmed in the portal by the signed-in person only
    as_person = (*bearer(stack.env["PLR_REGISTRY_PORTAL_TOKEN"]), ("x-plr-leader", leader_id))
    own = leaders.GetLeader(lpb.GetLeaderRequest(leader_id=leader_id), metadata=as_person, timeout=10)
    new_address = f"portal-new-{uuid.uuid4().hex[:8]}@example.org"
    change = lpb.UpdateLeaderRequest(
        leader_id=leader_id,
        expected_version=own.version,
        profile=lpb.LeaderProfile(email=new_address),
        fields=["email"],
    )
    assert leaders.UpdateLeader(change, metadata=as_person, timeout=10).email_change_pending
    link = _link(_mail(mail_dir, new_address, "Confirm your new email address"), portal)
    stranger = requests.Session().get(link, timeout=10)  # not signed in (a mail scanner, another person)
    assert stranger.status_code == 200 and "Sign in to confirm your new email address" in stranger.text
    asked_page = browser.get(link, timeout=10)
    assert asked_page.status_code == 200 and "Confirm my new email address" in asked_page.text
    unchanged = leaders.GetLeader(lpb.GetLeaderRequest(leader_id=leader_id), metadata=as_person, timeout=10)
    assert unchanged.profile.email == address  # opening the link changes nothing by itself
    token = link.split("token=", 1)[1]
    changed = _post(browser, f"{portal}/email/verify", asked_page.text, token=token)
    assert changed.status_code == 200 and "Your email address is changed" in changed.text
    now = leaders.GetLeader(lpb.GetLeaderRequest(leader_id=leader_id), metadata=as_person, timeout=10)
    assert now.profile.email == new_address
    again = _post(browser, f"{portal}/email/verify", asked_page.text, token=token)
    assert again.status_code == 400 and "This link cannot be used" in again.text  # once only
    channel.close()
