"""One person's session never reaches another person's data by changing the values in URLs: signed in
as Mallory, every route of the portal's url_map that takes a value (GET and POST, with Mallory's valid
CSRF token) is given the other person's; nothing of the other person is shown, no form is taken, and
their record and requests do not change. Over HTTP to the web process, as a browser would."""

from __future__ import annotations

import pytest
import requests

from tests.browser.conftest import CSRF, Person, Portal, submit
from tests.browser.pages import ARGUMENTS, routes

pytestmark = [pytest.mark.integration, pytest.mark.e2e]


def test_another_persons_ids_in_urls_reach_nothing_of_theirs(portal: Portal, person: Person) -> None:
    mallory = portal.person("Mallory")
    http = requests.Session()
    signed_in = submit(
        http, f"{portal.url}/sign-in", http.get(f"{portal.url}/sign-in", timeout=10).text, email=mallory.email
    )
    assert signed_in.status_code == 200 and mallory.affiliation_id in signed_in.text
    [token] = CSRF.findall(signed_in.text)[:1]
    before = portal.standing(person.leader_id), portal.leader_version(person.leader_id)
    adapter = portal.app.url_map.bind("portal.invalid")
    tried = []
    for method in ("GET", "POST"):
        for route in routes(portal.app, method):
            if not route.arguments or route.endpoint == "assets":
                continue
            path = adapter.build(route.endpoint, {name: ARGUMENTS[name](person) for name in route.arguments})
            if method == "GET":
                answer = http.get(portal.url + path, timeout=10)
            else:
                answer = http.post(portal.url + path, data={"csrf_token": token}, timeout=10)
            tried.append((method, route.rule, answer.status_code))
            assert answer.status_code < 500, (method, path, answer.status_code)
            shown = [marker for marker in person.markers if marker in answer.text]
            assert not shown, f"{method} {route.rule} showed Mallory {shown}"
            if method == "POST":
                assert answer.status_code >= 400, f"{method} {route.rule} took Mallory's form for the other person"
    assert any(method == "POST" for method, _, _ in tried), tried  # the confirm and decline forms at least
    assert (portal.standing(person.leader_id), portal.leader_version(person.leader_id)) == before
    # and Mallory still sees her own, and only her own
    own = http.get(f"{portal.url}/requests", timeout=10)
    assert mallory.affiliation_id in own.text and person.affiliation_id not in own.text
    http.close()
