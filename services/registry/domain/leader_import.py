"""A row of a trust's existing register, as imported: its columns, their rules, and what a row becomes.

The column format is documented in docs/import-format.md; this module is its definition. A row is
checked as a whole and every bad cell is named, so that one pass over the error report fixes a file.

Special-category data is refused unless the row carries the evidence of the leader's consent:
lived experience needs ``consent_evidence`` and ``consent_wording_version`` (recorded as the consent
'lived_experience_matching', by the trust's staff). Equality-monitoring answers are refused outright:
they are given only by the leader (through the portal), never by a trust on their behalf, and the
registry keeps them apart from anything a trust holds.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from services.registry.domain.equality import QUESTIONS
from services.registry.domain.profile import Availability, LeaderProfile, _printable, normalise_email, profile_problems

LIST_SEPARATOR = ";"
CELL_MAX = 4000
MAX_ROWS_PER_BATCH = 2000

# column: what it holds (the README and docs/import-format.md say the same)
PROFILE_COLUMNS: dict[str, str] = {
    "given_name": "required; at most 100 characters",
    "family_name": "required; at most 100 characters",
    "email": "required; one person per email address",
    "phone": "7 to 20 digits, optionally starting with +",
    "postcode": "a UK postcode",
    "skills": "skill codes separated by ';' (see ListTerms)",
    "interests": "interest codes separated by ';'",
    "hours_per_month": "a whole number, 0 to 200",
    "days": "mon;tue;wed;thu;fri;sat;sun",
    "modes": "remote;in_person",
    "access_needs": "free text, at most 2000 characters",
    "support_needs": "free text, at most 2000 characters",
    "preferred_formats": "large_print;easy_read;braille;audio;bsl;email;post;phone;text_message",
    "declarations_of_interest": "declarations separated by ';', each at most 500 characters",
}
CONSENT_COLUMNS: dict[str, str] = {
    "lived_experience": "lived-experience codes separated by ';'; only with consent_evidence",
    "consent_evidence": "where the leader's consent to use their lived experience in matching is held",
    "consent_wording_version": "the version of the consent words the leader agreed to",
}
# the trust's own id for the person (its register's row or person id): echoed in the row's result so the
# trust can match plr's ids to its rows; never stored, and not part of the row's fingerprint
REFERENCE_COLUMN = "reference"
REFERENCE_MAX = 100
EQUALITY_COLUMNS: frozenset[str] = frozenset(QUESTIONS)
COLUMNS: tuple[str, ...] = (*PROFILE_COLUMNS, *CONSENT_COLUMNS, REFERENCE_COLUMN)
REQUIRED_COLUMNS = ("given_name", "family_name", "email")

# the profile's names for availability, as profile_problems reports them, back to the columns
_PROBLEM_COLUMNS = {
    "availability.hours_per_month": "hours_per_month",
    "availability.days": "days",
    "availability.modes": "modes",
}
EQUALITY_REFUSED = "equality monitoring is given only by the leader, through the portal; remove the column's values"


@dataclass(frozen=True)
class RowProblem:
    row_number: int
    field: str
    reason: str
    reference: str = ""  # the row's own reference cell (the trust's id for the person), if it gave one


@dataclass(frozen=True)
class ImportedRow:
    """A valid row: the profile to register (lived experience apart), and the consent that allows it."""

    row_number: int
    profile: LeaderProfile
    lived_experience: tuple[str, ...]
    consent_evidence: str
    consent_wording_version: str
    fingerprint: str
    reference: str = ""

    @property
    def email_key(self) -> str:
        return normalise_email(self.profile.email)


TermExists = Callable[[str, str], bool]


def header_problems(columns: list[str]) -> list[str]:
    """Problems of a file's header as a whole (a bad header makes every row bad, so it stops the import)."""
    problems: list[str] = []
    unknown = [c for c in columns if c not in COLUMNS and c not in EQUALITY_COLUMNS]
    if unknown:
        problems.append(f"unknown column(s): {', '.join(repr(c[:40]) for c in unknown[:10])}")
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        problems.append(f"missing required column(s): {', '.join(missing)}")
    repeated = sorted({c for c in columns if columns.count(c) > 1})
    if repeated:
        problems.append(f"repeated column(s): {', '.join(repeated[:10])}")
    return problems


def fingerprint(cells: Mapping[str, str]) -> str:
    """The same cells (whatever their order, surrounding spaces or the row's place in the file) give the
    same fingerprint: what makes a re-run of the same file add nothing."""
    canonical = "\x1e".join(
        f"{k}\x1f{v.strip()}" for k, v in sorted(cells.items()) if v.strip() and k != REFERENCE_COLUMN
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def reference_of(cells: Mapping[str, str]) -> str:
    """The row's own reference as the trust gave it, or "" when it gave none or a bad one."""
    reference = cells.get(REFERENCE_COLUMN, "").strip()
    return reference if len(reference) <= REFERENCE_MAX and _printable(reference) else ""


BYTE_ORDER_MARK = "\ufeff"


def without_byte_order_mark(cells: Mapping[str, str]) -> dict[str, str]:
    """The cells with their column names as written: a spreadsheet's "CSV UTF-8" starts with a byte
    order mark, which a reader that does not expect it leaves on the first column's name."""
    return {column.removeprefix(BYTE_ORDER_MARK): value for column, value in cells.items()}


def _column_named(column: str) -> str:
    """An unknown column's name as a problem names it: its characters that do not print escaped."""
    shown = "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in column[:60])
    return shown or "(a column with no name)"


def _items(text: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in text.split(LIST_SEPARATOR) if item.strip())


def parse_row(row_number: int, cells: Mapping[str, str], term_exists: TermExists) -> ImportedRow | list[RowProblem]:
    """The row as a registration, or every problem of it (column and reason)."""
    problems: list[RowProblem] = []

    def bad(field: str, reason: str) -> None:
        problems.append(RowProblem(row_number, field, reason))

    for column, value in cells.items():
        if column not in COLUMNS and column not in EQUALITY_COLUMNS:
            bad(_column_named(column), "is not an import column (see docs/import-format.md)")
        elif len(value) > CELL_MAX:
            bad(column, f"must be at most {CELL_MAX} characters")
        elif column in EQUALITY_COLUMNS and value.strip():
            bad(column, EQUALITY_REFUSED)
    if problems:
        return problems
    cell = {c: cells.get(c, "").strip() for c in COLUMNS}

    hours = 0
    if cell["hours_per_month"]:
        try:
            hours = int(cell["hours_per_month"])
        except ValueError:
            bad("hours_per_month", "must be a whole number, 0 to 200")
    profile = LeaderProfile(
        given_name=cell["given_name"],
        family_name=cell["family_name"],
        email=cell["email"],
        phone=cell["phone"],
        postcode=cell["postcode"],
        skills=_items(cell["skills"]),
        interests=_items(cell["interests"]),
        availability=Availability(hours, _items(cell["days"].lower()), _items(cell["modes"].lower())),
        access_needs=cells.get("access_needs", "").strip(),
        support_needs=cells.get("support_needs", "").strip(),
        preferred_formats=_items(cell["preferred_formats"].lower()),
        declarations_of_interest=_items(cell["declarations_of_interest"]),
    )
    lived_experience = _items(cell["lived_experience"])
    for name, reason in profile_problems(profile, term_exists).items():
        column = _PROBLEM_COLUMNS.get(name, name)
        if not any(p.field == column for p in problems):
            bad(column, reason)
    evidence, wording = cell["consent_evidence"], cell["consent_wording_version"]
    if lived_experience:
        if not evidence:
            bad(
                "lived_experience",
                "is special-category data: refused unless the row gives consent_evidence of the leader's "
                "consent to use their lived experience in matching",
            )
        elif not wording:
            bad("consent_wording_version", "is required with consent_evidence: the version of the words agreed")
        unknown = [v for v in lived_experience if not term_exists("lived_experience", v)]
        if unknown:
            bad("lived_experience", f"unknown lived_experience term(s): {', '.join(repr(u[:40]) for u in unknown[:5])}")
        if len(lived_experience) > 50:
            bad("lived_experience", "at most 50 terms")
    if len(evidence) > 2000 or not _printable(evidence):
        bad("consent_evidence", "must be at most 2000 printable characters")
    if len(wording) > 50 or not _printable(wording):
        bad("consent_wording_version", "must be at most 50 printable characters")
    if cell[REFERENCE_COLUMN] and not reference_of(cells):
        bad(REFERENCE_COLUMN, f"must be at most {REFERENCE_MAX} printable characters")
    if problems:
        return problems
    return ImportedRow(
        row_number=row_number,
        profile=profile.normalised(),
        lived_experience=tuple(dict.fromkeys(lived_experience)),
        consent_evidence=evidence if lived_experience else "",
        consent_wording_version=wording if lived_experience else "",
        fingerprint=fingerprint(cells),
        reference=cell[REFERENCE_COLUMN],
    )
