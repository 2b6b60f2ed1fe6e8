"""A trust: a tenant of plr, identified by its ODS code, with its API keys."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import datetime

from services.common.errors import InvalidInput, NotFound, PreconditionFailed
from services.common.principals import DEFAULT_KEY_SCOPES, KEY_SCOPES
from services.common.tenancy import ODS_CODE, ODS_CODE_RULE
from services.registry.domain import events

NAME_MAX = 200


def validate_trust_identity(ods: str, name: str) -> dict[str, str]:
    """The problems with an ODS code and a name, by field (empty when both are valid)."""
    problems: dict[str, str] = {}
    if not ODS_CODE.fullmatch(ods):
        problems["ods"] = f"{ODS_CODE_RULE} (got {ods!r})"
    stripped = name.strip()
    if not stripped:
        problems["name"] = "must not be empty"
    elif len(name) > NAME_MAX:
        problems["name"] = f"must be at most {NAME_MAX} characters (got {len(name)})"
    elif any(unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co", "Cn") for c in name):
        problems["name"] = "must not contain control or unassigned characters"
    return problems


def key_scopes(requested: tuple[str, ...] | list[str], field_name: str = "scopes") -> frozenset[str]:
    """The scopes of a new key: those requested (each a known one, each once), or the default."""
    if not requested:
        return DEFAULT_KEY_SCOPES
    unknown = sorted(set(requested) - set(KEY_SCOPES))
    if unknown:
        raise InvalidInput(
            {field_name: f"unknown scope(s) {', '.join(map(repr, unknown))}: use {', '.join(KEY_SCOPES)}"}
        )
    if len(set(requested)) != len(requested):
        raise InvalidInput({field_name: "names a scope twice"})
    return frozenset(requested)


@dataclass
class TrustKeyRecord:
    key_id: str
    secret_sha256: str
    issued_at: datetime
    revoked_at: datetime | None = None
    scopes: frozenset[str] = DEFAULT_KEY_SCOPES

    @property
    def valid(self) -> bool:
        return self.revoked_at is None


@dataclass
class Trust:
    ods: str
    name: str
    status: str = "active"
    version: int = 0
    created_at: datetime | None = None
    updated_at: datetime | None = None  # when its row last changed (the store sets it)
    keys: list[TrustKeyRecord] = field(default_factory=list)
    pending_events: list[events.TrustEvent] = field(default_factory=list)

    @classmethod
    def onboard(cls, ods: str, name: str, now: datetime) -> Trust:
        problems = validate_trust_identity(ods, name)
        if problems:
            raise InvalidInput(problems)
        trust = cls(ods=ods, name=name.strip(), created_at=now, updated_at=now)
        trust._record(events.TrustOnboarded(ods=ods, name=trust.name, version=trust.version + 1))
        return trust

    def issue_key(
        self, key_id: str, secret_sha256: str, now: datetime, scopes: frozenset[str] = DEFAULT_KEY_SCOPES
    ) -> TrustKeyRecord:
        key = TrustKeyRecord(key_id=key_id, secret_sha256=secret_sha256, issued_at=now, scopes=scopes)
        self.keys.append(key)
        self._record(
            events.TrustKeyIssued(
                ods=self.ods,
                key_id=key_id,
                secret_sha256=secret_sha256,
                issued_at=now,
                version=self.version + 1,
                scopes=tuple(sorted(scopes)),
            )
        )
        return key

    def revoke_key(self, key_id: str, now: datetime) -> TrustKeyRecord:
        key = next((k for k in self.keys if k.key_id == key_id), None)
        if key is None:
            raise NotFound(f"trust {self.ods} has no key {key_id!r}")
        if key.revoked_at is None:
            key.revoked_at = now
            self._record(events.TrustKeyRevoked(ods=self.ods, key_id=key_id, revoked_at=now, version=self.version + 1))
        return key

    def suspend(self) -> None:
        self._require_not_offboarded()
        if self.status == "suspended":
            return
        self.status = "suspended"
        self._record(events.TrustSuspended(ods=self.ods, version=self.version + 1))

    def resume(self) -> None:
        self._require_not_offboarded()
        if self.status == "active":
            return
        self.status = "active"
        self._record(events.TrustResumed(ods=self.ods, version=self.version + 1))

    def offboard(self, now: datetime) -> None:
        """The trust leaves plr: its keys are revoked; the caller erases what only it held."""
        if self.status == "offboarded":
            return
        for key in self.valid_keys:
            self.revoke_key(key.key_id, now)
        self.status = "offboarded"
        self._record(events.TrustOffboarded(ods=self.ods, version=self.version + 1))

    def _require_not_offboarded(self) -> None:
        if self.status == "offboarded":
            raise PreconditionFailed(f"trust {self.ods} has been offboarded")

    @property
    def valid_keys(self) -> list[TrustKeyRecord]:
        return [k for k in self.keys if k.valid]

    def _record(self, event: events.TrustEvent) -> None:
        self.version = event.version
        self.pending_events.append(event)
