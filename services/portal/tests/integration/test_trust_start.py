"""Per-trust start pages (/t/<ods>/) on real PostgreSQL: the trust's name from the portal's projection of
the registry's trust events (applied here through the inbox, as the portal's worker applies them), the
same journeys as the start page; an unknown, suspended or offboarded trust, or a code that is no code, is
a "cannot find this trust" page (404), never a 500. Every other error is a page of the same kind."""

from __future__ import annotations

import logging
from typing import Any

import grpc
import pytest
import sqlalchemy as sa

from services.common.events import CloudEvent
from services.common.inbox import InboxConsumer
from services.common.mail import SmtpMailer, smtp_url
from services.portal.adapters.registry import RegistryClient
from services.portal.adapters.store import SqlAccountStore, SqlSessions
from services.portal.adapters.trust_names import TRUST_NAME_EVENTS, trust_name_handlers
from services.portal.entrypoints.web import SmtpPortalMailer, make_app
from services.portal.service_layer.ports import TrustNames
from services.portal.tests.integration.web_app import Clock, portal_app, portal_stack
from tests.support.infra import PlrStack

pytestmark = pytest.mark.integration
__all__ = ["portal_stack"]


def _trust_event(ods: str, kind: str, version: int, **data: Any) -> CloudEvent:
    return CloudEvent(
        type=f"plr.registry.trust.{kind}.v1",
        source="plr/registry",
        data={"ods": ods, **data},
        aggregate_type="trust",
        aggregate_id=ods,
        aggregate_version=version,
        trust_ods=ods,
    )


def _main(html: str) -> str:
    return html.split("<main", 1)[1].split("</main>", 1)[0]


def test_a_trust_s_start_page_names_it_while_it_is_active(portal_stack: PlrStack) -> None:
    inbox = InboxConsumer("portal.trust-names", portal_stack.engine("portal"), trust_name_handlers())
    assert TRUST_NAME_EVENTS.bindings and all(b.startswith("registry.trust.") for b in TRUST_NAME_EVENTS.bindings)
    onboarded = _trust_event("RTS1", "onboarded", 1, name="Riverside & Hills NHS Trust")
    inbox.apply_once(onboarded)
    inbox.apply_once(onboarded)  # a redelivery changes nothing
    inbox.apply_once(_trust_event("RTS2", "onboarded", 1, name="Another NHS Trust"))
    browser = portal_app(portal_stack, Clock()).test_client()

    page = browser.get("/t/RTS1/")
    main = _main(page.get_data(as_text=True))
    assert page.status_code == 200 and "Riverside &amp; Hills NHS Trust" in main  # escaped, as every value
    assert "Another NHS Trust" not in main
    for journey in ("/sign-in", "/register"):
        assert f'href="{journey}"' in main
    assert browser.get("/t/rts1/").status_code == 200  # the code in any case
    assert browser.get("/t/RTS1").status_code in (301, 308)  # to the page with its slash

    inbox.apply_once(_trust_event("RTS1", "suspended", 3))
    assert browser.get("/t/RTS1/").status_code == 404
    inbox.apply_once(_trust_event("RTS1", "resumed", 4))
    assert browser.get("/t/RTS1/").status_code == 200
    inbox.apply_once(_trust_event("RTS1", "suspended", 2))  # older than what the portal knows: ignored
    assert browser.get("/t/RTS1/").status_code == 200
    inbox.apply_once(_trust_event("RTS1", "offboarded", 5))
    gone = browser.get("/t/RTS1/")
    assert gone.status_code == 404 and "We cannot find this trust" in gone.get_data(as_text=True)
    with portal_stack.engine("portal").connect() as c:  # names and statuses only: no key is kept
        columns = set(c.execute(sa.text("SELECT * FROM trusts LIMIT 0")).keys())
    assert columns == {"trust_ods", "name", "status", "version", "created_at", "updated_at"}


@pytest.mark.parametrize("code", ["ZZZ99", "R", "a-b", "%00", "x" * 300, "RTS1%27--", "..%2F..", "<script>"])
def test_an_unknown_trust_or_a_code_that_is_no_code_is_a_page_saying_so(portal_stack: PlrStack, code: str) -> None:
    answer = portal_app(portal_stack, Clock()).test_client().get(f"/t/{code}/")
    html = answer.get_data(as_text=True)
    assert answer.status_code == 404, html
    assert "nhsuk-header" in html and ("We cannot find this trust" in html or "Page not found" in html)
    assert "<script>" not in _main(html)


def test_every_error_is_an_nhs_page_with_its_status(portal_stack: PlrStack) -> None:
    browser = portal_app(portal_stack, Clock()).test_client()
    for answer, status, words in (
        (browser.get("/no-such-page"), 404, "Page not found"),
        (browser.post("/sign-in", data={"email": "a@example.org"}), 400, "the form has expired"),
        (browser.delete("/sign-in"), 405, "Sorry, this cannot be done"),
    ):
        html = answer.get_data(as_text=True)
        assert answer.status_code == status and words in html and "nhsuk-header" in html, html
        assert answer.headers["Content-Security-Policy"].startswith("default-src 'self'")


class BrokenTrustNames(TrustNames):
    def active_trust_name(self, ods: str) -> str | None:
        raise RuntimeError("ada@example.org was here")  # an error whose text holds personal data


def test_an_unforeseen_error_is_a_500_page_that_names_no_cause_and_logs_none_of_its_text(
    portal_stack: PlrStack, caplog: pytest.LogCaptureFixture
) -> None:
    engine = portal_stack.engine("portal")
    broken = make_app(
        SqlAccountStore(engine),
        SqlSessions(engine),
        SmtpPortalMailer(SmtpMailer(smtp_url(portal_stack.env["PLR_PORTAL_SMTP_URL"]), "Portal <p@plr.invalid>")),
        RegistryClient(grpc.insecure_channel("127.0.0.1:9"), "never-called-" * 3),
        confirm_link_key="k" * 40,
        public_url="http://localhost",
        production=False,
        trust_names=BrokenTrustNames(),
    )
    with caplog.at_level(logging.INFO):
        answer = broken.test_client().get("/t/RJ1/")
    html = answer.get_data(as_text=True)
    assert answer.status_code == 500 and "Sorry, there is a problem with the service" in html
    assert "ada@example.org" not in html and "RuntimeError" not in html
    assert "RuntimeError" in caplog.text and "ada@example.org" not in caplog.text
