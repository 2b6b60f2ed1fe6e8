"""What the law requires a trust to keep after a leader is erased: named, minimal, never silent.

Support and development is not kept: erasure deletes the leader's enrolments (and with them every
training completion), facilitator assignments, check-ins with their notes and development plans.
"""

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
        "change_history",
        "accountability: who changed the leader's data, when and by which call (UK GDPR Art. 5(2), Art. 32)",
        "6 years from the entry",
        "when, who (principal, staff named, correlation id), which method, which field names; the reason and"
        " evidence given are removed; never values",
    ),
    RetentionCategory(
        "affiliation_history",
        "a trust's record of whom it involved, for payment and safeguarding enquiries",
        "6 years from the affiliation's end",
        "affiliation id, trust, status and dates; no name or contact detail",
    ),
    RetentionCategory(
        "check_records",
        "safeguarding accountability: showing that a leader was checked before being placed"
        " (UK GDPR Art. 5(2), Art. 6(1)(c))",
        "6 years from the check's expiry, or from its verification if it has no expiry",
        "each check's type, DBS level, verifying trust, who verified it and when, issue and expiry dates and"
        " expiry notices; each acceptance of it by another trust (who accepted it and when); evidence and DBS"
        " details removed",
    ),
)
