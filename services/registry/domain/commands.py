"""What a caller asks the registry to do, in the imperative."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OnboardTrust:
    ods: str
    name: str


@dataclass(frozen=True)
class IssueTrustKey:
    ods: str


@dataclass(frozen=True)
class RevokeTrustKey:
    ods: str
    key_id: str


@dataclass(frozen=True)
class SuspendTrust:
    ods: str
    reason: str = ""


@dataclass(frozen=True)
class ResumeTrust:
    ods: str


@dataclass(frozen=True)
class OffboardTrust:
    ods: str
    confirm_ods: str
