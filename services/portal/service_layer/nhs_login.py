"""Use cases of signing in with NHS login (OpenID Connect, authorization code flow with PKCE): leave
for the provider with a state, a nonce and a code verifier kept server-side for this browser's session,
then come back, and sign in to the account of the verified subject (joined by a verified email address
the first time, or made for them)."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime

from services.common import signed_links
from services.common.errors import PreconditionFailed
from services.portal.domain import accounts, nhs_login
from services.portal.domain.accounts import Account
from services.portal.service_layer.ports import AccountStore, IdentityProvider, NhsLoginStore


def begin(session_id: str, redirect_uri: str, provider: IdentityProvider, store: NhsLoginStore, now: datetime) -> str:
    """Where to send the person: the provider's authorization URL for a new attempt of this session."""
    state, nonce, code_verifier = (secrets.token_urlsafe(32) for _ in range(3))
    store.add_attempt(
        signed_links.digest(state),
        signed_links.digest(session_id),
        nonce,
        code_verifier,
        now + nhs_login.SIGN_IN_VALID_FOR,
    )
    return provider.authorization_url(state, nonce, code_verifier, redirect_uri)


def finish(
    state: str,
    code: str,
    session_id: str,
    redirect_uri: str,
    provider: IdentityProvider,
    store: NhsLoginStore,
    account_store: AccountStore,
    now: datetime,
) -> Account:
    """The account NHS login signed the person in to. The state must be one this session began, within
    its time, once; the provider's answer is validated (IdentityRefused otherwise)."""
    attempt = store.take_attempt(signed_links.digest(state), signed_links.digest(session_id), now)
    if attempt is None:
        raise PreconditionFailed("this sign-in has expired or was not started here: start again")
    nonce, code_verifier = attempt
    identity = provider.identity(code, code_verifier, nonce, redirect_uri, now)
    return account_of(identity, store, account_store, now)


def account_of(
    identity: nhs_login.Identity, store: NhsLoginStore, account_store: AccountStore, now: datetime
) -> Account:
    """The account joined to the subject; the first time, the account of the address NHS login verified
    (joined to the subject from now on), or a new one for it. An address NHS login has not verified never
    joins or makes an account."""
    joined = store.account_for_subject(identity.subject)
    if joined is not None:
        return joined
    if not identity.email or not identity.email_verified:
        raise PreconditionFailed(
            "NHS login did not share a verified email address: create an account with your email address instead"
        )
    key = accounts.email_key(identity.email)
    existing = account_store.by_email(key)
    if existing is None:
        if store.add_account_for_subject(str(uuid.uuid4()), identity.subject, key, now):
            made = store.account_for_subject(identity.subject)
            assert made is not None
            return made
        existing = account_store.by_email(key)  # made meanwhile, by a registration of that address
        assert existing is not None
    return _joined(identity.subject, existing, store, account_store, now)


def _joined(
    subject: str, existing: Account, store: NhsLoginStore, account_store: AccountStore, now: datetime
) -> Account:
    """The account of the verified address, joined to the subject from now on."""
    if not store.link_subject(subject, existing.account_id, now):
        joined = store.account_for_subject(subject)  # a concurrent sign-in joined it first
        if joined is not None:
            return joined
        raise PreconditionFailed(
            "the account of your email address is joined to another NHS login: sign in with its password"
        )
    refreshed = account_store.by_id(existing.account_id)
    assert refreshed is not None
    return refreshed
