"""NHS login (OpenID Connect) behind IdentityProvider, and the portal's database behind NhsLoginStore.

Authlib's OAuth 2.0 client builds the authorization URL (with the PKCE challenge, S256) and exchanges
the code (sending the verifier, and authenticating the portal with ``private_key_jwt``, as NHS login
asks, or a client secret); joserfc (the JOSE library Authlib itself is built on) checks the id token:
its signature by a key of the provider's JWKS, and its issuer, audience, expiry, issue time and nonce.
The provider's metadata comes from its discovery document, whose issuer must be the configured one."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import requests
import sqlalchemy as sa
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from joserfc import jwk, jwt
from joserfc.errors import JoseError
from joserfc.jws import extract_compact
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Engine

from services.portal.adapters.store import account_from_row
from services.portal.adapters.tables import accounts, nhs_logins, oidc_attempts, sessions
from services.portal.domain.accounts import Account
from services.portal.domain.nhs_login import NO_PASSWORD, Identity
from services.portal.service_layer.ports import (
    IdentityProvider,
    IdentityProviderUnavailable,
    IdentityRefused,
    NhsLoginStore,
)

HTTP_TIMEOUT_S = 10.0
METADATA_FOR_S = 3600.0  # the discovery document and keys are fetched again after this long
CLOCK_LEEWAY_S = 60
# what an id token may be signed with: NHS login signs with RS512; never "none", never HMAC (whose key
# would be the client secret, known to more than the provider)
ID_TOKEN_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")


class UnknownSigningKey(IdentityRefused):
    """The id token names a key (``kid``) not among the provider's keys as last fetched."""


@dataclass(frozen=True)
class NhsLoginSettings:
    issuer: str
    client_id: str
    # one of the two: NHS login authenticates its clients by a JWT signed with their private key
    private_key_pem: str | None = None
    client_secret: str | None = None
    scopes: str = "openid email"
    client_assertion_alg: str = "RS512"


def validate_id_token(
    id_token: str, keys: jwk.KeySet, issuer: str, client_id: str, nonce: str, now: datetime
) -> Mapping[str, Any]:
    """The claims of an id token the provider signed for this client and this sign-in; IdentityRefused,
    naming what was wrong, otherwise (an unknown key, a bad signature, another issuer or audience, an
    expired token, another nonce)."""
    try:
        kid = extract_compact(id_token.encode()).protected.get("kid")
    except (JoseError, ValueError):
        raise IdentityRefused("the id token is not a signed JWT") from None
    if kid is not None:
        try:
            keys.get_by_kid(kid)
        except (JoseError, ValueError, KeyError):
            raise UnknownSigningKey("the id token is signed with a key the provider has not published") from None
    try:
        token = jwt.decode(id_token, keys, algorithms=list(ID_TOKEN_ALGORITHMS))
    except (JoseError, ValueError) as error:
        raise IdentityRefused(f"the id token's signature was not verified ({type(error).__name__})") from None
    claims = dict(token.claims)
    registry = jwt.JWTClaimsRegistry(
        now=int(now.timestamp()),
        leeway=CLOCK_LEEWAY_S,
        iss={"essential": True, "value": issuer},
        aud={"essential": True, "value": client_id},
        sub={"essential": True},
        exp={"essential": True},
        iat={"essential": True},
        nonce={"essential": True, "value": nonce},
    )
    try:
        registry.validate(claims)
    except JoseError as error:
        raise IdentityRefused(f"the id token was refused: {error.error} {error.description or ''}".strip()) from None
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiences) > 1 and claims.get("azp") != client_id:  # OpenID Connect Core 3.1.3.7, 4 and 5
        raise IdentityRefused("the id token was refused: it names other audiences and is not for this client")
    if not isinstance(claims["sub"], str) or not claims["sub"]:
        raise IdentityRefused("the id token was refused: its subject is not a string")
    return claims


class OidcProvider(IdentityProvider):
    """An OpenID Connect provider found by its issuer URL (NHS login's, or a test's own)."""

    def __init__(self, settings: NhsLoginSettings, http: requests.Session | None = None):
        if not settings.private_key_pem and not settings.client_secret:
            raise ValueError("NHS login needs the client's private key (or a client secret)")
        self.settings = settings
        self.http = http or requests.Session()
        self._lock = threading.Lock()
        self._metadata: dict[str, Any] | None = None
        self._keys: jwk.KeySet | None = None
        self._fetched_at = 0.0

    def _get_json(self, url: str) -> dict[str, Any]:
        try:
            response = self.http.get(url, timeout=HTTP_TIMEOUT_S)
            response.raise_for_status()
            found = response.json()
        except (requests.RequestException, ValueError) as error:
            raise IdentityProviderUnavailable(f"NHS login did not answer ({type(error).__name__})") from None
        if not isinstance(found, dict):
            raise IdentityProviderUnavailable("NHS login's answer was not a JSON object")
        return found

    def metadata(self) -> dict[str, Any]:
        with self._lock:
            if self._metadata is None or time.monotonic() - self._fetched_at > METADATA_FOR_S:
                issuer = self.settings.issuer.rstrip("/")
                found = self._get_json(issuer + "/.well-known/openid-configuration")
                if found.get("issuer") != self.settings.issuer:  # OpenID Connect Discovery 4.3
                    raise IdentityProviderUnavailable("NHS login's discovery document names another issuer")
                for endpoint in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
                    if not isinstance(found.get(endpoint), str):
                        raise IdentityProviderUnavailable(f"NHS login's discovery document has no {endpoint}")
                self._metadata, self._keys, self._fetched_at = found, None, time.monotonic()
            return self._metadata

    def keys(self, refresh: bool = False) -> jwk.KeySet:
        metadata = self.metadata()
        with self._lock:
            if self._keys is None or refresh:
                try:
                    self._keys = jwk.KeySet.import_key_set(self._get_json(metadata["jwks_uri"]))  # type: ignore[arg-type]
                except (JoseError, ValueError, KeyError, TypeError):
                    raise IdentityProviderUnavailable("NHS login's keys could not be read") from None
            return self._keys

    def _client(self, redirect_uri: str) -> OAuth2Session:
        settings = self.settings
        if settings.private_key_pem:
            client = OAuth2Session(
                settings.client_id,
                settings.private_key_pem,
                token_endpoint_auth_method="private_key_jwt",
                scope=settings.scopes,
                redirect_uri=redirect_uri,
                code_challenge_method="S256",
            )
            client.register_client_auth_method(
                PrivateKeyJWT(self.metadata()["token_endpoint"], alg=settings.client_assertion_alg)
            )
            return client
        return OAuth2Session(
            settings.client_id,
            settings.client_secret,
            token_endpoint_auth_method="client_secret_post",
            scope=settings.scopes,
            redirect_uri=redirect_uri,
            code_challenge_method="S256",
        )

    def authorization_url(self, state: str, nonce: str, code_verifier: str, redirect_uri: str) -> str:
        url, _ = self._client(redirect_uri).create_authorization_url(
            self.metadata()["authorization_endpoint"], state=state, code_verifier=code_verifier, nonce=nonce
        )
        return str(url)

    def identity(self, code: str, code_verifier: str, nonce: str, redirect_uri: str, now: datetime) -> Identity:
        metadata = self.metadata()
        try:
            tokens = self._client(redirect_uri).fetch_token(
                metadata["token_endpoint"],
                grant_type="authorization_code",
                code=code,
                code_verifier=code_verifier,
                timeout=HTTP_TIMEOUT_S,
            )
        except OAuthError as error:
            raise IdentityRefused(f"NHS login refused the code ({error.error})") from None
        except (requests.RequestException, ValueError) as error:
            raise IdentityProviderUnavailable(f"NHS login did not answer ({type(error).__name__})") from None
        id_token = tokens.get("id_token")
        if not isinstance(id_token, str):
            raise IdentityRefused("NHS login sent no id token")
        try:
            claims = validate_id_token(id_token, self.keys(), self.settings.issuer, self.settings.client_id, nonce, now)
        except UnknownSigningKey:
            # the provider may have rotated its keys since they were fetched: once more with fresh ones
            claims = validate_id_token(
                id_token, self.keys(refresh=True), self.settings.issuer, self.settings.client_id, nonce, now
            )
        email, verified = claims.get("email"), claims.get("email_verified")
        if email is None and isinstance(metadata.get("userinfo_endpoint"), str):
            # NHS login gives the address from its userinfo endpoint: for the same subject only
            info = self._userinfo(metadata["userinfo_endpoint"], str(tokens.get("access_token", "")))
            if info.get("sub") != claims["sub"]:
                raise IdentityRefused("NHS login's userinfo is for another subject than the id token")
            email, verified = info.get("email"), info.get("email_verified")
        return Identity(str(claims["sub"]), email if isinstance(email, str) and email else None, verified is True)

    def _userinfo(self, url: str, access_token: str) -> dict[str, Any]:
        try:
            response = self.http.get(url, headers={"Authorization": f"Bearer {access_token}"}, timeout=HTTP_TIMEOUT_S)
            response.raise_for_status()
            found = response.json()
        except (requests.RequestException, ValueError) as error:
            raise IdentityProviderUnavailable(f"NHS login's userinfo did not answer ({type(error).__name__})") from None
        return found if isinstance(found, dict) else {}


class SqlNhsLogins(NhsLoginStore):
    def __init__(self, engine: Engine):
        self.engine = engine

    def add_attempt(
        self, state_digest: str, session_digest: str, nonce: str, code_verifier: str, expires_at: datetime
    ) -> None:
        with self.engine.begin() as c:
            # attempts never finished are of no more use: forget them as new ones begin
            c.execute(oidc_attempts.delete().where(oidc_attempts.c.expires_at < sa.func.now()))
            c.execute(
                oidc_attempts.insert().values(
                    state_digest=state_digest,
                    session_digest=session_digest,
                    nonce=nonce,
                    code_verifier=code_verifier,
                    expires_at=expires_at,
                )
            )

    def take_attempt(self, state_digest: str, session_digest: str, now: datetime) -> tuple[str, str] | None:
        with self.engine.begin() as c:
            row = c.execute(
                oidc_attempts.delete()
                .where(oidc_attempts.c.state_digest == state_digest, oidc_attempts.c.session_digest == session_digest)
                .returning(oidc_attempts.c.nonce, oidc_attempts.c.code_verifier, oidc_attempts.c.expires_at)
            ).first()
        if row is None or row.expires_at <= now:
            return None
        return row.nonce, row.code_verifier

    def account_for_subject(self, subject: str) -> Account | None:
        with self.engine.begin() as c:
            row = c.execute(
                sa.select(accounts)
                .join(nhs_logins, nhs_logins.c.account_id == accounts.c.account_id)
                .where(nhs_logins.c.subject == subject)
            ).first()
        return None if row is None else account_from_row(row)

    def subject_of(self, account_id: str) -> str | None:
        with self.engine.begin() as c:
            found = c.execute(sa.select(nhs_logins.c.subject).where(nhs_logins.c.account_id == account_id)).scalar()
        return str(found) if found is not None else None

    def link_subject(self, subject: str, account_id: str, now: datetime) -> bool:
        with self.engine.begin() as c:
            done = c.execute(
                insert(nhs_logins)
                .values(subject=subject, account_id=account_id, linked_at=now)
                .on_conflict_do_nothing()
            )
            if done.rowcount != 1:
                return False
            unproven = c.execute(
                accounts.update()
                .where(accounts.c.account_id == account_id, accounts.c.verified_at.is_(None))
                .values(password_hash=NO_PASSWORD, verified_at=now)
            )
            if unproven.rowcount:  # whoever set that password may have a session: it ends with the password
                c.execute(sessions.delete().where(sessions.c.account_id == account_id))
            return True

    def add_account_for_subject(self, account_id: str, subject: str, email_key: str, now: datetime) -> bool:
        with self.engine.begin() as c:
            made = c.execute(
                insert(accounts)
                .values(
                    account_id=account_id,
                    email_key=email_key,
                    password_hash=NO_PASSWORD,
                    verified_at=now,
                    created_at=now,
                )
                .on_conflict_do_nothing(index_elements=["email_key"])
            )
            if made.rowcount != 1:
                return False
            c.execute(nhs_logins.insert().values(subject=subject, account_id=account_id, linked_at=now))
            return True
