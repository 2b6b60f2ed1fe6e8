"""Every form of the portal fuzzed (hypothesis, through the Flask test client of the same application
the web process serves, on the real databases and registry): every POST route of its url_map, signed
out and signed in, with its fields random, missing, over-long, in any script or with control
characters, its URL's values the person's own, another person's or anything, and a valid CSRF token.
Never a server error; and a form that is refused changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.portal.entrypoints.web import COOKIE
from tests.browser.conftest import Person, Portal
from tests.browser.forms import csrf_token, form_fields, kept_tables, portal_state
from tests.browser.pages import ARGUMENTS, Route, routes

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

EXAMPLES_PER_FORM = 15
ANY_TEXT = st.text(max_size=80)  # every Unicode category but surrogates: control characters, NUL, RTL...
VALUES = st.one_of(
    ANY_TEXT,
    st.text(alphabet=st.characters(codec="ascii"), min_size=4_000, max_size=20_000),  # over-long
    st.emails(),
    st.sampled_from(["", " ", "\x00", "\r\n", "' OR 1=1 --", "<script>alert(1)</script>", "%00", "../../etc"]),
    st.lists(ANY_TEXT, min_size=2, max_size=3),  # the field sent more than once
)


def _signed_in(portal: Portal, person: Person) -> FlaskClient:
    client = portal.app.test_client()
    token = csrf_token(portal.app, client, person)
    answer = client.post("/sign-in", data={"csrf_token": token, "email": person.email, "password": person.password})
    assert answer.status_code == 303, answer.get_data(as_text=True)
    return client


@pytest.fixture(scope="module")
def fuzzed(portal: Portal) -> Person:
    """The person the signed-in forms are fuzzed as (their request may be answered by chance)."""
    return portal.person("Grace")


@pytest.mark.parametrize("state", ["signed-out", "signed-in"])
def test_every_form_answers_any_input_without_a_server_error_and_a_refused_one_changes_nothing(
    portal: Portal, person: Person, fuzzed: Person, state: str
) -> None:
    app = portal.app
    tables = kept_tables(portal)
    post_routes = routes(app, "POST")
    assert post_routes, "the portal has no forms"
    client: FlaskClient = _signed_in(portal, fuzzed) if state == "signed-in" else app.test_client()
    fields = form_fields(app, client, fuzzed)
    tried: dict[str, int] = {}
    tokens: dict[str, str] = {}  # by session: a session's token does not change

    def token() -> str:
        cookie = client.get_cookie(COOKIE)
        if cookie is None or cookie.value not in tokens:
            found = csrf_token(app, client, fuzzed)
            cookie = client.get_cookie(COOKIE)
            assert cookie is not None
            tokens[cookie.value] = found
        return tokens[cookie.value]

    def fuzz(route: Route) -> None:
        own_or_others = {
            name: st.one_of(
                st.just(ARGUMENTS[name](fuzzed)), st.just(ARGUMENTS[name](person)), st.text(min_size=1, max_size=40)
            )
            for name in route.arguments
        }
        known = sorted(fields.get(route.endpoint, set()))

        @settings(
            max_examples=EXAMPLES_PER_FORM,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
            database=None,
        )
        @given(
            values=st.fixed_dictionaries({}, optional={name: VALUES for name in known}),  # any may be missing
            extra=st.dictionaries(ANY_TEXT, VALUES, max_size=3),
            arguments=st.fixed_dictionaries(own_or_others),
        )
        def post(values: dict[str, Any], extra: dict[str, Any], arguments: dict[str, str]) -> None:
            nonlocal client
            if state == "signed-in" and client.get_cookie(COOKIE) is None:  # a form signed them out
                client = _signed_in(portal, fuzzed)
            path = str(app.url_map.bind("localhost").build(route.endpoint, arguments))
            data = {**extra, **values, "csrf_token": token()}
            before = portal_state(portal, tables, [person, fuzzed])
            answer = client.post(path, data=data)
            assert answer.status_code < 500, (route.rule, path, answer.status_code, answer.get_data(as_text=True))
            after = portal_state(portal, tables, [person, fuzzed])
            if answer.status_code >= 400:
                assert after == before, (route.rule, answer.status_code)
            if state == "signed-out":  # no one's record or requests change but by the person signed in
                assert [after[p.leader_id] for p in (person, fuzzed)] == [before[p.leader_id] for p in (person, fuzzed)]
            tried[route.rule] = tried.get(route.rule, 0) + 1

        post()

    for route in post_routes:
        fuzz(route)
    assert set(tried) == {route.rule for route in post_routes}, tried
    # the other person's request was never theirs to answer
    assert set(portal.standing(person.leader_id).values()) == {"pending", "sent"}
