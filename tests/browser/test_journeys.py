"""The person's journeys in the browser: registered by a trust, they follow its email, create an
account, confirm their address from the portal's email, sign in and confirm the trust, without
JavaScript; and the same confirmation with the keyboard alone (Tab and Enter), each step's focus seen."""

from __future__ import annotations

from typing import Any

import pytest
from plr.registry.v1 import leaders_pb2 as lpb

from services.common.grpc_client import bearer
from tests.browser.conftest import TRUST_ODS, Person, Portal

pytestmark = [pytest.mark.integration, pytest.mark.e2e, pytest.mark.browser]

TABS_AT_MOST = 60  # a page whose control is further than this from the last is not usable by keyboard


def _main(page: Any) -> str:
    text: str = page.inner_text("main")
    return text


def _trust_sees(portal: Portal, leader_id: str) -> str:
    seen = portal.registry().GetLeader(
        lpb.GetLeaderRequest(leader_id=leader_id), metadata=bearer(portal.trust_key), timeout=10
    )
    return str(seen.profile.given_name)


def test_a_person_follows_the_trusts_email_signs_up_and_confirms_it_without_javascript(
    chromium: Any, portal: Portal
) -> None:
    email, leader_id, affiliation_id, claim = portal.registered_by_trust("Mary")
    context = chromium.new_context(java_script_enabled=False)
    page = context.new_page()

    assert page.goto(claim).status == 200
    assert "Sign in to answer the trust" in _main(page)
    page.get_by_role("link", name="Create an account").click()
    page.fill("#email", email)
    page.fill("#password", "password1234")
    page.get_by_role("button", name="Create account").click()
    assert "too common" in page.inner_text(".nhsuk-error-summary")  # the error summary names the field
    assert page.get_attribute("#password", "aria-describedby") == "password-hint password-error"
    page.fill("#password", "seacole crimea lantern 1854")
    page.get_by_role("button", name="Create account").click()
    assert "Check your email" in _main(page)

    page.goto(portal.link_in(portal.mail(email, "Confirm your email address")))
    assert "Your email address is confirmed" in _main(page)
    page.get_by_role("link", name="Sign in").click()
    page.fill("#email", email)
    page.fill("#password", "seacole crimea lantern 1854")
    page.get_by_role("button", name="Sign in", exact=True).click()
    assert f"{TRUST_ODS} NHS Trust ({TRUST_ODS})" in _main(page)
    assert portal.affiliations(leader_id)[affiliation_id] == "pending"
    page.get_by_role("button", name=f"Confirm {TRUST_ODS} NHS Trust").click()
    assert "You confirmed the trust" in _main(page)
    assert portal.affiliations(leader_id)[affiliation_id] == "active"
    assert _trust_sees(portal, leader_id) == "Mary"
    context.close()


def _focused(page: Any) -> dict[str, Any]:
    shown: dict[str, Any] = page.evaluate(
        """() => {
            const e = document.activeElement, style = getComputedStyle(e);
            return {
                tag: e.tagName.toLowerCase(), id: e.id, text: (e.innerText || e.value || '').trim(),
                seen: style.outlineStyle !== 'none' || style.boxShadow !== 'none',
            };
        }"""
    )
    return shown


def _tab_to(page: Any, tag: str, *, text: str = "", element_id: str = "") -> None:
    """Tab until the element has the focus, each control on the way showing that it has it (WCAG 2.4.7)."""
    passed = []
    for _ in range(TABS_AT_MOST):
        page.keyboard.press("Tab")
        focused = _focused(page)
        passed.append(focused)
        if focused["tag"] in ("a", "button", "input", "select", "textarea"):
            assert focused["seen"], f"the focus is not visible on {focused} ({page.url})"
        if (
            focused["tag"] == tag
            and focused["text"].startswith(text)
            and (not element_id or focused["id"] == element_id)
        ):
            return
    raise AssertionError(f"{tag} {text or element_id} not reached by {TABS_AT_MOST} Tabs on {page.url}: {passed}")


def test_a_person_signs_in_and_confirms_a_trust_with_the_keyboard_alone(chromium: Any, portal: Portal) -> None:
    person: Person = portal.person("Ada")
    context = chromium.new_context()
    page = context.new_page()
    page.goto(portal.url + "/")
    page.keyboard.press("Tab")
    assert _focused(page)["text"] == "Skip to main content", "the first Tab does not reach the skip link"
    _tab_to(page, "a", text="Sign in")
    page.keyboard.press("Enter")
    page.wait_for_url("**/sign-in")
    _tab_to(page, "input", element_id="email")
    page.keyboard.type(person.email)
    _tab_to(page, "input", element_id="password")
    page.keyboard.type(person.password)
    _tab_to(page, "button", text="Sign in")
    page.keyboard.press("Enter")
    page.wait_for_url("**/requests")
    assert f"{TRUST_ODS} NHS Trust ({TRUST_ODS})" in _main(page)
    _tab_to(page, "button", text="Confirm")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "You confirmed the trust" in _main(page)
    assert portal.affiliations(person.leader_id)[person.affiliation_id] == "active"
    assert _trust_sees(portal, person.leader_id) == "Ada"
    context.close()
