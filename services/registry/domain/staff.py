"""A member of a trust's staff: who acts for the trust through the portal. The registry gives the
id; the roles decide what the member may do (services/common/principals.py ROLE_SCOPES: a recruiter
and a trust admin read DBS details, a facilitator is assigned to leaders, finance reads). A member
who left keeps their record (the audit names them) and can no longer act."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import datetime

from services.common.errors import InvalidInput
from services.common.principals import STAFF_ROLES

NAME_MAX = 100
ACTIVE, LEFT = "active", "left"


@dataclass(frozen=True)
class StaffEvent:
    staff_id: str
    trust_ods: str
    version: int


@dataclass(frozen=True)
class StaffAdded(StaffEvent):
    roles: tuple[str, ...]


@dataclass(frozen=True)
class StaffLeft(StaffEvent):
    pass


def staff_roles(requested: tuple[str, ...] | list[str]) -> frozenset[str]:
    unknown = sorted(set(requested) - set(STAFF_ROLES))
    if not requested or unknown or len(set(requested)) != len(requested):
        raise InvalidInput({"roles": f"one or more of {', '.join(STAFF_ROLES)}, each once (got {list(requested)!r})"})
    return frozenset(requested)


def _name(name: str) -> str:
    stripped = name.strip()
    if not stripped or len(name) > NAME_MAX or any(unicodedata.category(c).startswith("C") for c in name):
        raise InvalidInput({"name": f"is required: 1 to {NAME_MAX} characters, no control characters"})
    return stripped


@dataclass
class StaffMember:
    staff_id: str
    trust_ods: str
    name: str
    roles: frozenset[str]
    status: str
    version: int
    created_at: datetime
    pending_events: list[StaffEvent] = field(default_factory=list)

    @classmethod
    def add(cls, staff_id: str, trust_ods: str, name: str, roles: tuple[str, ...], now: datetime) -> StaffMember:
        member = cls(staff_id, trust_ods, _name(name), staff_roles(roles), ACTIVE, 1, now)
        member.pending_events.append(StaffAdded(staff_id, trust_ods, 1, tuple(sorted(member.roles))))
        return member

    @property
    def active(self) -> bool:
        return self.status == ACTIVE

    def has_role(self, role: str) -> bool:
        return self.active and role in self.roles

    def leave(self) -> None:
        """A no-op for one who left already."""
        if not self.active:
            return
        self.status = LEFT
        self.version += 1
        self.pending_events.append(StaffLeft(self.staff_id, self.trust_ods, self.version))
