"""Use cases of a forgotten password: ask for a reset link by email, then set a new password with it.
Nobody learns from the answers whether an address has an account."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime

from services.common import signed_links
from services.common.errors import PreconditionFailed
from services.portal.domain import accounts, resets
from services.portal.service_layer.accounts import TooManyAttempts
from services.portal.service_layer.ports import AccountStore, PasswordHasher, ResetMailer, ResetStore


def request_reset(
    email: str,
    client: str,
    store: AccountStore,
    reset_store: ResetStore,
    mailer: ResetMailer,
    reset_url: Callable[[str], str],
    now: datetime,
) -> None:
    """Emails a one-time reset link to the address if it has an account; otherwise sends nothing, with
    the same answer. Refused for a while (TooManyAttempts) after too many requests for the address or
    from the client, counted whether or not the address has an account."""
    key = accounts.email_key(email)
    email_digest, client_digest = resets.email_digest(key), resets.client_digest(client)
    for_email, from_client = reset_store.requests_since(email_digest, client_digest, now - resets.RESET_WINDOW)
    if not resets.reset_request_allowed(for_email, from_client):
        raise TooManyAttempts("too many requests to reset a password: wait an hour and try again")
    reset_store.record_request(email_digest, client_digest, now)
    account = store.by_email(key)
    if account is None:
        return
    token = secrets.token_urlsafe(32)
    reset_store.add_reset_token(signed_links.digest(token), account.account_id, now + resets.RESET_LINK_VALID_FOR)
    mailer.send_password_reset(key, reset_url(token))


LINK_REFUSED = "this link is not valid: it may have been used already or be more than an hour old"


def check_reset_link(token: str, reset_store: ResetStore, now: datetime) -> None:
    """PreconditionFailed unless the link can still set a password (opening it changes nothing)."""
    if reset_store.reset_token_account(signed_links.digest(token), now) is None:
        raise PreconditionFailed(LINK_REFUSED)


def reset_password(
    token: str,
    password: str,
    reset_store: ResetStore,
    hasher: PasswordHasher,
    common: frozenset[str],
    now: datetime,
) -> None:
    """Sets the new password of the link's account (the rules of a new account's password), once per
    link; every session of the account ends. A refused password leaves the link usable."""
    digest = signed_links.digest(token)
    account = reset_store.reset_token_account(digest, now)
    if account is None:
        raise PreconditionFailed(LINK_REFUSED)
    accounts.check_password(password, account.email_key, common)
    account_id = reset_store.take_reset_token(digest, now)
    if account_id is None:  # used or expired meanwhile
        raise PreconditionFailed(LINK_REFUSED)
    reset_store.replace_password(account_id, hasher.hash(password), now)
