"""Who is calling: the administrator, an internal service, or a trust (by its API key).

A trust key is ``<key-id>.<secret>``; the secret has 256 bits of entropy, so a single SHA-256 is a
sound verifier (a slow password hash would cost tens of milliseconds on every call). The trust of a
call comes from its principal, never from a field of the request.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from typing import Literal

from services.common.errors import PermissionDenied, Unauthenticated
from services.common.tenancy import TenantScope

KEY_PATTERN = re.compile(r"(?P<key_id>plrk_[a-z0-9]{16})\.(?P<secret>[A-Za-z0-9_\-]{43})")


@dataclass(frozen=True)
class Principal:
    kind: Literal["administrator", "service", "trust", "leader"]
    name: str
    trust_ods: str | None = None
    leader_id: str | None = None
    # the member of a trust's staff making the call (x-plr-staff metadata), for the audit
    staff: str | None = None

    @property
    def scope(self) -> TenantScope:
        if self.kind == "trust":
            assert self.trust_ods is not None
            return TenantScope.trust(self.trust_ods)
        if self.kind == "leader":
            assert self.leader_id is not None
            return TenantScope.leader(self.leader_id)
        return TenantScope.platform_wide()

    @property
    def audit_name(self) -> str:
        return f"{self.name}/{self.staff}" if self.staff else self.name

    def require_leader(self) -> str:
        if self.kind != "leader" or self.leader_id is None:
            raise PermissionDenied("only the leader can do this (through the portal)")
        return self.leader_id

    def require_trust(self) -> str:
        if self.kind != "trust" or self.trust_ods is None:
            raise PermissionDenied("this method is for a trust's key")
        return self.trust_ods

    def require_administrator(self) -> None:
        if self.kind != "administrator":
            raise PermissionDenied("this method is for the administrator only")

    def require_trust_access(self, ods: str) -> None:
        """A trust may act on itself only; the administrator and internal services on any trust."""
        if self.kind == "trust" and ods != self.trust_ods:
            raise PermissionDenied("a trust's key gives access to that trust only")


ADMINISTRATOR = Principal("administrator", "administrator")


@dataclass(frozen=True)
class NewApiKey:
    key_id: str
    secret: str

    @property
    def presented(self) -> str:
        return f"{self.key_id}.{self.secret}"

    @property
    def secret_sha256(self) -> str:
        return hash_secret(self.secret)


def new_api_key() -> NewApiKey:
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    key_id = "plrk_" + "".join(secrets.choice(alphabet) for _ in range(16))
    return NewApiKey(key_id=key_id, secret=secrets.token_urlsafe(32))


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def parse_api_key(presented: str) -> tuple[str, str]:
    match = KEY_PATTERN.fullmatch(presented)
    if match is None:
        raise Unauthenticated("the API key is malformed: expected <key-id>.<secret>")
    return match["key_id"], match["secret"]


def secret_matches(secret: str, stored_sha256: str) -> bool:
    return hmac.compare_digest(hash_secret(secret), stored_sha256)


def token_matches(presented: str, expected: str | None) -> bool:
    return expected is not None and hmac.compare_digest(presented.encode(), expected.encode())
