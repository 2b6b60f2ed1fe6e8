"""The ways in through the web application on fakes: a trust's start page by its name (an unknown,
inactive or malformed code a 404 page, never looked up when it cannot be a code), "forgot your
password" answering an address with and without an account alike, and NHS login absent when off."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import grpc
import pytest
from flask.testing import FlaskClient

from services.portal.adapters.registry import RegistryClient
from services.portal.domain.accounts import Account
from services.portal.service_layer.ports import PortalMailer, TrustNames
from services.portal.tests.unit.test_accounts import FakeStore

NOW = datetime(2026, 12, 2, 9, tzinfo=UTC)
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class FakeTrustNames(TrustNames):
    """Active trusts' names, as the portal's projection keeps them; records each code looked up."""

    active: dict[str, str] = field(default_factory=dict)
    asked: list[str] = field(default_factory=list)

    def active_trust_name(self, ods: str) -> str | None:
        self.asked.append(ods)
        return self.active.get(ods)


@dataclass
class FakeMailer(PortalMailer):
    sent: list[tuple[str, str]] = field(default_factory=list)

    def send_verification(self, to: str, url: str) -> None:
        self.sent.append((to, url))

    def send_password_reset(self, to: str, url: str) -> None:
        self.sent.append((to, url))


Web = tuple[FlaskClient, FakeTrustNames, FakeMailer]


@pytest.fixture
def web() -> Iterator[Web]:
    from services.portal.entrypoints.web import make_app
    from services.portal.tests.unit.test_nhs_login import FakeNhsLogins
    from services.portal.tests.unit.test_profile_pages import FakeSessions  # imports this module: here, late
    from services.portal.tests.unit.test_resets import FakeResets

    store, trusts, mailer = (
        FakeStore(),
        FakeTrustNames({"RJ1": "Guy's & St Thomas' NHS Foundation Trust"}),
        FakeMailer(),
    )
    store.accounts["acc-ada"] = Account("acc-ada", "ada@example.org", "$argon2id$x", True, None)
    channel = grpc.insecure_channel("127.0.0.1:9")  # never called by these pages
    app = make_app(
        store,  # type: ignore[arg-type]
        FakeSessions(),  # type: ignore[arg-type]
        mailer,
        RegistryClient(channel, "unused"),
        confirm_link_key="k" * 40,
        public_url="http://localhost",
        production=False,
        clock=lambda: NOW,
        resets=FakeResets(store),
        nhs_logins=FakeNhsLogins(store),
        trust_names=trusts,
    )
    yield app.test_client(), trusts, mailer
    channel.close()


def _main(html: str) -> str:
    return html.split("<main", 1)[1].split("</main>", 1)[0]


def test_a_trust_s_page_names_it_and_offers_the_same_journeys(web: Web) -> None:
    client, trusts, _ = web
    page = client.get("/t/rj1/")
    main = _main(page.get_data(as_text=True))
    assert page.status_code == 200 and "Guy&#39;s &amp; St Thomas&#39; NHS Foundation Trust" in main
    assert 'href="/sign-in"' in main and 'href="/register"' in main and "NHS login" not in main
    assert trusts.asked == ["RJ1"]


@pytest.mark.parametrize("code", ["RXX", "R-J1", "x" * 11, "RJ1 ", "%F0%9F%98%80"])
def test_an_unknown_or_impossible_code_is_a_404_page(web: Web, code: str) -> None:
    client, trusts, _ = web
    answer = client.get(f"/t/{code}/")
    assert answer.status_code == 404 and "We cannot find this trust" in answer.get_data(as_text=True)
    assert all(asked.isalnum() and len(asked) <= 10 for asked in trusts.asked)


def test_forgot_password_answers_an_address_with_and_without_an_account_alike(web: Web) -> None:
    client, _, mailer = web
    form = client.get("/forgot-password")
    [token] = CSRF.findall(form.get_data(as_text=True))
    answers = [
        client.post("/forgot-password", data={"csrf_token": token, "email": email})
        for email in ("ada@example.org", "nobody@example.org")
    ]
    assert [a.status_code for a in answers] == [200, 200]
    assert _main(answers[0].get_data(as_text=True)) == _main(answers[1].get_data(as_text=True))
    from tests.support.infra import wait_for

    wait_for(lambda: mailer.sent, message="the reset link sent (on its own thread)")
    assert [to for to, _ in mailer.sent] == ["ada@example.org"]
    assert client.get("/nhs-login").status_code == 404  # NHS login is off here


def test_the_stylesheet_is_served_without_fonts_from_outside_the_portal(web: Web) -> None:
    """nhsuk-frontend's stylesheet names Frutiger on assets.nhs.uk, which the CSP refuses: served without."""
    client, _, _ = web
    served = client.get("/assets/nhsuk/nhsuk-frontend.min.css")
    assert served.status_code == 200 and served.mimetype == "text/css"
    css = served.get_data(as_text=True)
    assert "assets.nhs.uk" not in css and "@font-face" not in css
    assert ".nhsuk-header" in css and "Frutiger W01" in css  # the rest, with the font stack's fallback
    from services.portal.entrypoints.web import FRONTEND

    assert "assets.nhs.uk" in (FRONTEND / "nhsuk-frontend.min.css").read_text()  # what it was served without
