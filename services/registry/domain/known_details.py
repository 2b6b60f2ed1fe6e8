"""How a trust knows a person: the name, email and phone it recorded, kept apart from the person's own.

The person decides their own name and contact details; a trust's registration, import or update of
them is its own record, read back only by that trust (and the person), never a change to the person
or to what another trust sees. So no answer to a trust depends on whether anyone else holds the
person or their address: a trust's record is never checked against anyone's (the person's own email
stays unique, and only the person changes it).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from services.registry.domain.profile import LeaderProfile

# the fields of a trust's own record (a trust naming them in an update changes its record only)
KNOWN_FIELDS = ("given_name", "family_name", "email", "phone")


@dataclass(frozen=True)
class KnownDetails:
    trust_ods: str
    leader_id: str
    given_name: str = ""
    family_name: str = ""
    email: str = ""
    phone: str = ""
    updated_at: datetime | None = None

    @classmethod
    def recorded(cls, trust_ods: str, leader_id: str, profile: LeaderProfile, now: datetime) -> KnownDetails:
        return cls(trust_ods, leader_id, updated_at=now).changed(profile, KNOWN_FIELDS, now)[0]

    def changed(
        self, profile: LeaderProfile, names: tuple[str, ...], now: datetime
    ) -> tuple[KnownDetails, tuple[str, ...]]:
        """The record with the named fields of ``profile`` (normalised), and which of them changed."""
        given = profile.normalised()
        changed = tuple(n for n in KNOWN_FIELDS if n in names and getattr(given, n) != getattr(self, n))
        if not changed:
            return self, ()
        return replace(self, updated_at=now, **{n: getattr(given, n) for n in changed}), changed
