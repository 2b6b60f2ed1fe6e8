"""NHS login against a local OpenID Connect provider (oidc-provider-mock, started here in a thread: its
discovery document, JWKS, authorization and token endpoints): the authorization code flow with PKCE,
state and nonce, the id token validated with the provider's published key, and the account found by the
verified subject, joined by a verified address, or made; through the web application on real PostgreSQL."""

from __future__ import annotations

import io
import threading
import uuid
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import pytest
import requests
import sqlalchemy as sa
import werkzeug.serving
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from flask.testing import FlaskClient
from joserfc import jwk, jwt
from joserfc.errors import JoseError
from werkzeug.test import TestResponse

from services.common import signed_links
from services.portal.adapters.nhs_login import NhsLoginSettings, OidcProvider
from services.portal.domain.nhs_login import NO_PASSWORD
from services.portal.tests.integration.web_app import (
    Clock,
    portal_app,
    portal_stack,
    register_verified,
    sign_in,
    signed_in,
)
from tests.support.infra import PlrStack

pytestmark = [
    pytest.mark.integration,
    # the provider's own use of Authlib (oidc-provider-mock's server side), not the portal's
    pytest.mark.filterwarnings("ignore:get_jwt_config:DeprecationWarning"),
]
__all__ = ["portal_stack"]

CLIENT_ID, CLIENT_SECRET = "plr-portal", "the-test-client-secret-0123456789abcdef"


class Recorder:
    """Keeps what the portal sends the provider's token endpoint (to check the PKCE verifier). The mock
    provider knows client secrets only: with ``assertion_key`` set, this stands in for NHS login's check
    of a client assertion (private_key_jwt), its signature by that key (RS512) and its claims, and passes
    the request on authenticated as the mock knows how, or answers invalid_client itself."""

    def __init__(self, app: Any):
        self.app = app
        self.token_requests: list[dict[str, str]] = []
        self.assertion_key: jwk.RSAKey | None = None

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("PATH_INFO") == "/oauth2/token":
            body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
            self.token_requests.append(form)
            if self.assertion_key is not None:
                token_url = f"http://{environ['HTTP_HOST']}/oauth2/token"
                if not self._assertion_valid(form.get("client_assertion", ""), token_url):
                    start_response("401 UNAUTHORIZED", [("Content-Type", "application/json")])
                    return [b'{"error": "invalid_client"}']
                passed_on = {k: v for k, v in form.items() if not k.startswith("client_assertion")}
                body = urlencode({**passed_on, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}).encode()
                environ["CONTENT_LENGTH"] = str(len(body))
            environ["wsgi.input"] = io.BytesIO(body)
        return self.app(environ, start_response)

    def _assertion_valid(self, assertion: str, token_url: str) -> bool:
        assert self.assertion_key is not None
        try:
            token = jwt.decode(assertion, self.assertion_key, algorithms=["RS512"])
            jwt.JWTClaimsRegistry(
                iss={"essential": True, "value": CLIENT_ID},
                sub={"essential": True, "value": CLIENT_ID},
                aud={"essential": True, "value": token_url},
                exp={"essential": True},
                jti={"essential": True},
            ).validate(token.claims)
        except (JoseError, ValueError):
            return False
        return token.header["alg"] == "RS512"


@pytest.fixture(scope="module")
def provider() -> Iterator[tuple[str, Recorder]]:
    with warnings.catch_warnings():  # its import of Authlib's httpx client warns; the portal uses requests
        warnings.simplefilter("ignore")
        import oidc_provider_mock
    recorder = Recorder(oidc_provider_mock.app(require_nonce=True))
    server = werkzeug.serving.make_server("localhost", 0, recorder, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{server.server_port}", recorder
    finally:
        server.shutdown()
        thread.join(5)
        server.server_close()


@pytest.fixture
def browser(portal_stack: PlrStack, provider: tuple[str, Recorder]) -> FlaskClient:
    issuer, _ = provider
    nhs_login = OidcProvider(NhsLoginSettings(issuer, CLIENT_ID, client_secret=CLIENT_SECRET))
    return portal_app(portal_stack, Clock(), nhs_login).test_client()


def _person(issuer: str, email: str | None, verified: bool) -> str:
    subject = f"nhs-{uuid.uuid4().hex[:12]}"
    claims: dict[str, Any] = {} if email is None else {"email": email, "email_verified": verified}
    assert requests.put(f"{issuer}/users/{quote(subject)}", json=claims, timeout=5).status_code == 204
    return subject


def _leave(browser: FlaskClient) -> str:
    """Follow "Continue with NHS login" on the sign-in page: the provider's authorization URL."""
    page = browser.get("/sign-in")
    assert "Continue with NHS login" in page.get_data(as_text=True)
    assert 'href="/nhs-login"' in page.get_data(as_text=True)
    left = browser.get("/nhs-login")
    assert left.status_code == 303
    return left.headers["Location"]


def _authorize(url: str, subject: str) -> str:
    """The person signs in at the provider: the portal's callback, with the code and state, as a path."""
    answer = requests.post(url, data={"sub": subject}, allow_redirects=False, timeout=5)
    assert answer.status_code == 302, answer.text
    back = urlsplit(answer.headers["Location"])
    return f"{back.path}?{back.query}"


def _main(answer: TestResponse) -> str:
    return answer.get_data(as_text=True).split("<main", 1)[1]


def test_a_person_signs_in_with_nhs_login_by_code_flow_with_pkce_and_a_validated_id_token(
    portal_stack: PlrStack, provider: tuple[str, Recorder], browser: FlaskClient
) -> None:
    issuer, recorder = provider
    address = f"nhs-{uuid.uuid4().hex[:8]}@example.org"
    subject = _person(issuer, address, True)
    url = _leave(browser)
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert url.startswith(issuer + "/oauth2/authorize?") and query["client_id"] == CLIENT_ID
    assert query["code_challenge_method"] == "S256" and query["state"] and query["nonce"]
    assert address not in url

    came_back = browser.get(_authorize(url, subject))
    assert came_back.status_code == 303 and came_back.headers["Location"].endswith("/requests")
    assert signed_in(browser)
    token_request = recorder.token_requests[-1]
    assert token_request["grant_type"] == "authorization_code" and token_request["client_id"] == CLIENT_ID
    assert create_s256_code_challenge(token_request["code_verifier"]) == query["code_challenge"]

    with portal_stack.engine("portal").connect() as c:
        account = c.execute(
            sa.text(
                "SELECT a.email_key, a.password_hash, a.verified_at IS NOT NULL AS verified FROM accounts a "
                "JOIN nhs_logins n USING (account_id) WHERE n.subject = :s"
            ),
            {"s": subject},
        ).one()
    assert account.email_key == address and account.verified and account.password_hash == NO_PASSWORD
    # no password of its own: signing in with one fails like any wrong password
    other = browser.application.test_client()
    assert sign_in(other, address, NO_PASSWORD).status_code == 401

    # the same callback again (its state is used): refused, as a page
    again = browser.get(_authorize(url, subject))
    assert again.status_code == 400 and "expired or was not started here" in _main(again)


def test_with_a_private_key_the_portal_authenticates_by_a_signed_client_assertion_as_nhs_login_asks(
    portal_stack: PlrStack, provider: tuple[str, Recorder]
) -> None:
    issuer, recorder = provider
    key, stranger_key = (jwk.RSAKey.generate_key(2048, private=True) for _ in range(2))
    recorder.assertion_key = jwk.RSAKey.import_key(key.as_dict(private=False))  # what NHS login holds
    try:
        for signing_key, signs_in in ((key, True), (stranger_key, False)):
            pem = signing_key.as_pem(private=True).decode()
            nhs_login = OidcProvider(NhsLoginSettings(issuer, CLIENT_ID, private_key_pem=pem))
            browser = portal_app(portal_stack, Clock(), nhs_login).test_client()
            subject = _person(issuer, f"key-{uuid.uuid4().hex[:8]}@example.org", True)
            answer = browser.get(_authorize(_leave(browser), subject))
            assert signed_in(browser) is signs_in and answer.status_code == (303 if signs_in else 400)
            sent = recorder.token_requests[-1]
            assert "client_secret" not in sent and sent["code_verifier"]
            assert sent["client_assertion_type"] == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    finally:
        recorder.assertion_key = None


def test_a_verified_address_joins_the_local_account_and_the_subject_signs_in_to_it_after(
    portal_stack: PlrStack, provider: tuple[str, Recorder], browser: FlaskClient
) -> None:
    issuer, _ = provider
    address = f"local-{uuid.uuid4().hex[:8]}@example.org"
    password = "a local password of the test"
    register_verified(browser, portal_stack, address, password)
    subject = _person(issuer, address.upper(), True)
    assert browser.get(_authorize(_leave(browser), subject)).status_code == 303
    with portal_stack.engine("portal").connect() as c:
        joined = c.execute(
            sa.text("SELECT count(*) FROM accounts a JOIN nhs_logins n USING (account_id) WHERE a.email_key = :e"),
            {"e": address},
        ).scalar()
    assert joined == 1
    assert sign_in(browser.application.test_client(), address, password).status_code == 303  # keeps its password


def test_an_unverified_address_a_foreign_state_or_a_cancelled_sign_in_is_a_page_that_signs_no_one_in(
    portal_stack: PlrStack, provider: tuple[str, Recorder], browser: FlaskClient
) -> None:
    issuer, _ = provider
    unverified = _person(issuer, f"unverified-{uuid.uuid4().hex[:8]}@example.org", False)
    answer = browser.get(_authorize(_leave(browser), unverified))
    assert answer.status_code == 400 and "did not share a verified email address" in _main(answer)
    assert not signed_in(browser)

    # a callback begun by another browser (a login CSRF): this session never began it
    stranger = browser.application.test_client()
    foreign = stranger.get(_authorize(_leave(browser), _person(issuer, "x@example.org", True)))
    assert foreign.status_code == 400 and not signed_in(stranger)

    cancelled = browser.get("/nhs-login/callback?error=access_denied&state=whatever")
    assert cancelled.status_code == 400 and "You did not sign in with NHS login" in _main(cancelled)
    missing = browser.get("/nhs-login/callback")
    assert missing.status_code == 400 and not signed_in(browser)


def test_a_provider_whose_discovery_names_another_issuer_or_that_is_down_is_a_503_page(
    portal_stack: PlrStack, provider: tuple[str, Recorder]
) -> None:
    issuer, _ = provider
    # issuers compare as exact strings: its discovery document says it is {issuer}, not {issuer}/; nothing
    # listens on port 9
    for configured in (issuer + "/", "http://localhost:9"):
        nhs_login = OidcProvider(NhsLoginSettings(configured, CLIENT_ID, client_secret=CLIENT_SECRET))
        browser = portal_app(portal_stack, Clock(), nhs_login).test_client()
        answer = browser.get("/nhs-login")
        assert answer.status_code == 503 and "NHS login is not available" in _main(answer)


def test_without_nhs_login_settings_there_is_no_button_and_its_addresses_are_not_found(
    portal_stack: PlrStack,
) -> None:
    browser = portal_app(portal_stack, Clock()).test_client()
    page = browser.get("/sign-in")
    assert "NHS login" not in page.get_data(as_text=True)
    assert browser.get("/nhs-login").status_code == 404
    answer = browser.get("/nhs-login/callback?state=a&code=b")
    assert answer.status_code == 404 and "Page not found" in _main(answer)


def test_a_registry_link_followed_before_signing_in_with_nhs_login_joins_the_account_to_its_person(
    portal_stack: PlrStack, provider: tuple[str, Recorder], browser: FlaskClient
) -> None:
    issuer, _ = provider
    leader_id = str(uuid.uuid4())
    address = f"linked-{uuid.uuid4().hex[:8]}@example.org"
    payload = {
        "leader_id": leader_id,
        "affiliation_id": str(uuid.uuid4()),
        "to": signed_links.address_tag("k" * 40, address),
    }
    link = signed_links.sign("k" * 40, signed_links.CONFIRM_AFFILIATION, payload, datetime.now(UTC), timedelta(days=1))
    landed = browser.get(f"/confirm/{link}")
    assert landed.status_code == 200 and "Sign in to answer the trust" in landed.get_data(as_text=True)
    subject = _person(issuer, address, True)
    came_back = browser.get(_authorize(_leave(browser), subject))
    assert came_back.status_code == 303 and came_back.headers["Location"].endswith("/requests")
    with portal_stack.engine("portal").connect() as c:
        joined = c.execute(
            sa.text("SELECT a.leader_id FROM accounts a JOIN nhs_logins n USING (account_id) WHERE n.subject = :s"),
            {"s": subject},
        ).scalar()
    assert str(joined) == leader_id
