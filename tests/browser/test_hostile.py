"""The portal attacked from outside, over HTTP as a browser without scripts (``requests``) would: a
hostile person, a careless one and a confused one, against the web process of a running system."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import requests
import sqlalchemy as sa
from plr.registry.v1 import leaders_pb2 as lpb

from services.common.grpc_client import bearer
from services.portal.adapters.tables import sessions
from services.portal.domain.accounts import SESSION_LONGEST
from services.portal.entrypoints.web import COOKIE
from tests.browser.conftest import CSRF, PASSWORD, Person, Portal, submit

pytestmark = [pytest.mark.integration, pytest.mark.e2e]


def _form(http: requests.Session, url: str, **fields: str) -> requests.Response:
    return submit(http, url, http.get(url, timeout=10).text, **fields)


def _account(portal: Portal, email: str | None = None) -> tuple[str, requests.Session]:
    """A verified local account of the portal's own (no trust holds its person), signed in."""
    email = email or f"hostile-{uuid.uuid4().hex[:10]}@example.org"
    http = requests.Session()
    assert _form(http, f"{portal.url}/register", email=email).status_code == 200
    assert http.get(portal.link_in(portal.mail(email, "Confirm your email address")), timeout=10).status_code == 200
    assert _form(http, f"{portal.url}/sign-in", email=email).status_code == 200
    return email, http


def test_a_link_for_someone_else_followed_while_signed_in_leaves_it_usable_by_them(portal: Portal) -> None:
    """Bob, signed in and joined to his own record, opens Ada's claim link (a shared computer, a
    forwarded email): he is refused, and the link still works for Ada afterwards."""
    bob = portal.person("Bob")
    ada_email, _, ada_affiliation, ada_link = portal.registered_by_trust("Ada")
    http = requests.Session()
    _form(http, f"{portal.url}/sign-in", email=bob.email)
    refused = http.get(ada_link, timeout=10)
    assert refused.status_code == 400
    assert ada_affiliation not in refused.text
    http.close()
    # Ada follows her link, creates her account and signs in: her link joins it to her record
    ada = requests.Session()
    assert ada.get(ada_link, timeout=10).status_code == 200
    _form(ada, f"{portal.url}/register", email=ada_email)
    assert ada.get(portal.link_in(portal.mail(ada_email, "Confirm your email address")), timeout=10).ok
    signed_in = _form(ada, f"{portal.url}/sign-in", email=ada_email)
    assert signed_in.status_code == 200, signed_in.text
    assert ada_affiliation in signed_in.text, "Bob's visit used up Ada's one-time link"
    ada.close()


@pytest.mark.parametrize("path", ["/register", "/sign-in", "/forgot-password"])
def test_a_nul_character_in_an_email_address_is_refused_naming_the_field(portal: Portal, path: str) -> None:
    http = requests.Session()
    answer = _form(http, portal.url + path, email="ada\x00lovelace@example.org")
    assert answer.status_code == 400, answer.status_code
    assert "email" in answer.text.lower()
    http.close()


def test_a_csrf_token_out_of_ascii_is_refused_as_any_wrong_token(portal: Portal) -> None:
    http = requests.Session()
    http.get(f"{portal.url}/sign-in", timeout=10)
    answer = http.post(f"{portal.url}/sign-in", data={"csrf_token": "é", "email": "a@example.org"}, timeout=10)
    assert answer.status_code == 400, answer.status_code
    http.close()


@pytest.mark.parametrize("link", ["abc.%C3%A9", "%C3%A9.abc", "abc%00def", "abc.def", "x" * 5000])
def test_a_malformed_registry_link_is_refused_signed_in_or_out_and_kept_nowhere(portal: Portal, link: str) -> None:
    email, http = _account(portal)
    assert http.get(f"{portal.url}/confirm/{link}", timeout=10).status_code == 400
    http.close()
    later = requests.Session()
    assert later.get(f"{portal.url}/confirm/{link}", timeout=10).status_code == 400
    assert _form(later, f"{portal.url}/sign-in", email=email).status_code == 200  # nothing was kept
    later.close()


def test_a_forged_registry_link_kept_until_sign_in_is_then_refused(portal: Portal) -> None:
    email, http = _account(portal)
    http.close()
    forged = "eyJsZWFkZXJfaWQiOiAiMSJ9." + "A" * 43
    later = requests.Session()
    assert later.get(f"{portal.url}/confirm/{forged}", timeout=10).status_code == 200
    assert _form(later, f"{portal.url}/sign-in", email=email).status_code == 400
    later.close()


def test_signing_in_gives_a_new_session_and_signing_out_ends_it_on_the_server(portal: Portal) -> None:
    email, http = _account(portal)
    http.close()
    visitor = requests.Session()
    visitor.get(f"{portal.url}/sign-in", timeout=10)
    before = visitor.cookies.get(COOKIE)
    signed_in = _form(visitor, f"{portal.url}/sign-in", email=email)
    after = visitor.cookies.get(COOKIE)
    assert before and after and before != after
    # the session id from before sign-in is no longer anyone's
    fixed = requests.get(f"{portal.url}/requests", cookies={COOKIE: before}, timeout=10, allow_redirects=False)
    assert fixed.status_code == 303
    token = CSRF.findall(signed_in.text)[0]
    assert visitor.post(f"{portal.url}/sign-out", data={"csrf_token": token}, timeout=10).ok
    replayed = requests.get(f"{portal.url}/requests", cookies={COOKIE: after}, timeout=10, allow_redirects=False)
    assert replayed.status_code == 303 and "/sign-in" in replayed.headers["Location"]
    visitor.close()


def test_a_csrf_token_of_another_session_is_refused(portal: Portal) -> None:
    _, mine = _account(portal)
    theirs = requests.Session()
    other_token = CSRF.findall(theirs.get(f"{portal.url}/sign-in", timeout=10).text)[0]
    answer = mine.post(f"{portal.url}/sign-out", data={"csrf_token": other_token}, timeout=10)
    assert answer.status_code == 400
    assert mine.get(f"{portal.url}/requests", timeout=10, allow_redirects=False).status_code == 200
    mine.close()
    theirs.close()


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/"),
        ("GET", "/no-such-page"),
        ("DELETE", "/sign-in"),
        ("PUT", "/register"),
        ("GET", "/assets/nhsuk/nhsuk-frontend.min.css"),
        ("GET", "/t/..%2f..%2fetc/"),
        ("POST", "/sign-in"),  # no CSRF token
    ],
)
def test_every_answer_carries_the_security_headers(portal: Portal, method: str, path: str) -> None:
    answer = requests.request(method, portal.url + path, timeout=10, allow_redirects=False)
    assert answer.status_code < 500
    assert "frame-ancestors 'none'" in answer.headers.get("Content-Security-Policy", "")
    assert answer.headers.get("X-Content-Type-Options") == "nosniff"
    if not path.startswith("/assets/"):
        assert answer.headers.get("Cache-Control") == "no-store"


def test_a_huge_form_is_refused_without_a_server_error(portal: Portal) -> None:
    http = requests.Session()
    token = CSRF.findall(http.get(f"{portal.url}/register", timeout=10).text)[0]
    body = {"csrf_token": token, "email": "a@example.org", "password": "x" * 5_000_000}
    answer = http.post(f"{portal.url}/register", data=body, timeout=30)
    assert 400 <= answer.status_code < 500, answer.status_code
    http.close()


@pytest.mark.parametrize("ods", ["rb1", "RB1", "ＲＢ１", "%C3%9F", "%2e%2e", "R%00B1", "x" * 300])
def test_odd_trust_codes_are_a_page_not_a_server_error(portal: Portal, ods: str) -> None:
    answer = requests.get(f"{portal.url}/t/{ods}/", timeout=10)
    assert answer.status_code in (200, 404), (ods, answer.status_code)
    if ods.upper() != "RB1":
        assert answer.status_code == 404


def test_registering_an_address_again_answers_the_same_and_mails_nothing(portal: Portal) -> None:
    email, http = _account(portal)
    http.close()
    again = requests.Session()
    answer = _form(again, f"{portal.url}/register", email=email, password=PASSWORD + " again")
    assert answer.status_code == 200
    # the old password still signs in, the new one does not
    assert _form(again, f"{portal.url}/sign-in", email=email, password=PASSWORD + " again").status_code == 401
    again.close()


def test_a_deleted_account_s_old_session_and_links_reach_nothing(portal: Portal) -> None:
    dora = portal.person("Dora")
    http = requests.Session()
    signed_in = _form(http, f"{portal.url}/sign-in", email=dora.email)
    token = CSRF.findall(signed_in.text)[0]
    kept_cookie = str(http.cookies.get(COOKIE))
    deleted = http.post(f"{portal.url}/my-data/delete", data={"csrf_token": token, "confirm": "yes"}, timeout=30)
    assert deleted.status_code == 200, deleted.text
    for path in ("/requests", "/profile", "/my-data/download", "/taking-part", "/consent"):
        answer = requests.get(portal.url + path, cookies={COOKIE: kept_cookie}, timeout=10, allow_redirects=False)
        assert answer.status_code in (303, 404, 409), (path, answer.status_code)
        assert dora.family_name not in answer.text and dora.email not in answer.text
    # the claim link again: no server error, nothing joined
    assert requests.get(dora.claim_link, timeout=10).status_code < 500
    # the back button: the form posted again with the old token
    again = requests.post(
        f"{portal.url}/my-data/delete",
        data={"csrf_token": token, "confirm": "yes"},
        cookies={COOKIE: kept_cookie},
        timeout=10,
    )
    assert again.status_code == 400
    http.close()


@pytest.mark.parametrize(("path", "subject"), [("/forgot-password", "Reset your password"), ("/register", "Confirm")])
def test_an_emailed_link_points_at_the_portal_whatever_host_the_request_names(
    portal: Portal, path: str, subject: str
) -> None:
    """A hostile person asks a reset for Ada's address naming their own host: Ada must not be mailed a
    link to it (following it would hand them her one-time token)."""
    email, http = _account(portal) if path == "/forgot-password" else (f"host-{uuid.uuid4().hex[:8]}@example.org", None)
    if http is not None:
        http.close()
    hostile = requests.Session()
    form = hostile.get(portal.url + path, timeout=10).text
    token = CSRF.findall(form)[0]
    answer = hostile.post(
        portal.url + path,
        data={"csrf_token": token, "email": email, "password": PASSWORD},
        # the cookie by hand: requests matches its jar against the Host header
        headers={
            "Host": "attacker.example",
            "X-Forwarded-Host": "attacker.example",
            "Cookie": f"{COOKIE}={hostile.cookies.get(COOKIE)}",
        },
        timeout=10,
    )
    hostile.close()
    if answer.status_code == 200:  # taken: the link mailed is to the portal itself
        body = portal.mail(email, subject)
        assert "attacker.example" not in body
        assert portal.link_in(body).startswith(portal.url)
    else:
        assert answer.status_code == 400


def _signed_in_person(portal: Portal, given_name: str) -> tuple[Person, requests.Session, str]:
    person = portal.person(given_name)
    http = requests.Session()
    page = _form(http, f"{portal.url}/sign-in", email=person.email)
    return person, http, CSRF.findall(page.text)[0]


def test_the_confused_leader_s_double_submits_and_back_button_are_pages_not_errors(portal: Portal) -> None:
    """Confirm twice (a double click), decline after confirming (the back button), accept an invitation
    twice, withdraw twice, pause while withdrawn, grant a consent twice: each a page, none a 500, and
    the first answer stands."""
    eve, http, token = _signed_in_person(portal, "Eve")

    def post(path: str, **fields: str) -> requests.Response:
        return http.post(portal.url + path, data={"csrf_token": token, **fields}, timeout=10)

    assert post(f"/requests/{eve.affiliation_id}/confirm").status_code == 200
    again = post(f"/requests/{eve.affiliation_id}/confirm")
    assert again.status_code in (200, 409), again.status_code
    assert post(f"/requests/{eve.affiliation_id}/decline").status_code == 409
    assert portal.affiliations(eve.leader_id)[eve.affiliation_id] == "active"
    assert post(f"/invitations/{eve.invitation_id}/accept").status_code == 200
    assert post(f"/invitations/{eve.invitation_id}/accept").status_code in (200, 409)
    assert post(f"/invitations/{eve.invitation_id}/decline").status_code == 409
    for _ in range(2):
        withdrawn = post("/taking-part/withdraw", step="confirm", reason="")
        assert withdrawn.status_code in (200, 409), withdrawn.status_code
    paused = post("/taking-part/pause", **{"until-day": "1", "until-month": "1", "until-year": "2030"})
    assert paused.status_code == 409, paused.status_code
    assert post("/taking-part/resume").status_code == 200
    consent = http.get(f"{portal.url}/consent", timeout=10).text
    choices = sorted(set(re.findall(r'name="purpose" value="([^"]+)"', consent)))
    assert choices, "no consent to decide on the consent page"
    for decision in ("grant", "grant", "withdraw", "withdraw"):
        answer = post("/consent", purpose=choices[0], target="", decision=decision)
        assert answer.status_code in (200, 303, 400), (decision, answer.status_code)
    http.close()


def test_the_email_verification_link_works_once(portal: Portal) -> None:
    email = f"twice-{uuid.uuid4().hex[:8]}@example.org"
    http = requests.Session()
    _form(http, f"{portal.url}/register", email=email)
    link = portal.link_in(portal.mail(email, "Confirm your email address"))
    assert http.get(link, timeout=10).status_code == 200
    assert http.get(link, timeout=10).status_code == 400
    assert requests.get(link.rstrip("x") + "x", timeout=10).status_code == 400
    http.close()


def test_sessions_that_expired_are_deleted_though_never_presented_again(portal: Portal) -> None:
    """A person who never comes back (or a bot without cookies, one session per visit) leaves sessions
    that expired: they are deleted as new ones start, not kept for ever."""
    stale = f"stale-{uuid.uuid4().hex}"
    long_ago = datetime.now(UTC) - SESSION_LONGEST - timedelta(minutes=1)
    with portal.stack.engine("portal").begin() as connection:
        connection.execute(
            sessions.insert().values(
                session_digest=stale, csrf_token="x", created_at=long_ago, last_seen_at=long_ago, account_id=None
            )
        )
    assert requests.get(f"{portal.url}/sign-in", timeout=10).status_code == 200  # a new visitor's session
    with portal.stack.engine("portal").connect() as connection:
        left = connection.execute(sa.select(sessions.c.session_digest).where(sessions.c.session_digest == stale)).all()
    assert left == []


@pytest.mark.xfail(
    strict=True,
    reason="finding, not fixed: sign-in failures are counted per address only (sign_in_failures has no client "
    "column), so one client may try a password against every address (spraying) without a 429",
)
def test_one_client_trying_many_addresses_is_slowed_down(portal: Portal) -> None:
    http = requests.Session()
    form = http.get(f"{portal.url}/sign-in", timeout=10).text
    statuses = [
        submit(http, f"{portal.url}/sign-in", form, email=f"spray-{n}-{uuid.uuid4().hex[:6]}@example.org").status_code
        for n in range(25)
    ]
    http.close()
    assert 429 in statuses, statuses


def test_an_email_change_link_confirmed_by_another_signed_in_person_changes_nothing(portal: Portal) -> None:
    ada, bob = portal.person("Ada"), portal.person("Bob")
    new_address = f"new-{uuid.uuid4().hex[:8]}@example.org"
    as_ada = portal.as_person(ada.leader_id)
    change = lpb.UpdateLeaderRequest(
        leader_id=ada.leader_id,
        expected_version=portal.leader_version(ada.leader_id),
        profile=lpb.LeaderProfile(email=new_address),
        fields=["email"],
    )
    assert portal.registry().UpdateLeader(change, metadata=as_ada, timeout=10).email_change_pending
    link = portal.link_in(portal.mail(new_address, "Confirm your new email address"))
    token = link.split("token=", 1)[1]
    http = requests.Session()
    _form(http, f"{portal.url}/sign-in", email=bob.email)
    asked = http.get(link, timeout=10)
    refused = submit(http, f"{portal.url}/email/verify", asked.text, token=token)
    assert refused.status_code == 400, refused.status_code
    http.close()

    def email_of(leader_id: str) -> str:
        request = lpb.GetLeaderRequest(leader_id=leader_id)
        return str(portal.registry().GetLeader(request, metadata=portal.as_person(leader_id), timeout=10).profile.email)

    assert email_of(ada.leader_id) == ada.email and email_of(bob.leader_id) == bob.email
    # and Ada's link still works for Ada
    own = requests.Session()
    _form(own, f"{portal.url}/sign-in", email=ada.email)
    changed = submit(own, f"{portal.url}/email/verify", own.get(link, timeout=10).text, token=token)
    assert changed.status_code == 200, changed.status_code
    assert email_of(ada.leader_id) == new_address
    own.close()


def test_confirming_a_request_the_trust_withdrew_meanwhile_says_so_and_changes_nothing(portal: Portal) -> None:
    fay, http, token = _signed_in_person(portal, "Fay")  # her requests page is open, the trust's request on it
    ended = lpb.EndAffiliationRequest(leader_id=fay.leader_id, reason="asked the wrong person")
    portal.registry().EndAffiliation(ended, metadata=bearer(portal.trust_key), timeout=10)
    late = http.post(f"{portal.url}/requests/{fay.affiliation_id}/confirm", data={"csrf_token": token}, timeout=10)
    assert late.status_code == 409, late.status_code
    assert portal.affiliations(fay.leader_id)[fay.affiliation_id] == "ended"
    http.close()


def test_a_link_left_on_a_shared_computer_does_not_join_the_next_person_s_account(portal: Portal) -> None:
    ada_email, _, ada_affiliation, ada_link = portal.registered_by_trust("Ada")
    mallory_email, own = _account(portal)
    own.close()
    shared = requests.Session()
    assert shared.get(ada_link, timeout=10).status_code == 200  # Ada opens it, and walks away
    signed_in = _form(shared, f"{portal.url}/sign-in", email=mallory_email)
    profile = shared.get(f"{portal.url}/profile", timeout=10)
    shared.close()
    assert ada_affiliation not in signed_in.text and ada_email not in profile.text
