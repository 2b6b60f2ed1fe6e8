"""Equality monitoring: the answers' rules and the statistical disclosure control of the report.

The disclosure tests attack the report the way a curious reader would: by brute force, every count
vector that gives the same published table is a possible truth, and a suppressed cell is disclosed
when all of them agree on its value.
"""

from __future__ import annotations

import itertools
import random
from collections import defaultdict
from collections.abc import Mapping

import pytest

from services.common.errors import InvalidInput
from services.registry.domain.equality import PREFER_NOT, QUESTIONS, disclose, report, round_to_base, validate_answers

Published = tuple[tuple[tuple[str, int | None], ...], int | None]


def published(counts: Mapping[str, int]) -> Published:
    cells, total = disclose(counts)
    return tuple((c.category, c.count) for c in cells), total


def shown(counts: Mapping[str, int]) -> dict[str, int | None]:
    return dict(published(counts)[0])


# --- the answers -------------------------------------------------------------------------------


def test_answers_are_optional_and_empty_ones_are_dropped() -> None:
    assert validate_answers({"age_band": "", "sex": "female", "carer": PREFER_NOT}) == {
        "sex": "female",
        "carer": PREFER_NOT,
    }
    assert validate_answers({}) == {}


def test_prefer_not_to_say_is_allowed_for_every_question() -> None:
    assert validate_answers({q: PREFER_NOT for q in QUESTIONS}) == {q: PREFER_NOT for q in QUESTIONS}


@pytest.mark.parametrize(
    "question, answer",
    [("ethnicity", "martian"), ("age_band", "16-24"), ("sex", "FEMALE"), ("religion", "sikh\x00"), ("carer", "Y")],
)
def test_a_bad_answer_is_refused_naming_the_question_and_never_echoing_the_answer(question: str, answer: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        validate_answers({question: answer, "disability": "no"})
    assert set(refused.value.fields) == {question}
    assert answer not in str(refused.value)


def test_an_unknown_question_is_refused_by_name() -> None:
    with pytest.raises(InvalidInput) as refused:
        validate_answers({"blood_group": "o"})
    assert set(refused.value.fields) == {"blood_group"}


# --- rounding and suppression ------------------------------------------------------------------


@pytest.mark.parametrize("value, rounded", [(0, 0), (5, 5), (7, 5), (8, 10), (12, 10), (13, 15), (102, 100)])
def test_counts_are_rounded_to_the_nearest_5(value: int, rounded: int) -> None:
    assert round_to_base(value) == rounded


def test_counts_under_5_are_suppressed_and_the_rest_rounded() -> None:
    cells = shown({"a": 3, "b": 4, "c": 12, "d": 0, "e": 23})
    assert cells == {"a": None, "b": None, "c": 10, "d": 0, "e": 25}


def test_a_single_small_cell_takes_the_next_smallest_non_zero_cell_with_it() -> None:
    cells = shown({"a": 2, "b": 0, "c": 9, "d": 40})
    assert cells == {"a": None, "b": 0, "c": None, "d": 40}


def test_the_total_is_withheld_whenever_a_cell_is_suppressed() -> None:
    # (1, 1, 5) with a total of 7 shown as 5 would pin both small cells at exactly 1
    assert published({"a": 1, "b": 1, "c": 5}) == ((("a", None), ("b", None), ("c", None)), None)
    assert published({"a": 1, "b": 1, "c": 20, "d": 30})[1] is None
    assert published({"a": 0, "b": 6, "c": 21}) == ((("a", 0), ("b", 5), ("c", 20)), 25)


def test_when_no_non_zero_cell_is_left_shown_every_cell_is_suppressed() -> None:
    # one leader's answer: showing zeros everywhere else would point at it
    assert set(shown({"a": 0, "b": 1, "c": 0}).values()) == {None}
    # a small cell and the one big cell that secondary suppression takes with it
    assert set(shown({"a": 3, "b": 0, "c": 30}).values()) == {None}


def test_suppressed_cells_that_could_only_be_1_each_take_another_cell_with_them() -> None:
    # with the number of people known to be 12, (1, 1, 5, 5) shown as (-, -, 5, 5) gives 1 and 1
    cells = shown({"a": 1, "b": 1, "c": 5, "d": 5, "e": 0})
    assert cells == {"a": None, "b": None, "c": None, "d": 5, "e": 0}
    # but not when a shown cell's rounding leaves room: e could be 18 to 22
    assert shown({"a": 1, "b": 1, "c": 5, "d": 5, "e": 20}) == {"a": None, "b": None, "c": 5, "d": 5, "e": 20}


def test_nobody_answering_is_shown_as_zeros_with_a_total_of_zero() -> None:
    assert published({"a": 0, "b": 0}) == ((("a", 0), ("b", 0)), 0)


def test_the_report_covers_every_question_and_every_category_with_prefer_not_to_say() -> None:
    made = report([{"sex": "female"}] * 12 + [{"sex": "male", "carer": "yes"}] * 7)
    assert [c.name for c in made] == list(QUESTIONS)
    sex = next(c for c in made if c.name == "sex")
    assert [(cell.category, cell.count) for cell in sex.cells] == [("female", 10), ("male", 5), (PREFER_NOT, 0)]
    assert sex.total == 20
    carer = next(c for c in made if c.name == "carer")
    assert [(cell.category, cell.count) for cell in carer.cells] == [("yes", 5), ("no", 0), (PREFER_NOT, 0)]
    religion = report([{"religion": "sikh"}] * 2 + [{"religion": "christian"}] * 12 + [{"religion": "none"}] * 30)[5]
    assert religion.name == "religion" and religion.total is None
    assert {cell.category for cell in religion.cells if cell.suppressed} == {"sikh", "christian"}
    age = next(c for c in made if c.name == "age_band")
    assert {cell.count for cell in age.cells} == {0} and age.total == 0


def test_one_leader_s_answers_cannot_be_read_off_the_report() -> None:
    made = report([{q: allowed[-1] for q, allowed in QUESTIONS.items()}])
    for characteristic in made:
        assert all(cell.suppressed for cell in characteristic.cells), characteristic.name
        assert characteristic.total is None


# --- brute force: no suppressed cell can be recovered -------------------------------------------


def _recovered(groups: Mapping[Published, list[tuple[int, ...]]], limit: int, margin: int) -> list[object]:
    """The published tables of which some suppressed cell has the same value in every count vector
    that gives them. Tables whose vectors all lie near the edge of the enumerated space are left
    out: their other preimages may lie beyond it."""
    found: list[object] = []
    for table, vectors in groups.items():
        if min(sum(v) for v in vectors) > limit - margin:
            continue
        for i, (_, count) in enumerate(table[0]):
            if count is None and len({v[i] for v in vectors}) == 1:
                found.append((table, vectors[0]))
    return found


@pytest.mark.parametrize("cells_of, limit", [(2, 40), (3, 30), (4, 22), (5, 16)])
def test_no_suppressed_cell_is_recovered_from_the_shown_cells_and_total_by_exhaustive_search(
    cells_of: int, limit: int
) -> None:
    """The attacker knows the algorithm and tries every count vector (up to `limit` people): the
    vectors that publish the same table are all the truths it could be."""
    names = [f"c{i}" for i in range(cells_of)]
    groups: dict[Published, list[tuple[int, ...]]] = defaultdict(list)
    for vector in itertools.product(range(limit + 1), repeat=cells_of):
        if sum(vector) <= limit:
            groups[published(dict(zip(names, vector, strict=True)))].append(vector)
    assert any(count is None for table in groups for _, count in table[0]), "the search must reach suppression"
    assert _recovered(groups, limit, margin=2 * cells_of + 4) == []


def _feasible_ranges(table: Published, people: int | None) -> dict[str, tuple[float, float]]:
    """Interval arithmetic on one published table: a shown count n means n-2..n+2 (but at least 5,
    smaller counts being suppressed), a shown 0 means 0, a suppressed cell at least 1 (at least 0
    when every cell is suppressed), and the cells add up to the total: the shown one (n-2..n+2),
    or the exact number of people if the attacker knows it from elsewhere."""
    cells, total = table
    suppressed = [c for c, n in cells if n is None]
    low = sum(0 if n == 0 else max(5, n - 2) for _, n in cells if n is not None)
    high = sum(n + 2 if n else 0 for _, n in cells if n is not None)
    floor = 0 if len(suppressed) == len(cells) else 1
    if people is not None:
        total_low, total_high = float(people), float(people)
    elif total is not None:
        total_low, total_high = float(total - 2), float(total + 2)
    else:
        total_low, total_high = 0.0, float("inf")
    others = len(suppressed) - 1
    most = total_high - low - floor * others
    least = max(floor, total_low - high) if others == 0 else floor
    return {cell: (least, most) for cell in suppressed}


@pytest.mark.parametrize("people_known", [False, True], ids=["published-total", "exact-total-known"])
def test_no_suppressed_cell_is_recovered_by_subtraction_for_random_count_vectors(people_known: bool) -> None:
    """Random vectors of the report's real sizes (3 to 9 categories), skewed to the small counts where
    disclosure happens; even an attacker who knows the exact number of people (from another
    characteristic, say) cannot subtract its way to a suppressed cell."""
    generator = random.Random(20261126)
    sizes = [len(allowed) + 1 for allowed in QUESTIONS.values()]
    small = [0, 0, 0, 1, 1, 2, 3, 4, 5, 5, 6, 7, 8]
    checked = 0
    for _ in range(20000):
        size = generator.choice(sizes)
        counts = {
            f"c{i}": generator.choice(small) if generator.random() < 0.8 else generator.randint(0, 60)
            for i in range(size)
        }
        table = published(counts)
        if all(n is not None for _, n in table[0]):
            continue
        checked += 1
        people = sum(counts.values()) if people_known else None
        for cell, (least, most) in _feasible_ranges(table, people).items():
            assert least <= counts[cell] <= most, (counts, cell)
            assert least < most, f"{cell} recovered as {least} from {table} (true counts {counts})"
    assert checked > 5000
