"""What the portal's use cases need, as interfaces (no SQLAlchemy, no gRPC)."""

from __future__ import annotations

import abc
from datetime import datetime

from services.portal.domain.accounts import Account
from services.portal.domain.nhs_login import Identity


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


# --- password resets (a separate port: SqlPasswordResets, adapters/resets.py) ---


class ResetStore(abc.ABC):
    """One-time reset links, the requests counted for the rate limit, and the new password."""

    @abc.abstractmethod
    def requests_since(self, email_digest: str, client_digest: str, since: datetime) -> tuple[int, int]:
        """The reset requests since then for the address and from the client."""

    @abc.abstractmethod
    def record_request(self, email_digest: str, client_digest: str, now: datetime) -> None: ...

    @abc.abstractmethod
    def add_reset_token(self, token_digest: str, account_id: str, expires_at: datetime) -> None: ...

    @abc.abstractmethod
    def reset_token_account(self, token_digest: str, now: datetime) -> Account | None:
        """The account of an unexpired token, leaving the token in place (None otherwise)."""

    @abc.abstractmethod
    def take_reset_token(self, token_digest: str, now: datetime) -> str | None:
        """The account of an unexpired token, deleting it (one use); None otherwise."""

    @abc.abstractmethod
    def replace_password(self, account_id: str, password_hash: str, now: datetime) -> None:
        """At once: the new hash, the address verified (the link reached it), every session of the
        account ended and every other reset link of it deleted."""


class ResetMailer(abc.ABC):
    @abc.abstractmethod
    def send_password_reset(self, to: str, url: str) -> None: ...


class PortalMailer(Mailer, ResetMailer):
    """Every email the portal sends (one SMTP adapter: entrypoints/web.py)."""


# --- NHS login (OpenID Connect; adapters/nhs_login.py) ---


class IdentityProvider(abc.ABC):
    """NHS login, as the use cases see it: where to send the person, and who came back."""

    @abc.abstractmethod
    def authorization_url(self, state: str, nonce: str, code_verifier: str, redirect_uri: str) -> str:
        """The provider's authorization endpoint with this state, nonce and PKCE challenge (S256)."""

    @abc.abstractmethod
    def identity(self, code: str, code_verifier: str, nonce: str, redirect_uri: str, now: datetime) -> Identity:
        """Exchanges the code (with the PKCE verifier) and validates the id token (signature from the
        provider's keys, issuer, audience, expiry, nonce); raises IdentityRefused otherwise."""


class IdentityRefused(Exception):
    """The provider's answer cannot be trusted or used (what was wrong, never a token or a claim)."""


class IdentityProviderUnavailable(Exception):
    """The provider could not be reached or did not answer as OpenID Connect says (the kind only)."""


class NhsLoginStore(abc.ABC):
    @abc.abstractmethod
    def add_attempt(
        self, state_digest: str, session_digest: str, nonce: str, code_verifier: str, expires_at: datetime
    ) -> None: ...

    @abc.abstractmethod
    def take_attempt(self, state_digest: str, session_digest: str, now: datetime) -> tuple[str, str] | None:
        """(nonce, code verifier) of an unexpired attempt of this session, deleting it; None otherwise."""

    @abc.abstractmethod
    def account_for_subject(self, subject: str) -> Account | None: ...

    @abc.abstractmethod
    def subject_of(self, account_id: str) -> str | None: ...

    @abc.abstractmethod
    def link_subject(self, subject: str, account_id: str, now: datetime) -> bool:
        """Joins the subject to the account and marks its address verified; False, changing nothing,
        when either is joined already to another. An account whose address was never verified loses its
        password (whoever set it never proved the address theirs: no taking over an account made in
        someone else's name before they came)."""

    @abc.abstractmethod
    def add_account_for_subject(self, account_id: str, subject: str, email_key: str, now: datetime) -> bool:
        """A new verified account without a password, joined to the subject; False (nothing added)
        when the address has an account already."""


# --- trust names (per-trust start pages; adapters/trust_names.py) ---


class TrustNames(abc.ABC):
    @abc.abstractmethod
    def active_trust_name(self, ods: str) -> str | None:
        """The name of the trust with this ODS code while it is active; None for any other code."""
