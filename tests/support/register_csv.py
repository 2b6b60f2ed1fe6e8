"""Generated trust registers (CSV) for the import tests and benchmark: valid rows, and bad rows of
known kinds at known places, so that a test can say which row and column must be reported."""

from __future__ import annotations

import csv
import io
from pathlib import Path

COLUMNS = (
    "given_name",
    "family_name",
    "email",
    "phone",
    "postcode",
    "skills",
    "interests",
    "hours_per_month",
    "days",
    "modes",
    "access_needs",
    "preferred_formats",
    "lived_experience",
    "consent_evidence",
    "consent_wording_version",
    "ethnicity",
)
SKILLS = ("chairing", "reviewing_documents", "public_speaking", "co_design", "peer_support")
INTERESTS = ("ppv_level_2", "ppv_level_3", "patient_safety_partner", "service_design")
POSTCODES = ("TR1 3LJ", "ME7 5NY", "LS1 4AP", "M13 9WL", "EX2 5DW")

# (column that must be reported, how the row is spoiled)
BAD_KINDS: tuple[tuple[str, dict[str, str]], ...] = (
    ("email", {"email": "not-an-email"}),
    ("skills", {"skills": "juggling"}),
    ("postcode", {"postcode": "NOWHERE"}),
    ("lived_experience", {"lived_experience": "diabetes", "consent_evidence": ""}),
    ("ethnicity", {"ethnicity": "white"}),
    ("hours_per_month", {"hours_per_month": "lots"}),
    ("given_name", {"given_name": ""}),
    ("days", {"days": "someday"}),
)


def good_row(n: int, tag: str) -> dict[str, str]:
    row = {
        "given_name": f"Leader{n}",
        "family_name": f"Imported{n % 97}",
        "email": f"leader{n}.{tag}@example.org",
        "phone": f"07700 9{n % 100000:05d}",
        "postcode": POSTCODES[n % len(POSTCODES)],
        "skills": ";".join(SKILLS[: 1 + n % 3]),
        "interests": INTERESTS[n % len(INTERESTS)],
        "hours_per_month": str(4 + n % 12),
        "days": "mon;wed" if n % 2 else "sat",
        "modes": "remote" if n % 3 else "remote;in_person",
        "access_needs": "Step-free access" if n % 10 == 0 else "",
        "preferred_formats": "email" if n % 4 else "large_print;post",
        "lived_experience": "",
        "consent_evidence": "",
        "consent_wording_version": "",
        "ethnicity": "",
    }
    if n % 50 == 7:
        row.update(
            lived_experience="diabetes;carer",
            consent_evidence=f"signed consent form ref CF-{n}, held by the involvement team",
            consent_wording_version="2025-04",
        )
    return row


def register(rows: int, bad: int, tag: str) -> tuple[list[dict[str, str]], dict[int, str]]:
    """``rows`` data rows, ``bad`` of them spoiled (spread evenly); returns the rows and, for each bad
    row, its row number in the file (the header is row 1) and the column that must be reported."""
    data = [good_row(n, tag) for n in range(rows)]
    expected: dict[int, str] = {}
    step = max(rows // max(bad, 1), 1)
    for i in range(bad):
        index = i * step + step // 2
        column, spoil = BAD_KINDS[i % len(BAD_KINDS)]
        data[index].update(spoil)
        expected[index + 2] = column
    return data, expected


def to_csv(rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def write_register(path: Path, rows: int, bad: int, tag: str) -> dict[int, str]:
    data, expected = register(rows, bad, tag)
    path.write_text(to_csv(data), encoding="utf-8")
    return expected
