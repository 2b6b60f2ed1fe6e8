"""What the portal's use cases need, as interfaces (no SQLAlchemy, no gRPC)."""

from __future__ import annotations

import abc
from datetime import datetime

from services.portal.domain.accounts import Account


class AccountStore(abc.ABC):
    """Accounts, one-time email tokens, used registry links and failed sign-ins (the portal's database)."""

    @abc.abstractmethod
    def add(self, account_id: str, email_key: str, password_hash: str, now: datetime) -> bool:
        """False when the address has an account already (nothing added)."""

    @abc.abstractmethod
    def by_email(self, email_key: str) -> Account | None: ...

    @abc.abstractmethod
    def by_id(self, account_id: str) -> Account | None: ...

    @abc.abstractmethod
    def add_email_token(self, token_digest: str, account_id: str, expires_at: datetime) -> None: ...

    @abc.abstractmethod
    def take_email_token(self, token_digest: str, now: datetime) -> str | None:
        """The account of an unexpired token, deleting it (one use); None otherwise."""

    @abc.abstractmethod
    def mark_verified(self, account_id: str, now: datetime) -> None: ...

    @abc.abstractmethod
    def link_leader(self, account_id: str, leader_id: str) -> bool:
        """Sets the account's leader unless it has another or another account has this one: False then."""

    @abc.abstractmethod
    def use_link(self, link_digest: str, now: datetime) -> bool:
        """False when that link was used before."""

    @abc.abstractmethod
    def failures_since(self, email_key: str, since: datetime) -> int: ...

    @abc.abstractmethod
    def record_failure(self, email_key: str, now: datetime) -> None: ...


class PasswordHasher(abc.ABC):
    @abc.abstractmethod
    def hash(self, password: str) -> str: ...

    @abc.abstractmethod
    def verify(self, password_hash: str, password: str) -> bool: ...


class Mailer(abc.ABC):
    @abc.abstractmethod
    def send_verification(self, to: str, url: str) -> None: ...
