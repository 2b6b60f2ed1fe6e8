"""The portal's forms as the Flask test client sees them: the fields each POST route is sent (read from
the forms of every page), a session's CSRF token, and what of the state a rejected form may not change."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from tests.browser.conftest import CSRF, Person, Portal
from tests.browser.pages import pages

# portal tables that change while a rejected form is answered, and why (the outbox is not one: a
# refused form publishes nothing)
CHANGED_BY_REJECTED_INPUT = {
    "sessions": "a visit starts or refreshes the visitor's session",
    "sign_in_failures": "a refused sign-in is counted, so that guessing is slowed",
    "worker_heartbeats": "the portal's worker says every few seconds that it is alive",
    "inbox": "other services' events arrive when they do",
    "alembic_version": "the schema's version",
}


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, set[str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if tag == "form" and (named.get("method") or "get").lower() == "post":
            self.forms.append((named.get("action") or "", set()))
        elif tag in ("input", "select", "textarea", "button") and self.forms and named.get("name"):
            self.forms[-1][1].add(str(named["name"]))


def form_fields(app: Flask, client: FlaskClient, person: Person) -> dict[str, set[str]]:
    """The fields of the forms that post to each endpoint, from every page the client reaches."""
    fields: dict[str, set[str]] = {}
    adapter = app.url_map.bind("localhost")
    for route in pages(app):
        parser = _Forms()
        parser.feed(client.get(route.path(app, person), follow_redirects=True).get_data(as_text=True))
        for action, names in parser.forms:
            endpoint, _ = adapter.match(action.split("?")[0], method="POST")
            fields.setdefault(str(endpoint), set()).update(names - {"csrf_token"})
    return fields


def csrf_token(app: Flask, client: FlaskClient, person: Person) -> str:
    """The client's session's CSRF token, as the pages put it in their forms (those without values in
    their URLs first: one with a link in it may act on the link)."""
    for route in sorted(pages(app), key=lambda route: len(route.arguments)):
        found = CSRF.findall(client.get(route.path(app, person), follow_redirects=True).get_data(as_text=True))
        if found:
            return str(found[0])
    raise AssertionError("no page has a form with the session's CSRF token")


def portal_state(portal: Portal, tables: list[sa.Table], people: list[Person]) -> dict[str, Any]:
    """Every row of the portal's own tables (but those a rejected form may change), and each person's
    record and affiliations as the registry holds them."""
    state: dict[str, Any] = {}
    with portal.stack.engine("portal").connect() as connection:
        for table in tables:
            rows = connection.execute(sa.select(table)).all()
            state[table.name] = sorted(tuple(str(value) for value in row) for row in rows)
    for person in people:
        state[person.leader_id] = portal.standing(person.leader_id), portal.leader_version(person.leader_id)
    return state


def kept_tables(portal: Portal) -> list[sa.Table]:
    metadata = sa.MetaData()
    metadata.reflect(portal.stack.engine("portal"))
    return [table for name, table in sorted(metadata.tables.items()) if name not in CHANGED_BY_REJECTED_INPUT]
