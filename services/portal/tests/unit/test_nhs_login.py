"""NHS login on fakes: the id token checks (signature by the provider's key, issuer, audience, expiry,
nonce; no unsigned or HMAC token), one use of a state by the session that began it, and which account a
verified subject signs in to."""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from joserfc import jwk, jwt

from services.common import signed_links
from services.common.errors import PreconditionFailed
from services.portal.adapters.nhs_login import NhsLoginSettings, OidcProvider, UnknownSigningKey, validate_id_token
from services.portal.domain.accounts import Account
from services.portal.domain.nhs_login import NO_PASSWORD, SIGN_IN_VALID_FOR, Identity
from services.portal.service_layer import nhs_login
from services.portal.service_layer.ports import IdentityProvider, IdentityRefused, NhsLoginStore
from services.portal.tests.unit.test_accounts import FakeStore

NOW = datetime(2026, 12, 2, 9, tzinfo=UTC)
ISSUER, CLIENT = "https://auth.login.nhs.test", "plr-portal"
KEY = jwk.RSAKey.generate_key(2048, parameters={"kid": "provider-1"}, private=True)
OTHER_KEY = jwk.RSAKey.generate_key(2048, parameters={"kid": "provider-1"}, private=True)
KEYS = jwk.KeySet([jwk.RSAKey.import_key(KEY.as_dict(private=False))])


def _claims(**changes: Any) -> dict[str, Any]:
    at = int(NOW.timestamp())
    claims = {"iss": ISSUER, "aud": CLIENT, "sub": "nhs-sub-1", "iat": at, "exp": at + 300, "nonce": "n-1"}
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def _token(claims: dict[str, Any], key: jwk.RSAKey = KEY, alg: str = "RS512") -> str:
    return jwt.encode({"alg": alg, "kid": key.kid}, claims, key, algorithms=[alg])


def test_an_id_token_signed_by_the_provider_for_this_client_and_sign_in_is_accepted() -> None:
    claims = validate_id_token(_token(_claims(email="ada@example.org")), KEYS, ISSUER, CLIENT, "n-1", NOW)
    assert claims["sub"] == "nhs-sub-1" and claims["email"] == "ada@example.org"
    # aud as a list holding this client, with azp naming it
    listed = _token(_claims(aud=[CLIENT, "another"], azp=CLIENT))
    assert validate_id_token(listed, KEYS, ISSUER, CLIENT, "n-1", NOW)["sub"] == "nhs-sub-1"


@pytest.mark.parametrize(
    "token",
    [
        _token(_claims(), key=OTHER_KEY),  # signed by another key under the provider's key id
        _token(_claims(iss="https://elsewhere.test")),
        _token(_claims(aud="another-client")),
        _token(_claims(aud=[CLIENT, "another"])),  # several audiences and no azp for this client
        _token(_claims(exp=int(NOW.timestamp()) - 120)),  # expired (beyond the leeway)
        _token(_claims(nonce="n-2")),  # another sign-in's
        _token(_claims(nonce=None)),
        _token(_claims(sub=None)),
        _token(_claims(iat=None)),
        jwt.encode(
            {"alg": "HS256"},
            _claims(),
            jwk.OctKey.import_key("a client secret of 32 characters!!"),
            algorithms=["HS256"],
        ),
        "not.a.token",
        _token(_claims(), key=jwk.RSAKey.generate_key(2048, parameters={"kid": "unpublished"}, private=True)),
    ],
)
def test_an_id_token_not_from_the_provider_for_this_client_and_sign_in_is_refused(token: str) -> None:
    with pytest.raises(IdentityRefused):
        validate_id_token(token, KEYS, ISSUER, CLIENT, "n-1", NOW)


def test_a_token_naming_a_key_the_provider_has_not_published_asks_for_its_keys_again() -> None:
    unpublished = jwk.RSAKey.generate_key(2048, parameters={"kid": "rotated-in"}, private=True)
    with pytest.raises(UnknownSigningKey):
        validate_id_token(_token(_claims(), key=unpublished), KEYS, ISSUER, CLIENT, "n-1", NOW)
    # a bad signature under a published key id is refused outright (no fetch of keys for it)
    with pytest.raises(IdentityRefused) as refused:
        validate_id_token(_token(_claims(), key=OTHER_KEY), KEYS, ISSUER, CLIENT, "n-1", NOW)
    assert not isinstance(refused.value, UnknownSigningKey)


def test_an_unsigned_id_token_is_refused() -> None:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    with pytest.raises(IdentityRefused):
        validate_id_token(f"{part({'alg': 'none'})}.{part(_claims())}.", KEYS, ISSUER, CLIENT, "n-1", NOW)


def test_the_authorization_url_carries_the_state_nonce_and_an_s256_pkce_challenge() -> None:
    provider = OidcProvider(NhsLoginSettings(ISSUER, CLIENT, client_secret="s" * 8 + "ecret-of-the-test-client-00"))
    provider._metadata = {  # as discovery would have found it
        "issuer": ISSUER,
        "authorization_endpoint": ISSUER + "/authorize",
        "token_endpoint": ISSUER + "/token",
        "jwks_uri": ISSUER + "/jwks",
    }
    provider._fetched_at = time.monotonic()
    url = provider.authorization_url("st", "nc", "v" * 50, "https://portal.test/nhs-login/callback")
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert url.startswith(ISSUER + "/authorize?")
    assert query["state"] == "st" and query["nonce"] == "nc" and query["client_id"] == CLIENT
    assert query["response_type"] == "code" and query["scope"] == "openid email"
    assert query["code_challenge_method"] == "S256"
    from authlib.oauth2.rfc7636 import create_s256_code_challenge

    assert query["code_challenge"] == create_s256_code_challenge("v" * 50) and "v" * 50 not in url


@dataclass
class FakeProvider(IdentityProvider):
    identity_to_return: Identity
    exchanged: list[tuple[str, str, str]] = field(default_factory=list)

    def authorization_url(self, state: str, nonce: str, code_verifier: str, redirect_uri: str) -> str:
        return f"https://nhs.test/authorize?state={state}"

    def identity(self, code: str, code_verifier: str, nonce: str, redirect_uri: str, now: datetime) -> Identity:
        self.exchanged.append((code, code_verifier, nonce))
        return self.identity_to_return


@dataclass
class FakeNhsLogins(NhsLoginStore):
    accounts: FakeStore
    attempts: dict[str, tuple[str, str, str, datetime]] = field(default_factory=dict)
    subjects: dict[str, str] = field(default_factory=dict)  # subject -> account id

    def add_attempt(
        self, state_digest: str, session_digest: str, nonce: str, code_verifier: str, expires_at: datetime
    ) -> None:
        self.attempts[state_digest] = (session_digest, nonce, code_verifier, expires_at)

    def take_attempt(self, state_digest: str, session_digest: str, now: datetime) -> tuple[str, str] | None:
        found = self.attempts.get(state_digest)
        if found is None or found[0] != session_digest:
            return None
        del self.attempts[state_digest]
        return (found[1], found[2]) if found[3] > now else None

    def account_for_subject(self, subject: str) -> Account | None:
        account_id = self.subjects.get(subject)
        return self.accounts.by_id(account_id) if account_id else None

    def subject_of(self, account_id: str) -> str | None:
        return next((s for s, a in self.subjects.items() if a == account_id), None)

    def link_subject(self, subject: str, account_id: str, now: datetime) -> bool:
        if subject in self.subjects or account_id in self.subjects.values():
            return False
        self.subjects[subject] = account_id
        account = self.accounts.accounts[account_id]
        unproven = {} if account.verified else {"password_hash": NO_PASSWORD}
        self.accounts.accounts[account_id] = replace(account, verified=True, **unproven)  # type: ignore[arg-type]
        return True

    def add_account_for_subject(self, account_id: str, subject: str, email_key: str, now: datetime) -> bool:
        if not self.accounts.add(account_id, email_key, NO_PASSWORD, now):
            return False
        self.accounts.mark_verified(account_id, now)
        self.subjects[subject] = account_id
        return True


def _began(identity: Identity) -> tuple[FakeStore, FakeNhsLogins, FakeProvider, str]:
    store = FakeStore()
    logins, provider = FakeNhsLogins(store), FakeProvider(identity)
    url = nhs_login.begin("session-1", "https://portal.test/cb", provider, logins, NOW)
    return store, logins, provider, url.split("state=", 1)[1]


ADA = Identity("nhs-sub-1", "Ada@Example.org", True)


def test_a_state_works_once_for_the_session_that_began_it_within_its_time() -> None:
    store, logins, provider, state = _began(ADA)
    [(session_digest, nonce, verifier, expires)] = logins.attempts.values()
    assert session_digest == signed_links.digest("session-1") and expires == NOW + SIGN_IN_VALID_FOR
    assert list(logins.attempts) == [signed_links.digest(state)]  # the state itself is not kept
    with pytest.raises(PreconditionFailed):  # another browser's session
        nhs_login.finish(state, "code", "session-2", "https://portal.test/cb", provider, logins, store, NOW)
    account = nhs_login.finish(state, "code", "session-1", "https://portal.test/cb", provider, logins, store, NOW)
    assert provider.exchanged == [("code", verifier, nonce)]
    assert account.email_key == "ada@example.org" and account.verified and account.password_hash == NO_PASSWORD
    with pytest.raises(PreconditionFailed):  # used
        nhs_login.finish(state, "code", "session-1", "https://portal.test/cb", provider, logins, store, NOW)
    _, logins, provider, state = _began(ADA)
    late = NOW + SIGN_IN_VALID_FOR + timedelta(seconds=1)
    with pytest.raises(PreconditionFailed):
        nhs_login.finish(state, "code", "session-1", "https://portal.test/cb", provider, logins, store, late)
    assert provider.exchanged == []  # no code exchanged for a refused state


def test_the_subject_signs_in_to_its_account_the_verified_address_joins_an_existing_one() -> None:
    store = FakeStore()
    logins = FakeNhsLogins(store)
    store.add("local", "ada@example.org", "$argon2id$local", NOW)
    store.mark_verified("local", NOW)
    joined = nhs_login.account_of(ADA, logins, store, NOW)
    assert joined.account_id == "local" and joined.password_hash == "$argon2id$local"  # keeps its password
    # the next time, by the subject, even if NHS login now has another address for them
    again = nhs_login.account_of(Identity("nhs-sub-1", "new@example.org", True), logins, store, NOW)
    assert again.account_id == "local"
    # another subject with the same address: the account is joined already
    with pytest.raises(PreconditionFailed, match="another NHS login"):
        nhs_login.account_of(Identity("nhs-sub-2", "ada@example.org", True), logins, store, NOW)


def test_an_unverified_local_account_joined_by_nhs_login_loses_the_password_nobody_proved() -> None:
    store = FakeStore()
    logins = FakeNhsLogins(store)
    store.add("squatter", "ada@example.org", "$argon2id$squatter", NOW)  # never verified
    joined = nhs_login.account_of(ADA, logins, store, NOW)
    assert joined.account_id == "squatter" and joined.verified and joined.password_hash == NO_PASSWORD


@pytest.mark.parametrize("identity", [Identity("s", None, False), Identity("s", "ada@example.org", False)])
def test_an_address_nhs_login_did_not_verify_joins_and_makes_nothing(identity: Identity) -> None:
    store = FakeStore()
    store.add("local", "ada@example.org", "$argon2id$local", NOW)
    logins = FakeNhsLogins(store)
    with pytest.raises(PreconditionFailed, match="verified email"):
        nhs_login.account_of(identity, logins, store, NOW)
    assert logins.subjects == {} and list(store.accounts) == ["local"]
