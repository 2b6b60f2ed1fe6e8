"""Whose data a unit of work may touch.

Every tenant-owned table has forced row-level security keyed to the PostgreSQL setting
``plr.trust``; the unit of work sets it with ``SET LOCAL`` (``set_config(..., true)``) per transaction.
Platform work (the administrator, the outbox relay, projections of trust-wide facts) runs in the
platform scope, which the same policies admit. No scope at all sees no tenant rows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ODS_CODE = re.compile(r"[A-Z0-9]{3,5}")


@dataclass(frozen=True)
class TenantScope:
    trust_ods: str | None = None
    platform: bool = False

    def __post_init__(self) -> None:
        if self.trust_ods is not None and not ODS_CODE.fullmatch(self.trust_ods):
            raise ValueError(f"not an ODS code: {self.trust_ods!r}")
        if self.platform and self.trust_ods is not None:
            raise ValueError("a scope is either one trust or the platform, not both")

    @classmethod
    def trust(cls, ods: str) -> TenantScope:
        return cls(trust_ods=ods)

    @classmethod
    def platform_wide(cls) -> TenantScope:
        return cls(platform=True)

    @classmethod
    def nobody(cls) -> TenantScope:
        return cls()


def rls_predicate(column: str = "trust_ods") -> str:
    """The policy expression for a tenant-owned table (an unset setting reads as '', hence nullif)."""
    return (
        f"({column} = nullif(current_setting('plr.trust', true), '') "
        f"OR coalesce(nullif(current_setting('plr.platform', true), ''), 'off') = 'on')"
    )
