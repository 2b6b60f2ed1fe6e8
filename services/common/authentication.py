"""Maps a bearer credential to a principal, locally: the administrator's and the internal callers' tokens
from settings, trust keys (with their scopes) from this service's own trust directory (kept current by
registry's events), members of staff from its staff directory.

Only an internal caller whose manifest says it acts for leaders or staff (the portal) may assert who
it acts for: ``x-plr-leader: <leader id>`` or ``x-plr-staff-id: <staff id>``; a staff member's trust and
roles come from the directory, never from the call. A staff name sent with a trust key
(``x-plr-staff``) is kept as a claim for the audit and grants nothing."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from services.common.db import scoped_transaction
from services.common.errors import PermissionDenied, Unauthenticated
from services.common.manifest import ServiceManifest
from services.common.principals import (
    ADMINISTRATOR,
    InternalCaller,
    Principal,
    hash_secret,
    parse_api_key,
    scopes_of_roles,
    secret_matches,
    token_matches,
)
from services.common.settings import Settings
from services.common.tenancy import LEADER_ID, TenantScope
from services.common.trust_directory import api_keys, staff_members, trusts

STAFF = re.compile(r"[^/\x00-\x1f\x7f]{1,100}")
STAFF_ID = LEADER_ID  # a UUID, as the registry gives it
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
        callers: Iterable[InternalCaller] = (),
        key_cache_ttl_s: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.engine = engine
        self.admin_token = admin_token
        self.callers = tuple(callers)
        self.key_cache_ttl_s = key_cache_ttl_s
        self.clock = clock
        # (key id, SHA-256 of the secret) -> (when verified, the principal): only keys that authenticated (a
        # wrong secret never matches an entry; unknown, revoked and refused keys are not cached)
        self._verified: dict[tuple[str, str], tuple[float, Principal]] = {}
        self._generation = 0  # bumped by every forget: a lookup that began before it is not cached
        self._lock = threading.Lock()

    def forget(self, trust_ods: str) -> None:
        """Drop the cached keys of a trust (suspended, offboarded, or any change to its keys)."""
        with self._lock:
            self._generation += 1
            self._verified = {k: v for k, v in self._verified.items() if v[1].trust_ods != trust_ods}

    def forget_key(self, key_id: str) -> None:
        """Drop a cached key (revoked)."""
        with self._lock:
            self._generation += 1
            self._verified = {k: v for k, v in self._verified.items() if k[0] != key_id}

    def authenticate(self, metadata: Mapping[str, str]) -> Principal:
        credential = _bearer(metadata.get("authorization"))
        leader, staff_id = metadata.get("x-plr-leader"), metadata.get("x-plr-staff-id")
        caller = next((c for c in self.callers if token_matches(credential, c.token)), None)
        if caller is not None:
            return self._acting_for(caller, leader, staff_id)
        if leader is not None or staff_id is not None:
            raise PermissionDenied("x-plr-leader and x-plr-staff-id are accepted only with the portal's credential")
        if token_matches(credential, self.admin_token):
            return ADMINISTRATOR
        principal = self._trust_key(credential)
        claimed = metadata.get("x-plr-staff")
        if claimed is not None:
            if not STAFF.fullmatch(claimed):
                raise Unauthenticated("x-plr-staff must be 1 to 100 printable characters without '/'")
            return replace(principal, claimed_staff=claimed)  # recorded in the audit; grants nothing
        return principal

    def _acting_for(self, caller: InternalCaller, leader: str | None, staff_id: str | None) -> Principal:
        if leader is not None and staff_id is not None:
            raise Unauthenticated("send x-plr-leader or x-plr-staff-id, not both")
        if leader is not None:
            if "leader" not in caller.acts_for:
                raise PermissionDenied(f"the {caller.name} credential may not act for a leader")
            if not LEADER_ID.fullmatch(leader):
                raise Unauthenticated("x-plr-leader is not a leader id")
            return Principal("leader", f"leader:{leader}", leader_id=leader, via=caller)
        if staff_id is not None:
            if "staff" not in caller.acts_for:
                raise PermissionDenied(f"the {caller.name} credential may not act for a member of staff")
            return self._staff(caller, staff_id)
        if caller.acts_for:  # the portal calls only for someone signed in, never as itself
            raise PermissionDenied(f"the {caller.name} credential acts only for a signed-in leader or member of staff")
        return Principal("service", caller.name, via=caller)

    def _staff(self, caller: InternalCaller, staff_id: str) -> Principal:
        """The member of staff as this service's directory knows them: trust and roles from there."""
        if not STAFF_ID.fullmatch(staff_id):
            raise Unauthenticated("x-plr-staff-id is not a staff id")
        with scoped_transaction(self.engine, TenantScope.platform_wide()) as connection:
            row = connection.execute(
                sa.select(
                    staff_members.c.trust_ods,
                    staff_members.c.roles,
                    staff_members.c.status.label("staff_status"),
                    trusts.c.status.label("trust_status"),
                )
                .join(trusts, trusts.c.trust_ods == staff_members.c.trust_ods)
                .where(staff_members.c.staff_id == staff_id)
            ).first()
        if row is None or row.staff_status != "active":
            raise Unauthenticated("x-plr-staff-id is not an active member of staff")
        if row.trust_status != "active":
            raise Unauthenticated(f"trust {row.trust_ods} is {row.trust_status}: its staff cannot act")
        roles = frozenset(row.roles)
        return Principal(
            "trust",
            row.trust_ods,
            row.trust_ods,
            scopes=scopes_of_roles(roles),
            staff_id=staff_id,
            roles=roles,
            via=caller,
        )

    def _trust_key(self, credential: str) -> Principal:
        key_id, secret = parse_api_key(credential)
        if self.key_cache_ttl_s <= 0:
            return self._verify(key_id, secret)
        cache_key = (key_id, hash_secret(secret))
        now = self.clock()
        cached = self._verified.get(cache_key)
        if cached is not None and now - cached[0] < self.key_cache_ttl_s:
            return cached[1]
        generation = self._generation
        principal = self._verify(key_id, secret)
        with self._lock:
            if generation == self._generation:
                if len(self._verified) >= KEY_CACHE_MAX:
                    self._verified = {k: v for k, v in self._verified.items() if now - v[0] < self.key_cache_ttl_s}
                    if len(self._verified) >= KEY_CACHE_MAX:
                        self._verified.clear()
                self._verified[cache_key] = (now, principal)
        return principal

    def _verify(self, key_id: str, secret: str) -> Principal:
        with scoped_transaction(self.engine, TenantScope.platform_wide()) as connection:
            row = connection.execute(
                sa.select(
                    api_keys.c.trust_ods,
                    api_keys.c.secret_sha256,
                    api_keys.c.revoked_at,
                    api_keys.c.scopes,
                    trusts.c.status,
                )
                .join(trusts, trusts.c.trust_ods == api_keys.c.trust_ods)
                .where(api_keys.c.key_id == key_id)
            ).first()
        if row is None or row.revoked_at is not None or not secret_matches(secret, row.secret_sha256):
            raise Unauthenticated("the API key is unknown or revoked")
        if row.status != "active":
            raise Unauthenticated(f"trust {row.trust_ods} is {row.status}: its keys do not work")
        return Principal("trust", row.trust_ods, row.trust_ods, scopes=frozenset(row.scopes))


def _bearer(authorization: str | None) -> str:
    if not authorization:
        raise Unauthenticated("no credential: send 'authorization: Bearer <key>' metadata")
    scheme, _, credential = authorization.partition(" ")
    if scheme.lower() != "bearer" or not credential:
        raise Unauthenticated("the authorization metadata must be 'Bearer <key>'")
    return credential.strip()


def internal_callers(manifest: ServiceManifest, settings: Settings) -> list[InternalCaller]:
    """The internal callers the service's api accepts: those its manifest declares whose token is set."""
    if manifest.api is None:
        return []
    own = settings.service(manifest.name)
    return [
        InternalCaller(caller.name, token, frozenset(caller.methods), frozenset(caller.acts_for))
        for caller in manifest.api.callers
        if (token := own.value(caller.token)) is not None
    ]
