"""Whose data a unit of work may touch.

Every tenant-owned table has forced row-level security keyed to the PostgreSQL setting
``plr.trust``; the unit of work sets it with ``SET LOCAL`` (``set_config(..., true)``) per transaction.
Platform work (the administrator, the outbox relay, projections of trust-wide facts) runs in the
platform scope, which the same policies admit. No scope at all sees no tenant rows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# a trust's ODS code: the one definition every layer and service checks against
ODS_CODE = re.compile(r"[A-Z0-9]{3,5}")
ODS_CODE_RULE = "must be 3 to 5 upper-case letters or digits"
LEADER_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
PLATFORM = "coalesce(nullif(current_setting('plr.platform', true), ''), 'off') = 'on'"
CURRENT_TRUST = "nullif(current_setting('plr.trust', true), '')"
CURRENT_LEADER = "nullif(current_setting('plr.leader', true), '')"


@dataclass(frozen=True)
class TenantScope:
    """One trust, one leader (acting for themselves through the portal), or the platform."""

    trust_ods: str | None = None
    platform: bool = False
    leader_id: str | None = None

    def __post_init__(self) -> None:
        if self.trust_ods is not None and not ODS_CODE.fullmatch(self.trust_ods):
            raise ValueError(f"not an ODS code: {self.trust_ods!r}")
        if self.leader_id is not None and not LEADER_ID.fullmatch(self.leader_id):
            raise ValueError(f"not a leader id: {self.leader_id!r}")
        if sum((self.platform, self.trust_ods is not None, self.leader_id is not None)) > 1:
            raise ValueError("a scope is one trust, one leader or the platform, not several")

    @classmethod
    def trust(cls, ods: str) -> TenantScope:
        return cls(trust_ods=ods)

    @classmethod
    def leader(cls, leader_id: str) -> TenantScope:
        return cls(leader_id=leader_id)

    @classmethod
    def platform_wide(cls) -> TenantScope:
        return cls(platform=True)

    @classmethod
    def nobody(cls) -> TenantScope:
        return cls()


def rls_predicate(column: str = "trust_ods") -> str:
    """The policy expression for a tenant-owned table (an unset setting reads as '', hence nullif)."""
    return f"({column} = {CURRENT_TRUST} OR {PLATFORM})"


def leader_rls_predicate(leader_column: str = "leader_id", trust_column: str | None = "trust_ods") -> str:
    """A row about a leader: the leader themselves, the platform, or (if it has one) its trust."""
    own = f"{leader_column}::text = {CURRENT_LEADER}"
    if trust_column is None:
        return f"({own} OR {PLATFORM})"
    return f"({trust_column} = {CURRENT_TRUST} OR {own} OR {PLATFORM})"
