"""Who is calling: the administrator, an internal caller (by its own credential), a trust (by one of
its API keys, or a member of its staff through the portal), or a leader (through the portal).

A trust key is ``<key-id>.<secret>``; the secret has 256 bits of entropy, so a single SHA-256 is a
sound verifier (a slow password hash would cost tens of milliseconds on every call). The trust of a
call comes from its principal, never from a field of the request.

What a trust-side principal may do is its **scopes**: a key's are chosen when it is issued; a member
of staff's follow from their roles, read from the service's own staff directory. Each method requires
one scope (its ``(plr.options.v1.required_scope)`` option), checked by the gRPC pipeline
(``services/common/authorization.py``).
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


# what a trust key may carry (``plr trust key issue --scope``): reads; changes to leaders, affiliations,
# consent, support and development; recording and accepting checks; DBS certificate details on reads
READ, PEOPLE, CHECKS, DBS_DETAILS = "read", "people", "checks", "dbs-details"
KEY_SCOPES = (READ, PEOPLE, CHECKS, DBS_DETAILS)
# a key issued without --scope, and every key issued before scopes existed: what keys could do then,
# except DBS details (which a staff name used to release and now only an explicit scope does)
DEFAULT_KEY_SCOPES = frozenset({READ, PEOPLE, CHECKS})
# a method's scope that no key can hold: it is the administrator's (or a trust admin's, for STAFF)
ADMINISTRATION, STAFF = "administration", "staff"
METHOD_SCOPES = (*KEY_SCOPES, STAFF, ADMINISTRATION)

# a member of staff's roles, and the scopes each gives (DBS details: the roles that verify checks)
RECRUITER, FACILITATOR, FINANCE, TRUST_ADMIN = "recruiter", "facilitator", "finance", "trust_admin"
ROLE_SCOPES: dict[str, frozenset[str]] = {
    RECRUITER: frozenset({READ, PEOPLE, CHECKS, DBS_DETAILS}),
    FACILITATOR: frozenset({READ, PEOPLE}),
    FINANCE: frozenset({READ}),
    TRUST_ADMIN: frozenset({READ, PEOPLE, CHECKS, DBS_DETAILS, STAFF}),
}
STAFF_ROLES = tuple(ROLE_SCOPES)


def scopes_of_roles(roles: frozenset[str]) -> frozenset[str]:
    return frozenset().union(*(ROLE_SCOPES.get(role, frozenset()) for role in roles))


def parse_key_scopes(raw: str) -> frozenset[str]:
    """``read,people`` -> the scopes; ValueError naming what is wrong."""
    scopes = frozenset(s.strip() for s in raw.split(",") if s.strip())
    unknown = sorted(scopes - set(KEY_SCOPES))
    if unknown or not scopes:
        raise ValueError(f"expected a comma-separated list of {', '.join(KEY_SCOPES)}, got {raw!r}")
    return scopes


@dataclass(frozen=True)
class InternalCaller:
    """A process calling an api with its own credential (the portal; later a worker that needs a
    read): the methods it may call (full gRPC names), and for whom it may act (``leader``: the
    ``x-plr-leader`` metadata; ``staff``: ``x-plr-staff-id``). A caller that acts for no one calls
    as itself."""

    name: str
    token: str
    methods: frozenset[str]
    acts_for: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Principal:
    kind: Literal["administrator", "service", "trust", "leader"]
    name: str
    trust_ods: str | None = None
    leader_id: str | None = None
    # a trust-side principal's scopes: its key's, or its staff member's roles'
    scopes: frozenset[str] = frozenset()
    # a member of the trust's staff, asserted by the portal and found in the service's staff directory
    staff_id: str | None = None
    roles: frozenset[str] = frozenset()
    # a staff name sent with a trust key (x-plr-staff): a claim, recorded in the audit, granting nothing
    claimed_staff: str | None = None
    # the internal credential the call came with (the portal acting for a leader or staff member)
    via: InternalCaller | None = None

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
        if self.staff_id is not None:
            return f"{self.name}/staff:{self.staff_id}"
        return f"{self.name}/claimed-staff:{self.claimed_staff}" if self.claimed_staff else self.name

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes

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
