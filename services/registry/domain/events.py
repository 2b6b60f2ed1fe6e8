"""What happened to a trust, in the past tense. Thin: ids, versions, and what every consumer may see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class TrustEvent:
    ods: str
    version: int


@dataclass(frozen=True)
class TrustOnboarded(TrustEvent):
    name: str


@dataclass(frozen=True)
class TrustKeyIssued(TrustEvent):
    key_id: str
    secret_sha256: str
    issued_at: datetime


@dataclass(frozen=True)
class TrustKeyRevoked(TrustEvent):
    key_id: str
    revoked_at: datetime
