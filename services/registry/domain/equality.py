"""Equality monitoring: optional answers given only by the leader, and the only thing ever made of
them, an aggregate report with statistical disclosure control.

The law (DPA 2018 Sch. 1 para 8(3)) forbids using these answers for decisions about a person, so
nothing here takes or returns a leader id.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from services.common.errors import InvalidInput

PREFER_NOT = "prefer_not_to_say"

QUESTIONS: dict[str, tuple[str, ...]] = {
    "age_band": ("16_24", "25_34", "35_44", "45_54", "55_64", "65_74", "75_plus"),
    "sex": ("female", "male"),
    "gender_identity_same_as_birth": ("yes", "no"),
    "sexual_orientation": ("heterosexual", "gay_or_lesbian", "bisexual", "other"),
    "ethnicity": ("asian", "black", "mixed", "white", "other"),
    "religion": ("none", "christian", "buddhist", "hindu", "jewish", "muslim", "sikh", "other"),
    "disability": ("yes", "no"),
    "carer": ("yes", "no"),
}

SUPPRESS_BELOW = 5
ROUND_TO = 5


def validate_answers(answers: Mapping[str, str]) -> dict[str, str]:
    """The given answers (empty ones dropped), or InvalidInput naming each bad one."""
    problems, kept = {}, {}
    for question, answer in answers.items():
        if not answer:
            continue
        allowed = QUESTIONS.get(question)
        if allowed is None:
            problems[question] = "is not an equality-monitoring question"
        elif answer not in allowed and answer != PREFER_NOT:
            problems[question] = f"must be one of {', '.join((*allowed, PREFER_NOT))}"
        else:
            kept[question] = answer
    if problems:
        raise InvalidInput(problems)
    return kept


@dataclass(frozen=True)
class Cell:
    category: str
    count: int | None  # None when suppressed

    @property
    def suppressed(self) -> bool:
        return self.count is None


@dataclass(frozen=True)
class Characteristic:
    name: str
    cells: tuple[Cell, ...]
    total: int | None


def round_to_base(value: int, base: int = ROUND_TO) -> int:
    return int(base * ((value + base / 2) // base))


def disclose(counts: Mapping[str, int]) -> tuple[tuple[Cell, ...], int | None]:
    """The cells of one characteristic as they may be shown, and its total (None when withheld).

    - Counts under 5 (but not 0) are suppressed; the rest are rounded to the nearest 5.
    - Secondary suppression, so that no suppressed cell can be derived from a total (even the exact
      number of people, if it is known from elsewhere) minus the shown cells: a single suppressed
      cell takes the next smallest non-zero cell with it; and while the suppressed cells could only
      be 1 each (the shown cells at the lowest value their rounding allows, 5 for a shown 5), the
      next smallest non-zero cell is suppressed too.
    - If no non-zero cell is left shown, every cell is suppressed: the shown zeros would otherwise
      point at where the few people are (one leader's answers would be read off the report).
    - The total is shown, rounded, only when no cell is suppressed. A total beside suppressed cells
      pins them: cells (1, 1, 5) would be shown as (-, -, 5) with total 5; the shown 5 is at least
      5, each suppressed cell at least 1, and the total at most 7, so both are exactly 1.
    """
    suppressed = {c for c in counts if 0 < counts[c] < SUPPRESS_BELOW}
    shown_non_zero = sorted((c for c in counts if counts[c] >= SUPPRESS_BELOW), key=lambda c: (counts[c], c))
    while suppressed and shown_non_zero and (len(suppressed) == 1 or _pinned_by_total(counts, suppressed)):
        suppressed.add(shown_non_zero.pop(0))
    if suppressed and not shown_non_zero:
        suppressed = set(counts)
    cells = tuple(Cell(c, None if c in suppressed else round_to_base(counts[c])) for c in counts)
    total = None if suppressed else round_to_base(sum(counts.values()))
    return cells, total


def _pinned_by_total(counts: Mapping[str, int], suppressed: set[str]) -> bool:
    """Whether someone who knows the exact total could pin the suppressed cells: the total less the
    lowest values the shown cells can have leaves no more than 1 for each suppressed cell."""
    lowest_shown = sum(
        max(SUPPRESS_BELOW, round_to_base(n) - ROUND_TO // 2) for c, n in counts.items() if c not in suppressed and n
    )
    return sum(counts.values()) - lowest_shown <= len(suppressed)


def report(answer_sets: Iterable[Mapping[str, str]]) -> tuple[Characteristic, ...]:
    tallies: dict[str, Counter[str]] = {q: Counter() for q in QUESTIONS}
    for answers in answer_sets:
        for question, answer in answers.items():
            if question in tallies:
                tallies[question][answer] += 1
    made = []
    for question, allowed in QUESTIONS.items():
        counts = {category: tallies[question][category] for category in (*allowed, PREFER_NOT)}
        cells, total = disclose(counts)
        made.append(Characteristic(question, cells, total))
    return tuple(made)
