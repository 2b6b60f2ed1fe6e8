"""The vocabularies an opportunity is written in: NHS England's involvement levels, check types, days,
and the registry's taxonomy (skills, interests, lived-experience areas).

Matching keeps the taxonomy from the registry's ``term.added`` and ``term.retired`` events
(``adapters/taxonomy.py``). A trust may name a global term or one of its own, while not retired: a
code is checked first by its form (the registry's rule for a code), then by ``Usable``, the terms the
trust may use. Another trust's own term is not among them, and its refusal reads as an unknown code's.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from enum import StrEnum

Problem = Callable[[str], str | None]

TERM_CODE = re.compile(r"[a-z][a-z0-9_]{1,62}")
TERM_CODE_RULE = "must be 2 to 63 lower-case letters, digits or underscores, starting with a letter"
TERMS_MAX = 30

# (kind, code) of the terms one trust may name: the global ones and its own, none retired
Usable = frozenset[tuple[str, str]]


class TermKind(StrEnum):
    """The registry's kinds of term."""

    SKILL = "skill"
    INTEREST = "interest"
    LIVED_EXPERIENCE = "lived_experience"


class Level(StrEnum):
    """NHS England's Patient and Public Voice levels, and Patient Safety Partner roles."""

    LEVEL_1 = "level_1"  # open engagement: surveys, public meetings
    LEVEL_2 = "level_2"  # one-off workshops, focus groups
    LEVEL_3 = "level_3"  # regular working group member
    LEVEL_4 = "level_4"  # senior strategic and accountable roles: board level, chairs
    PATIENT_SAFETY_PARTNER = "patient_safety_partner"


class CheckType(StrEnum):
    """The registry's check types (its check.* events carry them)."""

    DBS = "dbs"
    OCCUPATIONAL_HEALTH = "occupational_health"
    REFERENCES = "references"
    IDENTITY = "identity"
    MANDATORY_TRAINING = "mandatory_training"


class Day(StrEnum):
    MON = "mon"
    TUE = "tue"
    WED = "wed"
    THU = "thu"
    FRI = "fri"
    SAT = "sat"
    SUN = "sun"


def one_of(enum: type[StrEnum]) -> str:
    return f"must be one of {', '.join(e.value for e in enum)}"


def term_code_problem(code: str) -> str | None:
    return None if TERM_CODE.fullmatch(code) else TERM_CODE_RULE


def term_problem(kind: TermKind, usable: Usable) -> Problem:
    """A code's problem: its form, or (the same answer for an unknown, a retired or another trust's own
    term) not a term of this kind the trust may use. The code is named: its form is checked first."""

    def problem(code: str) -> str | None:
        if not TERM_CODE.fullmatch(code):
            return TERM_CODE_RULE
        if (kind.value, code) in usable:
            return None
        return f"{code!r} is not a {kind.value} of the registry's taxonomy (ListTerms) that this trust may use"

    return problem


def list_problem(values: Sequence[str], item_problem: Problem, limit: int = TERMS_MAX) -> str | None:
    """What is wrong with a list of codes: too many, a repeat, or the first bad item (by its index)."""
    if len(values) > limit:
        return f"at most {limit}"
    if len(set(values)) != len(values):
        return "must not repeat a value"
    for index, value in enumerate(values):
        problem = item_problem(value)
        if problem is not None:
            return f"[{index}] {problem}"
    return None


def enum_problem(enum: type[StrEnum]) -> Problem:
    def problem(value: str) -> str | None:
        return None if value in enum._value2member_map_ else one_of(enum)

    return problem
