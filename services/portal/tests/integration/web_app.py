"""The portal's web application on this run's PostgreSQL and mail catcher, for integration tests: the
real stores, sessions and SMTP mailer; the registry is never called by the pages these tests open."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from services.common.admin.mail_catcher import caught
from services.common.mail import SmtpMailer, smtp_url
from services.portal.adapters.registry import RegistryClient
from services.portal.adapters.store import SqlAccountStore, SqlSessions
from services.portal.entrypoints.web import SmtpPortalMailer, make_app
from services.portal.service_layer.ports import IdentityProvider
from tests.support.infra import Infra, PlrStack, plr_stack, wait_for

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Clock:
    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, by: timedelta) -> None:
        self.now += by


@pytest.fixture(scope="module")
def portal_stack(infra: Infra) -> Iterator[PlrStack]:
    with plr_stack(infra, services=("portal",)) as stack:
        yield stack


def portal_app(stack: PlrStack, clock: Clock, nhs_login: IdentityProvider | None = None) -> Flask:
    engine = stack.engine("portal")
    mailer = SmtpPortalMailer(SmtpMailer(smtp_url(stack.env["PLR_PORTAL_SMTP_URL"]), "Portal <no-reply@plr.invalid>"))
    registry = RegistryClient(grpc.insecure_channel("127.0.0.1:9"), "never-called-" * 3)
    return make_app(
        SqlAccountStore(engine),
        SqlSessions(engine),
        mailer,
        registry,
        confirm_link_key="k" * 40,
        public_url="http://localhost",
        production=False,
        clock=clock,
        nhs_login=nhs_login,
    )


def post(client: FlaskClient, url: str, page: TestResponse, **fields: str) -> TestResponse:
    """A form as a browser sends it: with the CSRF token of the page it is on."""
    [token] = CSRF.findall(page.get_data(as_text=True))[:1]
    return client.post(url, data={"csrf_token": token, **fields})


def mails(stack: PlrStack, to: str, subject: str) -> list[str]:
    return [m.body for m in caught(Path(stack.env["PLR_MAIL_DIR"])) if m.to == to and subject in m.subject]


def mailed_link(stack: PlrStack, to: str, subject: str, count: int = 1) -> str:
    """The path of the link in the ``count``-th such mail (waited for)."""
    wait_for(lambda: len(mails(stack, to, subject)) >= count, timeout=10, message=f"mail {subject!r}")
    [url] = re.findall(r"http://localhost(/\S+)", mails(stack, to, subject)[count - 1])
    return str(url)


def register_verified(client: FlaskClient, stack: PlrStack, address: str, password: str) -> None:
    form = client.get("/register")
    made = post(client, "/register", form, email=address, password=password)
    assert made.status_code == 200, made.get_data(as_text=True)
    assert client.get(mailed_link(stack, address, "Confirm your email address")).status_code == 200


def sign_in(client: FlaskClient, address: str, password: str) -> TestResponse:
    return post(client, "/sign-in", client.get("/sign-in"), email=address, password=password)


def signed_in(client: FlaskClient) -> bool:
    """Whether the client's session is signed in (the requests page answers rather than sending it away)."""
    answer = client.get("/requests")
    return not (answer.status_code == 303 and answer.headers["Location"].endswith("/sign-in"))
