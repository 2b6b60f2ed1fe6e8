"""The rules of a person's portal account, pure: what a password must be, when a session has expired,
when sign-in is refused for too many failures."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.common.errors import InvalidInput

EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,189}\.[^@\s]{2,63}")
PASSWORD_MIN, PASSWORD_MAX = 12, 200
# a session ends after this long without a request, and in any case this long after it began
SESSION_IDLE = timedelta(minutes=30)
SESSION_LONGEST = timedelta(hours=12)
# this many failed sign-ins for an address within the window refuse the next until it has passed
SIGN_IN_FAILURES_ALLOWED, SIGN_IN_WINDOW = 5, timedelta(minutes=15)
EMAIL_TOKEN_VALID_FOR = timedelta(hours=24)


@dataclass(frozen=True)
class Account:
    account_id: str
    email_key: str
    password_hash: str
    verified: bool
    leader_id: str | None


def email_key(email: str) -> str:
    """The address as the portal keys it (InvalidInput naming ``email`` if it is not one)."""
    cleaned = email.strip()
    # printable only: a NUL (which PostgreSQL cannot store) or another control character is no address
    if len(cleaned) > 254 or not cleaned.isprintable() or not EMAIL.fullmatch(cleaned):
        raise InvalidInput({"email": "enter an email address, like name@example.com"})
    return cleaned.lower()


def check_password(password: str, email: str, common: frozenset[str]) -> None:
    """InvalidInput naming ``password`` when it is too short or long, or is known from breaches."""
    if len(password) < PASSWORD_MIN:
        raise InvalidInput({"password": f"your password must be at least {PASSWORD_MIN} characters"})
    if len(password) > PASSWORD_MAX:
        raise InvalidInput({"password": f"your password must be at most {PASSWORD_MAX} characters"})
    if password.lower() in common or password.lower() == email.strip().lower():
        raise InvalidInput({"password": "this password is too common or is known from data breaches: choose another"})


def session_expired(created_at: datetime, last_seen_at: datetime, now: datetime) -> bool:
    return now - last_seen_at > SESSION_IDLE or now - created_at > SESSION_LONGEST


def sign_in_allowed(recent_failures: int) -> bool:
    return recent_failures < SIGN_IN_FAILURES_ALLOWED
