"""Every page of the portal (every GET route of its url_map), signed out and signed in as a person
with a trust's request waiting: reached, answered without a server error, 0 axe-core WCAG 2.2 AA
violations at 1280 and 320 px, no horizontal scroll at 320 px (a screenshot of each is kept under
.plr/test-artefacts/browser), no console error (a script or style the CSP refused), and the same page
without JavaScript."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from tests.browser.conftest import ARTEFACTS, Person, Portal
from tests.browser.pages import NARROW, NOT_PAGES, outline, overflow, pages, routes, run_axe

pytestmark = [pytest.mark.integration, pytest.mark.e2e, pytest.mark.browser]

STATES = ("signed-out", "signed-in")
FORMS = "main form[method=post]"
# the fields a person fills in or chooses (not hidden ones, nor buttons)
FILLED = "input:not([type=hidden]):not([type=submit]):not([type=button]), textarea"
EMPTIED = """form => form.querySelectorAll('input:not([type=hidden]):not([type=submit]), textarea').forEach(field => {
    if (field.type === 'checkbox' || field.type === 'radio') field.checked = false; else field.value = '';
})"""
# an error summary's links that lead to no field (WCAG 3.3.1: the message must take the person to it)
BROKEN_ERROR_LINKS = """() => [...document.querySelectorAll('.nhsuk-error-summary a[href^="#"]')]
    .map(a => a.getAttribute('href')).filter(href => !document.getElementById(href.slice(1)))"""
FONTS_FROM_OUTSIDE = re.compile(r"Loading the font 'https://assets\.nhs\.uk/fonts/")


@dataclass
class Visit:
    state: str
    endpoint: str
    path: str
    status: int
    final_path: str
    html: bool
    violations: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  # by viewport width
    width: int = 0
    console_errors: list[str] = field(default_factory=list)
    shown: dict[str, Any] = field(default_factory=dict)
    shown_without_js: dict[str, Any] = field(default_factory=dict)
    status_without_js: int = 0
    kind: str = "page"
    failure: str = ""  # the browser could not load it
    broken_error_links: list[str] = field(default_factory=list)
    title: str = ""

    @property
    def name(self) -> str:
        return f"{self.state} {self.path} ({self.endpoint})"

    @property
    def reached(self) -> bool:
        return self.final_path == self.path


def sign_in(page: Any, portal: Portal, person: Person) -> None:
    page.goto(f"{portal.url}/sign-in")
    page.fill("#email", person.email)
    page.fill("#password", person.password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_load_state()
    assert urlsplit(page.url).path != "/sign-in", f"{person.email} could not sign in: {page.url}"


def _check(page: Any, visit: Visit, errors: list[str], screenshot: str) -> None:
    """The checks of a page the browser shows: axe at both widths, the width at 320 px, a screenshot."""
    page.set_viewport_size({"width": 1280, "height": 900})
    visit.violations[1280] = run_axe(page)
    visit.shown = outline(page)
    page.set_viewport_size({"width": NARROW, "height": 640})
    visit.violations[NARROW] = run_axe(page)
    visit.width = overflow(page)
    page.screenshot(path=str(ARTEFACTS / screenshot), full_page=True)
    visit.console_errors = list(errors)


def _refused_forms(page: Any, portal: Portal, visit: Visit, errors: list[str]) -> list[Visit]:
    """Each form of the page with fields a person fills, sent with them empty: the page that refuses it
    (its error summary and messages) is checked as any page is."""
    found = []
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(portal.url + visit.path)
    for index in range(page.locator(FORMS).count()):
        page.goto(portal.url + visit.path)
        form = page.locator(FORMS).nth(index)
        if form.locator(FILLED).count() == 0:
            continue  # a button (confirm, sign out): the fuzz tests send it anything
        form.evaluate(EMPTIED)
        errors.clear()
        with page.expect_navigation() as navigation:
            form.locator("button, input[type=submit]").first.click()
        response = navigation.value
        refused = Visit(
            visit.state,
            f"{visit.endpoint}, form {index + 1} sent empty",
            visit.path,
            response.status,
            urlsplit(page.url).path,
            True,
            kind="refused form",
        )
        if response.status >= 400:
            _check(page, refused, errors, f"{visit.state}-{visit.endpoint}-form{index + 1}-refused.png")
            refused.broken_error_links = page.evaluate(BROKEN_ERROR_LINKS)
            refused.title = page.title()
        found.append(refused)
    return found


@pytest.fixture(scope="package")
def visits(chromium: Any, portal: Portal, person: Person) -> Iterator[list[Visit]]:
    from playwright.sync_api import Error as PlaywrightError  # installed: the chromium fixture says so

    shutil.rmtree(ARTEFACTS, ignore_errors=True)
    ARTEFACTS.mkdir(parents=True)
    found: list[Visit] = []
    for state in STATES:
        with_js = chromium.new_context(viewport={"width": 1280, "height": 900})
        without_js = chromium.new_context(viewport={"width": 1280, "height": 900}, java_script_enabled=False)
        page, plain = with_js.new_page(), without_js.new_page()
        errors: list[str] = []  # the document's own 4xx status is not one: its resources' are (below)
        page.on(
            "console",
            lambda message, errors=errors: (
                message.type == "error"
                and not message.text.startswith("Failed to load resource")
                and errors.append(message.text)
            ),
        )
        page.on(
            "response",
            lambda response, errors=errors: (
                response.request.resource_type != "document"
                and response.status >= 400
                and errors.append(f"{response.url}: {response.status}")
            ),
        )
        if state == "signed-in":
            sign_in(page, portal, person)
            sign_in(plain, portal, person)
        shown: list[Visit] = []
        for route in pages(portal.app):
            path = route.path(portal.app, person)
            errors.clear()
            page.set_viewport_size({"width": 1280, "height": 900})
            try:
                response = page.goto(portal.url + path)
            except PlaywrightError as failed:  # such as a redirect off this machine (nothing to reach)
                found.append(Visit(state, route.endpoint, path, 0, "", False, failure=str(failed).splitlines()[0]))
                continue
            assert response is not None
            visit = Visit(
                state,
                route.endpoint,
                path,
                response.status,
                urlsplit(page.url).path,
                (response.headers.get("content-type") or "").startswith("text/html"),
            )
            found.append(visit)
            if not visit.html or visit.status >= 500:
                continue
            _check(page, visit, errors, f"{state}-{route.endpoint}.png")
            plain_response = plain.goto(portal.url + path)
            visit.status_without_js = plain_response.status if plain_response is not None else 0
            visit.shown_without_js = outline(plain)
            if visit.reached and visit.status < 400:
                shown.append(visit)
        for visit in shown:  # last: a form sent empty may change what a later page shows
            found += _refused_forms(page, portal, visit, errors)
        with_js.close()
        without_js.close()
    yield found


def test_every_get_route_is_a_page_reached_or_is_listed_as_not_a_page(portal: Portal, visits: list[Visit]) -> None:
    reached = {visit.endpoint for visit in visits if visit.reached and visit.html and visit.kind == "page"}
    not_reached = [
        f"{route.rule} (went to {[v.final_path or v.failure for v in visits if v.endpoint == route.endpoint]})"
        for route in pages(portal.app)
        if route.endpoint not in reached
    ]
    assert not not_reached, (
        f"GET routes reached neither signed out nor signed in: {not_reached}; give the value that reaches "
        "them in tests/browser/pages.py (ARGUMENTS), or list them in NOT_PAGES with why they are not pages"
    )
    assert {route.endpoint for route in routes(portal.app, "GET")} >= set(NOT_PAGES), "NOT_PAGES names a route gone"
    for endpoint in NOT_PAGES:  # not pages, but answered (signed out)
        [route] = [route for route in routes(portal.app, "GET") if route.endpoint == endpoint]
        path = route.rule if not route.arguments else route.rule.replace("<path:name>", "nhsuk-frontend.min.css")
        assert requests.get(portal.url + path, timeout=10).status_code < 500, path


def test_no_page_answers_with_a_server_error(visits: list[Visit]) -> None:
    failed = [f"{visit.name}: {visit.status}" for visit in visits if visit.status >= 500]
    failed += [f"{visit.name}: {visit.failure}" for visit in visits if visit.failure]
    failed += [
        f"{visit.name}: {visit.status_without_js} without JavaScript"
        for visit in visits
        if visit.status_without_js >= 500
    ]
    assert not failed


def test_every_page_has_no_accessibility_violation(visits: list[Visit]) -> None:
    failed = {
        f"{visit.name} at {width}px": found for visit in visits for width, found in visit.violations.items() if found
    }
    assert not failed, failed
    assert any(visit.violations for visit in visits), "no page was checked"


def test_every_page_fits_320_px_without_a_horizontal_scroll(visits: list[Visit]) -> None:
    checked = [visit for visit in visits if visit.violations]
    wide = [f"{visit.name}: {visit.width}px" for visit in checked if visit.width > NARROW]
    assert not wide, f"wider than {NARROW}px (screenshots in {ARTEFACTS}): {wide}"
    assert len(list(ARTEFACTS.glob("*.png"))) == len(checked), "a page checked has no screenshot"


def test_no_page_has_a_console_error(visits: list[Visit]) -> None:
    failed = {
        visit.name: errors
        for visit in visits
        if (errors := [error for error in visit.console_errors if not FONTS_FROM_OUTSIDE.search(error)])
    }
    assert not failed, failed


def test_no_page_asks_for_a_font_from_outside_the_portal(visits: list[Visit]) -> None:
    failed = {visit.name for visit in visits if any(FONTS_FROM_OUTSIDE.search(e) for e in visit.console_errors)}
    assert not failed, failed


def test_every_refused_form_names_each_problem_and_leads_to_its_field(visits: list[Visit]) -> None:
    refused = [visit for visit in visits if visit.kind == "refused form" and visit.status >= 400]
    broken = {visit.name: visit.broken_error_links for visit in refused if visit.broken_error_links}
    assert not broken, f"error summary links to no field: {broken}"
    # the title is read first: it says at once that the form was not taken
    untold = {visit.name: visit.title for visit in refused if not visit.title.startswith("Error: ")}
    assert not untold, f"a refused form's page title does not begin 'Error: ': {untold}"
    assert refused, "no form was refused: the sign-in and register forms are refused when sent empty"


def test_every_page_is_the_same_without_javascript(visits: list[Visit]) -> None:
    checked = [visit for visit in visits if visit.violations and visit.kind == "page"]
    differ = {
        visit.name: (visit.shown, visit.shown_without_js)
        for visit in checked
        if visit.shown != visit.shown_without_js or visit.status_without_js != visit.status
    }
    assert not differ, differ
    assert all(visit.shown["h1"] for visit in checked), [v.name for v in checked if not v.shown["h1"]]


def test_the_checks_find_what_they_look_for(chromium: Any) -> None:
    """The page checks themselves, on a page made to fail them: a harness that saw nothing would pass
    every page."""
    context = chromium.new_context(viewport={"width": NARROW, "height": 640})
    page = context.new_page()
    page.set_content(
        '<html lang="en"><head><title>t</title></head><body><main><h1>t</h1><img src="data:,">'
        '<input id="unlabelled"><div style="width: 600px">wide</div></main></body></html>'
    )
    found = {violation["id"] for violation in run_axe(page)}
    assert {"image-alt", "label"} <= found, found
    assert overflow(page) > NARROW
    context.close()
