"""Every form and address of password reset, NHS login and trust pages, fuzzed (hypothesis) through the
web application on real PostgreSQL: whatever is sent, the answer is a page below 500."""

from __future__ import annotations

from urllib.parse import quote, urlencode

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.test import TestResponse

from services.portal.adapters.nhs_login import NhsLoginSettings, OidcProvider
from services.portal.tests.integration.web_app import CSRF, Clock, portal_app, portal_stack
from tests.support.infra import PlrStack

pytestmark = pytest.mark.integration
__all__ = ["portal_stack"]

ANY_TEXT = st.text(max_size=300)
FUZZ = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def app(portal_stack: PlrStack) -> Flask:
    nhs_login = OidcProvider(NhsLoginSettings("http://localhost:9", "plr-portal", client_secret="s" * 40))
    return portal_app(portal_stack, Clock(), nhs_login)


def _a_page(answer: TestResponse) -> bool:
    """Below 500, and a page of the portal's (or a redirect: werkzeug's to a path without doubled slashes)."""
    if answer.status_code in (301, 308):
        return True
    return answer.status_code < 500 and "nhsuk-header" in answer.get_data(as_text=True)


@FUZZ
@given(email=ANY_TEXT, password=ANY_TEXT, token=ANY_TEXT.filter(lambda t: t.strip("./") != ""))
def test_the_reset_forms_answer_every_input_with_a_page(app: Flask, email: str, password: str, token: str) -> None:
    browser = app.test_client()
    browser.environ_base["REMOTE_ADDR"] = "203.0.113.5"
    form = browser.get("/forgot-password")
    [csrf] = CSRF.findall(form.get_data(as_text=True))[:1]
    assert _a_page(browser.post("/forgot-password", data={"csrf_token": csrf, "email": email}))
    path = f"/reset-password/{quote(token, safe='')}"
    assert _a_page(browser.get(path))
    assert _a_page(browser.post(path, data={"csrf_token": csrf, "password": password}))


@FUZZ
@given(ods=ANY_TEXT, query=st.dictionaries(st.sampled_from(["state", "code", "error", "x"]), ANY_TEXT, max_size=4))
def test_trust_pages_and_the_nhs_login_callback_answer_every_input_with_a_page(
    app: Flask, ods: str, query: dict[str, str]
) -> None:
    browser = app.test_client()
    assert _a_page(browser.get(f"/t/{quote(ods, safe='')}/"))
    answer = browser.get(f"/nhs-login/callback?{urlencode(query)}")
    assert answer.status_code == 400 and "nhsuk-header" in answer.get_data(as_text=True)
