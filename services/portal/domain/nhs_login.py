"""The rules of signing in with NHS login (OpenID Connect), pure: how long a sign-in may take, and what
a verified identity is."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

# from leaving for NHS login to coming back with its code; an older state is refused
SIGN_IN_VALID_FOR = timedelta(minutes=10)
# an account made by NHS login has no password of its own (never a hash argon2 accepts): the person
# signs in with NHS login, or sets one with "forgot your password"
NO_PASSWORD = "!nhs-login"


@dataclass(frozen=True)
class Identity:
    """Who NHS login says signed in: its subject (``sub``, from a validated id token) and the email address
    it holds for them, with whether it verified that address."""

    subject: str
    email: str | None
    email_verified: bool
