"""Use cases of a person's portal account: register, verify the address, sign in, and take on the
leader a registry link names (so that the portal acts for them)."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable
from datetime import datetime

from services.common import signed_links
from services.common.errors import InvalidInput, PermissionDenied, PreconditionFailed, Unauthenticated
from services.portal.domain import accounts
from services.portal.domain.accounts import Account
from services.portal.service_layer.ports import AccountStore, Mailer, PasswordHasher

Clock = Callable[[], datetime]


class TooManyAttempts(PermissionDenied):
    """Sign-in refused for a while after too many failures for the address."""


def register(
    email: str,
    password: str,
    store: AccountStore,
    hasher: PasswordHasher,
    mailer: Mailer,
    verify_url: Callable[[str], str],
    common: frozenset[str],
    now: datetime,
) -> None:
    """Makes the account and emails a one-time verification link. An address that has an account
    already is answered the same (no one learns whether it has one): its owner is sent nothing new."""
    key = accounts.email_key(email)
    accounts.check_password(password, email, common)
    account_id = str(uuid.uuid4())
    if not store.add(account_id, key, hasher.hash(password), now):
        return
    token = secrets.token_urlsafe(32)
    store.add_email_token(signed_links.digest(token), account_id, now + accounts.EMAIL_TOKEN_VALID_FOR)
    mailer.send_verification(key, verify_url(token))


def verify_email(token: str, store: AccountStore, now: datetime) -> None:
    account_id = store.take_email_token(signed_links.digest(token), now)
    if account_id is None:
        raise PreconditionFailed("this link is not valid or has expired: sign in to be sent a new one")
    store.mark_verified(account_id, now)


def sign_in(email: str, password: str, store: AccountStore, hasher: PasswordHasher, now: datetime) -> Account:
    """The account, if the password is right and the address verified. Refused for a while after too
    many failures for the address, with the same answer whether or not it has an account."""
    key = accounts.email_key(email)
    if not accounts.sign_in_allowed(store.failures_since(key, now - accounts.SIGN_IN_WINDOW)):
        raise TooManyAttempts("too many attempts to sign in: wait 15 minutes and try again")
    account = store.by_email(key)
    if account is None:
        hasher.hash(password)  # as long as checking a password: the time taken says no address has an account
    if account is None or not hasher.verify(account.password_hash, password):
        store.record_failure(key, now)
        raise Unauthenticated("the email address or password is not right")
    if not account.verified:
        raise PreconditionFailed("confirm your email address first: open the link we emailed you")
    return account


def _joining_payload(link: str, key: str, now: datetime) -> dict[str, object]:
    """The payload of a registry link made to join an account (a trust's request or its invitation)."""
    refused: signed_links.LinkRefused | None = None
    for purpose in signed_links.JOINS_ACCOUNT:
        try:
            return signed_links.verify(key, purpose, link, now)
        except signed_links.LinkRefused as why:
            refused = refused if refused is not None and "expired" in str(refused) else why
    raise InvalidInput({"link": str(refused)})


def take_on_leader(account: Account, link: str, key: str, store: AccountStore, now: datetime) -> str:
    """The leader a registry link names becomes the account's (the portal then acts for them); the link
    works once. An account that is another person's record's already is refused."""
    payload = _joining_payload(link, key, now)
    leader_id = str(payload["leader_id"])
    if account.leader_id == leader_id:
        return leader_id
    if account.leader_id is not None:  # refused before it is used: the link stays its own person's
        raise PreconditionFailed(_ANOTHER_RECORD)
    if payload.get("to") != signed_links.address_tag(key, account.email_key):  # refused before it is used too
        raise PreconditionFailed(_ANOTHER_ADDRESS)
    if not store.use_link(signed_links.digest(link), now):
        raise PreconditionFailed("this link was used already: sign in with the account you used it with")
    if not store.link_leader(account.account_id, leader_id):
        raise PreconditionFailed(_ANOTHER_RECORD)
    return leader_id


_ANOTHER_ADDRESS = (
    "this link was sent to another email address than your account's: sign out, then sign in with (or create) "
    "the account of the address it was sent to"
)
_ANOTHER_RECORD = (
    "this link is for another person's record than your account's: if it was sent to you, sign out and open it again"
)
