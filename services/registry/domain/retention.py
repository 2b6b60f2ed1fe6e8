"""What the law requires a trust to keep after a leader is erased: named, minimal, never silent."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RetentionCategory:
    name: str
    reason: str
    period: str
    kept: str


ERASURE_RETENTION: tuple[RetentionCategory, ...] = (
    RetentionCategory(
        "consent_records",
        "accountability: showing that past processing was lawful (UK GDPR Art. 5(2), Art. 7(1))",
        "6 years from the last record",
        "purpose, target, granted or withdrawn, wording version, who recorded it and when; evidence text removed",
    ),
    RetentionCategory(
        "access_audit",
        "accountability and security: who read the leader's data (UK GDPR Art. 5(2), Art. 32)",
        "6 years from the entry",
        "when, who, which trust, which method, which field names; never values",
    ),
    RetentionCategory(
        "affiliation_history",
        "a trust's record of whom it involved, for payment and safeguarding enquiries",
        "6 years from the affiliation's end",
        "affiliation id, trust, status and dates; no name or contact detail",
    ),
)
