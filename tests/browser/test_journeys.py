"""The person's journeys in the browser: registered by a trust, they follow its email, create an
account, confirm their address from the portal's email, sign in, confirm the trust, complete their
profile, grant and withdraw a consent, answer the equality questions, download their data and delete
their account, without JavaScript; and the same confirmation with the keyboard alone (Tab and Enter),
each step's focus seen."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import grpc
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


def test_a_person_follows_the_trusts_email_signs_up_confirms_it_and_uses_every_page_without_javascript(
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

    # the profile: availability, a skill and an access need
    page.get_by_role("link", name="Back to trusts' requests").click()
    page.goto(f"{portal.url}/profile")
    page.fill("#hours_per_month", "8")
    page.locator("input[name=skills]").first.check()
    page.fill("#access_needs", "Step-free access, please")
    page.get_by_role("button", name="Save your profile").click()
    assert "Your changes are saved" in _main(page)
    own = portal.registry().GetLeader(
        lpb.GetLeaderRequest(leader_id=leader_id), metadata=portal.as_person(leader_id), timeout=10
    )
    assert own.profile.availability.hours_per_month == 8 and own.profile.access_needs == "Step-free access, please"
    assert len(own.profile.skills) == 1

    # a consent granted, then withdrawn: the history has both
    page.get_by_role("link", name="Back to your profile").click()
    page.get_by_role("link", name="What you agree to").click()
    offer = page.locator("form:has(button[value=grant])").first
    purpose, target = offer.locator("[name=purpose]").input_value(), offer.locator("[name=target]").input_value()
    chosen = f"form:has([name=purpose][value='{purpose}']):has([name=target][value='{target}'])"
    offer.locator("button[value=grant]").click()
    assert "Your choice is recorded" in _main(page)
    page.locator(chosen).locator("button[value=withdraw]").click()
    assert "Your choice is recorded" in _main(page)
    history = page.locator("table").inner_text()
    assert "Agreed" in history and "Withdrew" in history

    # the equality questions: one answered
    page.goto(f"{portal.url}/equality")
    page.locator("fieldset").first.locator("input[type=radio]").first.check()
    page.get_by_role("button", name="Send your answers").click()
    assert "your answers are sent" in _main(page)

    # my data, downloaded: the registry's record of them
    page.goto(f"{portal.url}/my-data")
    with page.expect_download() as downloading:
        page.get_by_role("link", name="Download your data").click()
    exported = Path(downloading.value.path()).read_text()
    assert leader_id in exported and "Mary" in exported and "Step-free access, please" in exported

    # and the account deleted: the trust sees them no more, and they cannot sign in
    page.get_by_role("link", name="Delete your account").click()
    page.check("#confirm")
    page.get_by_role("button", name="Delete my account").click()
    assert "Your account is deleted" in _main(page)
    with pytest.raises(grpc.RpcError):
        _trust_sees(portal, leader_id)
    page.goto(f"{portal.url}/sign-in")
    page.fill("#email", email)
    page.fill("#password", "seacole crimea lantern 1854")
    page.get_by_role("button", name="Sign in", exact=True).click()
    assert "/sign-in" in page.url and page.locator(".nhsuk-error-summary").count() == 1
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
