"""Maps a bearer credential to a principal, locally: the administrator's and the services' tokens from
settings, trust keys from this service's own trust directory (kept current by registry's events)."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import replace

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from services.common.db import scoped_transaction
from services.common.errors import PermissionDenied, Unauthenticated
from services.common.principals import (
    ADMINISTRATOR,
    Principal,
    hash_secret,
    parse_api_key,
    secret_matches,
    token_matches,
)
from services.common.tenancy import LEADER_ID, TenantScope
from services.common.trust_directory import api_keys, trusts

STAFF = re.compile(r"[^/\x00-\x1f\x7f]{1,100}")
# An api may reuse a verified trust key for ``key_cache_ttl_s`` (default 0: no cache). One that changes
# the directory itself calls forget()/forget_key() on its own changes (a key revoked, a trust suspended
# or offboarded), so the process that made the change refuses the key at once; any other process using
# the same directory notices within the TTL. An api whose directory changes by events keeps no cache: it
# refuses as soon as the event is applied. The registry's TTL is its setting PLR_REGISTRY_KEY_CACHE_TTL_S
KEY_CACHE_MAX = 10_000


class Authenticator:
    def __init__(
        self,
        engine: Engine,
        admin_token: str | None,
        service_token: str | None,
        key_cache_ttl_s: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.engine = engine
        self.admin_token = admin_token
        self.service_token = service_token
        self.key_cache_ttl_s = key_cache_ttl_s
        self.clock = clock
        # (key id, SHA-256 of the secret) -> (when verified, the trust): only keys that authenticated (a
        # wrong secret never matches an entry; unknown, revoked and refused keys are not cached)
        self._verified: dict[tuple[str, str], tuple[float, str]] = {}
        self._generation = 0  # bumped by every forget: a lookup that began before it is not cached
        self._lock = threading.Lock()

    def forget(self, trust_ods: str) -> None:
        """Drop the cached keys of a trust (suspended, offboarded, or any change to its keys)."""
        with self._lock:
            self._generation += 1
            self._verified = {k: v for k, v in self._verified.items() if v[1] != trust_ods}

    def forget_key(self, key_id: str) -> None:
        """Drop a cached key (revoked)."""
        with self._lock:
            self._generation += 1
            self._verified = {k: v for k, v in self._verified.items() if k[0] != key_id}

    def authenticate(self, metadata: Mapping[str, str]) -> Principal:
        principal = self._credential(metadata.get("authorization"))
        leader = metadata.get("x-plr-leader")
        if leader is not None:
            # only the portal (the service credential) may act for a leader it has signed in
            if principal.kind != "service":
                raise PermissionDenied("x-plr-leader is accepted only with the internal service credential")
            if not LEADER_ID.fullmatch(leader):
                raise Unauthenticated("x-plr-leader is not a leader id")
            return Principal("leader", f"leader:{leader}", leader_id=leader)
        staff = metadata.get("x-plr-staff")
        if staff is not None and principal.kind == "trust":
            if not STAFF.fullmatch(staff):
                raise Unauthenticated("x-plr-staff must be 1 to 100 printable characters without '/'")
            return replace(principal, staff=staff)
        return principal

    def _credential(self, authorization: str | None) -> Principal:
        if not authorization:
            raise Unauthenticated("no credential: send 'authorization: Bearer <key>' metadata")
        scheme, _, credential = authorization.partition(" ")
        if scheme.lower() != "bearer" or not credential:
            raise Unauthenticated("the authorization metadata must be 'Bearer <key>'")
        credential = credential.strip()
        if token_matches(credential, self.admin_token):
            return ADMINISTRATOR
        if token_matches(credential, self.service_token):
            return Principal("service", "internal")
        key_id, secret = parse_api_key(credential)
        if self.key_cache_ttl_s <= 0:
            return self._verify(key_id, secret)
        cache_key = (key_id, hash_secret(secret))
        now = self.clock()
        cached = self._verified.get(cache_key)
        if cached is not None and now - cached[0] < self.key_cache_ttl_s:
            return Principal("trust", cached[1], cached[1])
        generation = self._generation
        principal = self._verify(key_id, secret)
        assert principal.trust_ods is not None
        with self._lock:
            if generation == self._generation:
                if len(self._verified) >= KEY_CACHE_MAX:
                    self._verified = {k: v for k, v in self._verified.items() if now - v[0] < self.key_cache_ttl_s}
                    if len(self._verified) >= KEY_CACHE_MAX:
                        self._verified.clear()
                self._verified[cache_key] = (now, principal.trust_ods)
        return principal

    def _verify(self, key_id: str, secret: str) -> Principal:
        with scoped_transaction(self.engine, TenantScope.platform_wide()) as connection:
            row = connection.execute(
                sa.select(api_keys.c.trust_ods, api_keys.c.secret_sha256, api_keys.c.revoked_at, trusts.c.status)
                .join(trusts, trusts.c.trust_ods == api_keys.c.trust_ods)
                .where(api_keys.c.key_id == key_id)
            ).first()
        if row is None or row.revoked_at is not None or not secret_matches(secret, row.secret_sha256):
            raise Unauthenticated("the API key is unknown or revoked")
        if row.status != "active":
            raise Unauthenticated(f"trust {row.trust_ods} is {row.status}: its keys do not work")
        return Principal("trust", row.trust_ods, row.trust_ods)
