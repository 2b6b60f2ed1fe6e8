"""Maps a bearer credential to a principal, locally: the administrator's and the services' tokens from
settings, trust keys from this service's own trust directory (kept current by registry's events)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from services.common.db import scoped_transaction
from services.common.errors import PermissionDenied, Unauthenticated
from services.common.principals import ADMINISTRATOR, Principal, parse_api_key, secret_matches, token_matches
from services.common.tenancy import LEADER_ID, TenantScope
from services.common.trust_directory import api_keys, trusts

STAFF = re.compile(r"[^/\x00-\x1f\x7f]{1,100}")


class Authenticator:
    def __init__(self, engine: Engine, admin_token: str | None, service_token: str | None):
        self.engine = engine
        self.admin_token = admin_token
        self.service_token = service_token

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
