"""The portal's routes, read from its Flask url_map, and the small tables that say what the tests give
a route that needs a value. A new page is visited without editing the tests; a new value in a URL
that no table names fails them, naming the route (add it to ARGUMENTS, or the route to NOT_PAGES)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask

from tests.browser.conftest import AXE, TRUST_ODS, Person

# GET routes that are not pages a person reads, and why
NOT_PAGES = {
    "healthz": "the health check (plain text, for `plr health` and the orchestrator)",
    "assets": "the NHS.UK frontend's own files (CSS, JavaScript, icons), served from node_modules",
    "person.download": "the person's data as a file to keep (a download, not a page)",
}

# what a value in a URL is, by the name the route gives it: the signed-in person's own (or, signed
# out, the one a person would have followed a link with). The ids tests give another person's.
ARGUMENTS: dict[str, Callable[[Person], str]] = {
    "affiliation_id": lambda person: person.affiliation_id,
    "invitation_id": lambda person: person.invitation_id,
    "leader_id": lambda person: person.leader_id,
    "link": lambda person: person.claim_link.rsplit("/", 1)[-1],  # the registry's link (used by its person)
    "token": lambda person: person.verify_link.rsplit("/", 1)[-1],  # the portal's (used by its person)
    "ods": lambda person: TRUST_ODS,
}

# the WCAG 2.2 AA rules of axe-core (A and AA of every WCAG version up to 2.2)
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
NARROW = 320  # px: WCAG 1.4.10 reflow


@dataclass(frozen=True)
class Route:
    rule: str
    endpoint: str
    arguments: tuple[str, ...]

    def path(self, app: Flask, person: Person) -> str:
        missing = [name for name in self.arguments if name not in ARGUMENTS]
        assert not missing, (
            f"{self.rule} ({self.endpoint}) takes {missing}, which tests/browser/pages.py's ARGUMENTS does not "
            "name: say there what value a person would reach it with (or list it in NOT_PAGES)"
        )
        values = {name: ARGUMENTS[name](person) for name in self.arguments}
        return str(app.url_map.bind("portal.invalid").build(self.endpoint, values))


def routes(app: Flask, method: str) -> list[Route]:
    """Every route answering ``method``, in a stable order."""
    found = [
        Route(rule.rule, rule.endpoint, tuple(sorted(rule.arguments)))
        for rule in app.url_map.iter_rules()
        if method in (rule.methods or ())
    ]
    return sorted(found, key=lambda route: route.rule)


def pages(app: Flask) -> list[Route]:
    return [route for route in routes(app, "GET") if route.endpoint not in NOT_PAGES]


def run_axe(page: Any) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.2 AA violations on the page (injected through the DevTools protocol, as the
    portal's Content-Security-Policy rightly refuses inline scripts). Only in a context with JavaScript:
    axe.run waits on timers, which never fire where scripts are disabled."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(Path(AXE).read_text())
    options = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
    result: dict[str, Any] = page.evaluate("options => window.axe.run(document, options)", options)
    return [
        {
            "id": violation["id"],
            "impact": violation["impact"],
            "help": violation["help"],
            "nodes": [node["target"] for node in violation["nodes"]][:5],
        }
        for violation in result["violations"]
    ]


def overflow(page: Any) -> int:
    """How wide the page's content is (px): more than the viewport means a horizontal scroll."""
    width: int = page.evaluate(
        "() => Math.max(document.documentElement.scrollWidth, document.body ? document.body.scrollWidth : 0)"
    )
    return width


def outline(page: Any) -> dict[str, Any]:
    """What a person sees of the page without its styling: the heading, the forms and their buttons."""
    shown: dict[str, Any] = page.evaluate(
        """() => ({
            h1: [...document.querySelectorAll('h1')].map(h => h.innerText.trim()),
            forms: [...document.querySelectorAll('form')].map(f => [
                f.getAttribute('method'), f.getAttribute('action'),
                [...f.querySelectorAll('button, input[type=submit]')].map(b => b.innerText || b.value),
                [...f.elements].map(e => e.name).filter(n => n && n !== 'csrf_token'),
            ]),
            links: [...document.querySelectorAll('main a[href]')].map(a => a.getAttribute('href')),
        })"""
    )
    return shown
