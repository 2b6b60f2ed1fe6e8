"""The rules of resetting a forgotten password, pure: how long a reset link works, and how many reset
requests an address, or a client, may make before the next is refused for a while."""

from __future__ import annotations

from datetime import timedelta

from services.common import signed_links

RESET_LINK_VALID_FOR = timedelta(hours=1)
# within the window, at most this many requests for one address (whether or not it has an account:
# the count says nothing of that) and from one client address
RESET_WINDOW = timedelta(hours=1)
RESET_REQUESTS_PER_EMAIL = 3
RESET_REQUESTS_PER_CLIENT = 20


def reset_request_allowed(for_email: int, from_client: int) -> bool:
    """Whether one more request may be made, given the requests made in the window for the address and
    from the client."""
    return for_email < RESET_REQUESTS_PER_EMAIL and from_client < RESET_REQUESTS_PER_CLIENT


def email_digest(email_key: str) -> str:
    """How a reset request's address is counted (never kept in clear)."""
    return signed_links.digest("email:" + email_key)


def client_digest(client: str) -> str:
    """How a reset request's client address is counted (never kept in clear)."""
    return signed_links.digest("client:" + client)
