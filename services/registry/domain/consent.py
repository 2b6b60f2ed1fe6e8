"""Consent as first-class data: every grant and withdrawal is kept; decisions read the current state."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from services.common.errors import InvalidInput
from services.common.tenancy import ODS_CODE
from services.registry.domain.network import NETWORK_ID


class Purpose(StrEnum):
    CONTACT_BY_TRUST = "contact_by_trust"
    LIVED_EXPERIENCE_MATCHING = "lived_experience_matching"
    SHARE_RECORD_WITH_TRUST = "share_record_with_trust"
    SHARE_PROFILE_WITH_NETWORK = "share_profile_with_network"


TARGET_RULES: dict[Purpose, tuple[re.Pattern[str] | None, str]] = {
    Purpose.CONTACT_BY_TRUST: (ODS_CODE, "a trust's ODS code"),
    Purpose.LIVED_EXPERIENCE_MATCHING: (None, "empty"),
    Purpose.SHARE_RECORD_WITH_TRUST: (ODS_CODE, "a trust's ODS code"),
    Purpose.SHARE_PROFILE_WITH_NETWORK: (NETWORK_ID, "a network id (lower-case letters, digits, hyphens)"),
}


@dataclass(frozen=True)
class ConsentRecord:
    purpose: Purpose
    target: str
    granted: bool
    wording_version: str
    recorded_by_kind: str  # "leader" or "staff"
    recorded_by: str
    recorder_trust: str | None
    evidence: str
    recorded_at: datetime


def parse_purpose(purpose: str, target: str) -> Purpose:
    try:
        parsed = Purpose(purpose)
    except ValueError:
        raise InvalidInput({"purpose": f"must be one of {', '.join(p.value for p in Purpose)}"}) from None
    pattern, described = TARGET_RULES[parsed]
    if (pattern is None and target) or (pattern is not None and not pattern.fullmatch(target)):
        raise InvalidInput({"target": f"for {parsed.value} must be {described}"})
    return parsed


def check_recorder(kind: str, evidence: str) -> None:
    """Staff record a consent (which ones they may: ``authority.consent_decision``) only with evidence."""
    if kind != "leader" and not evidence.strip():
        raise InvalidInput({"evidence": "is required when staff record consent on a leader's behalf"})


def current_state(records: list[ConsentRecord]) -> dict[tuple[Purpose, str], ConsentRecord]:
    """The latest record per purpose and target (records in the order they were made)."""
    state: dict[tuple[Purpose, str], ConsentRecord] = {}
    for record in records:
        state[(record.purpose, record.target)] = record
    return state


def is_granted(records: list[ConsentRecord], purpose: Purpose, target: str = "") -> bool:
    latest = current_state(records).get((purpose, target))
    return latest is not None and latest.granted


def as_seen_by_trust(record: ConsentRecord, trust_ods: str) -> ConsentRecord:
    """Who recorded a consent, and on what evidence, is shown to a trust only if its own staff did:
    another trust's name there would tell it of the leader's other affiliations."""
    if record.recorded_by_kind == "leader" or record.recorder_trust == trust_ods:
        return record
    return replace(record, recorded_by="", recorder_trust=None, evidence="")


def concerns_trust(record: ConsentRecord, trust_ods: str) -> bool:
    """The consents a trust may see: those about it, and lived experience (it gates matching)."""
    return record.target == trust_ods or concerns_every_trust(record)


def concerns_every_trust(record: ConsentRecord) -> bool:
    """Lived experience gates matching for every trust; every other consent concerns its target alone."""
    return record.purpose is Purpose.LIVED_EXPERIENCE_MATCHING
