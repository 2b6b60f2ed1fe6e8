"""Resetting a forgotten password, through the web application on real PostgreSQL and the mail
catcher: the link arrives by mail, sets a password once, every session of the account ends; an
unknown address gets the same page and no mail; requests are limited per address and per client."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from services.common import signed_links
from services.portal.domain.resets import RESET_REQUESTS_PER_CLIENT, RESET_REQUESTS_PER_EMAIL
from services.portal.tests.integration.web_app import (
    Clock,
    mailed_link,
    mails,
    portal_app,
    portal_stack,
    post,
    register_verified,
    sign_in,
    signed_in,
)
from tests.support.infra import PlrStack

pytestmark = pytest.mark.integration
__all__ = ["portal_stack"]

OLD, NEW = "old password of the test 1", "a brand new password of the test"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def browsers(portal_stack: PlrStack, clock: Clock) -> Iterator[list[FlaskClient]]:
    app = portal_app(portal_stack, clock)
    clients = [app.test_client() for _ in range(3)]
    for n, client in enumerate(clients):
        client.environ_base["REMOTE_ADDR"] = f"192.0.2.{n + 1}"
    yield clients


def _address() -> str:
    return f"reset-{uuid.uuid4().hex[:8]}@example.org"


def _ask(client: FlaskClient, address: str) -> tuple[int, str]:
    answer = post(client, "/forgot-password", client.get("/forgot-password"), email=address)
    return answer.status_code, answer.get_data(as_text=True).split("<main", 1)[1]


def test_a_reset_link_sets_a_new_password_once_and_signs_the_account_out_everywhere(
    portal_stack: PlrStack, browsers: list[FlaskClient]
) -> None:
    phone, laptop, kiosk = browsers
    address = _address()
    register_verified(phone, portal_stack, address, OLD)
    assert sign_in(phone, address, OLD).status_code == 303 and sign_in(laptop, address, OLD).status_code == 303
    assert signed_in(phone) and signed_in(laptop)
    assert "Forgot your password?" in kiosk.get("/sign-in").get_data(as_text=True)

    status, page = _ask(kiosk, address.upper())
    assert status == 200 and "If the address has an account" in page
    link = mailed_link(portal_stack, address, "Reset your password")
    token = link.rsplit("/", 1)[1]
    with portal_stack.engine("portal").connect() as c:  # the link is kept only as its digest
        kept = c.execute(sa.text("SELECT token_digest FROM reset_tokens")).scalars().all()
    assert signed_links.digest(token) in kept and token not in kept

    form = kiosk.get(link)
    assert form.status_code == 200 and "Choose a new password" in form.get_data(as_text=True)
    assert signed_in(phone)  # opening the link changed nothing
    weak = post(kiosk, link, form, password="password1234")
    assert weak.status_code == 400 and "too common" in weak.get_data(as_text=True)
    done = post(kiosk, link, form, password=NEW)
    assert done.status_code == 200 and "Your password is changed" in done.get_data(as_text=True)
    assert not signed_in(phone) and not signed_in(laptop)

    assert sign_in(kiosk, address, OLD).status_code == 401
    assert sign_in(kiosk, address, NEW).status_code == 303
    again = kiosk.get(link)
    assert again.status_code == 400 and "This link cannot be used" in again.get_data(as_text=True)
    reused = post(kiosk, link, form, password="yet another password of the test")
    assert reused.status_code == 400
    assert sign_in(laptop, address, NEW).status_code == 303


def test_an_unknown_address_gets_the_same_page_and_no_mail(portal_stack: PlrStack, browsers: list[FlaskClient]) -> None:
    known, unknown = _address(), _address()
    register_verified(browsers[0], portal_stack, known, OLD)
    known_page, unknown_page = _ask(browsers[1], known), _ask(browsers[1], unknown)
    mailed_link(portal_stack, known, "Reset your password")
    assert known_page == unknown_page  # the same status and the same words
    assert mails(portal_stack, unknown, "") == []


def test_an_expired_link_is_refused(portal_stack: PlrStack, browsers: list[FlaskClient], clock: Clock) -> None:
    from datetime import timedelta

    address = _address()
    register_verified(browsers[0], portal_stack, address, OLD)
    _ask(browsers[0], address)
    link = mailed_link(portal_stack, address, "Reset your password")
    clock.advance(timedelta(hours=1, seconds=1))
    assert browsers[0].get(link).status_code == 400


def test_reset_requests_are_limited_per_address_and_per_client(
    portal_stack: PlrStack, browsers: list[FlaskClient]
) -> None:
    address = _address()  # no account: the limit says nothing of whether there is one
    for n in range(RESET_REQUESTS_PER_EMAIL):
        assert _ask(browsers[n % 3], address)[0] == 200
    status, page = _ask(browsers[0], address)
    assert status == 429 and "too many requests" in page

    busy = browsers[2]
    busy.environ_base["REMOTE_ADDR"] = "198.51.100.20"
    for _ in range(RESET_REQUESTS_PER_CLIENT):
        assert _ask(busy, _address())[0] == 200
    assert _ask(busy, _address())[0] == 429
    assert _ask(browsers[1], _address())[0] == 200  # another client still may


def test_a_mail_server_that_fails_changes_no_answer_and_logs_no_address(
    portal_stack: PlrStack, caplog: pytest.LogCaptureFixture
) -> None:
    from services.common.mail import SmtpMailer, smtp_url
    from services.portal.entrypoints.password_reset import MailedInBackground
    from services.portal.entrypoints.web import SmtpPortalMailer
    from tests.support.infra import wait_for

    nowhere = SmtpPortalMailer(SmtpMailer(smtp_url("smtp://127.0.0.1:9"), "Portal <p@plr.invalid>", timeout_s=2))
    with caplog.at_level(logging.WARNING):
        MailedInBackground(nowhere).send_password_reset("ada@example.org", "http://localhost/reset-password/x")
        wait_for(lambda: "was not mailed" in caplog.text, timeout=10, message="the failure logged")
    assert "ada@example.org" not in caplog.text and "reset-password/x" not in caplog.text


def test_deleting_an_account_forgets_its_reset_links_and_requests(
    portal_stack: PlrStack, browsers: list[FlaskClient]
) -> None:
    from services.portal.adapters.store import SqlAccountStore
    from services.portal.domain.resets import email_digest

    address = _address()
    register_verified(browsers[0], portal_stack, address, OLD)
    _ask(browsers[0], address)
    mailed_link(portal_stack, address, "Reset your password")
    store = SqlAccountStore(portal_stack.engine("portal"))
    account = store.by_email(address)
    assert account is not None
    count = "SELECT (SELECT count(*) FROM reset_requests WHERE email_digest = :d), (SELECT count(*) FROM reset_tokens)"
    with portal_stack.engine("portal").connect() as c:
        requests_before, _ = c.execute(sa.text(count), {"d": email_digest(address)}).one()
    assert requests_before == 1
    store.delete_account(account.account_id)
    with portal_stack.engine("portal").connect() as c:
        requests_after = c.execute(sa.text(count), {"d": email_digest(address)}).one()[0]
        tokens = c.execute(
            sa.text("SELECT count(*) FROM reset_tokens WHERE account_id = :a"), {"a": account.account_id}
        ).scalar()
    assert requests_after == 0 and tokens == 0
