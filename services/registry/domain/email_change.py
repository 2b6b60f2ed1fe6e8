"""A change of the person's own email address, which waits for the new address to confirm it.

The person (or a trust's staff on their behalf, with evidence) asks; nothing changes yet. The
registry keeps the new address beside the person (``EmailChange``) and tells them: a one-time link
to the new address, a notice to the address on record. Opening the link within ``VALID_FOR`` (the
person signed in: ``VerifyEmailChange``) makes it theirs. An address another person holds is not
looked at when asked (the answer is the same for any address); it is settled when the link is
opened, by the one who reads that address, and names no one.

The link's token is made by the notifier when it mails it and kept only as its SHA-256 digest: the
token is never stored, logged or sent on the broker. Pure: no I/O.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.common.errors import InvalidInput, NotFound, PreconditionFailed

VALID_FOR = timedelta(hours=24)
TOKEN_BYTES = 32
# what secrets.token_urlsafe(TOKEN_BYTES) makes: 43 characters of the URL-safe alphabet
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{43}")


class EmailChangeNotFound(NotFound):
    """The same answer for a token never made, used, replaced by the address's confirmation, or out of date."""

    def __init__(self) -> None:
        super().__init__(
            "no change of email address waits for this link: it was used, or is more than 24 hours old; ask again"
        )


class AddressInUse(PreconditionFailed):
    """Told to the person who opened the link (who reads the address): the address cannot be theirs on
    the registry. Names no one."""

    def __init__(self) -> None:
        super().__init__(
            "email: this address is already in use on the registry, so it cannot become yours; nothing changed"
        )


@dataclass(frozen=True)
class EmailChange:
    change_id: str
    leader_id: str
    email: str  # the new address, as given (normalised)
    requested_at: datetime
    expires_at: datetime
    on_behalf_of: str | None = None  # the trust whose staff asked for the person (assisted digital)
    token_sha256: str | None = None  # set once the notifier has mailed the link

    @classmethod
    def asked(
        cls, change_id: str, leader_id: str, email: str, now: datetime, on_behalf_of: str | None = None
    ) -> EmailChange:
        return cls(change_id, leader_id, email, now, now + VALID_FOR, on_behalf_of)

    def open_on(self, now: datetime) -> bool:
        return now < self.expires_at


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def checked_token(token: str) -> str:
    """The token's digest, or INVALID_ARGUMENT naming ``token`` for anything that cannot be one."""
    if not TOKEN_PATTERN.fullmatch(token):
        raise InvalidInput({"token": "must be the 43-character code of the link sent to the new address"})
    return token_digest(token)
