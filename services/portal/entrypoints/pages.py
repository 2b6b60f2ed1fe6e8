"""What make_app gives the portal's blueprints: its page helpers, so that each blueprint renders,
redirects and signs in exactly as the application's own routes do."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Response

from services.portal.adapters.store import Session
from services.portal.domain.accounts import Account


@dataclass(frozen=True)
class Pages:
    # a template rendered with the session's CSRF token (the session started if need be)
    page: Callable[..., Response]
    # a 303 to an endpoint, carrying a new session's cookie
    go: Callable[..., Response]
    # the visitor's session, started if they have none
    session: Callable[[], Session]
    signed_in: Callable[[], Account | None]
    # a new session for the account (none fixed beforehand), then a registry link kept in the old one
    # applied, or the requests page
    start_signed_in: Callable[[Account], Response]
    # a page's address as emailed or given to another site (endpoint, **values): made from the portal's
    # public URL, never from the request's Host header
    external: Callable[..., str]

    def message(self, status: int, title: str, text: str, **values: Any) -> Response:
        return self.page("message.html", status, title=title, text=text, **values)
