"""Eligibility rules evaluated on a table of cases: each rule kind with its fact known true, known
false and unknown, and the overall outcome's precedence."""

from __future__ import annotations

import pytest

from services.matching.domain.eligibility import (
    Facts,
    Kind,
    Outcome,
    Rule,
    declarations_problem,
    evaluate,
    evaluate_rule,
    rule_problem,
    rules_problems,
)

E, N, D, S = Outcome.ELIGIBLE, Outcome.INELIGIBLE, Outcome.NEEDS_DECLARATION, Outcome.NEEDS_SCREENING
UNKNOWN = Facts()

CASES = [
    # rule, facts, outcome, words the reason holds
    (Rule(Kind.LEADER_ACTIVE), Facts(active=True), E, "active"),
    (Rule(Kind.LEADER_ACTIVE), Facts(active=False), N, "not active"),
    (Rule(Kind.LEADER_ACTIVE), UNKNOWN, S, "staff confirm"),
    (Rule(Kind.HAS_SKILL, "chairing"), Facts(skills=frozenset({"chairing"})), E, "chairing"),
    (Rule(Kind.HAS_SKILL, "chairing"), Facts(skills=frozenset({"writing"})), N, "does not have the skill chairing"),
    (Rule(Kind.HAS_SKILL, "chairing"), UNKNOWN, S, "not known"),
    (Rule(Kind.HOLDS_CHECK, "dbs"), Facts(checks=frozenset({"dbs"})), E, "valid dbs"),
    (Rule(Kind.HOLDS_CHECK, "dbs"), Facts(checks=frozenset()), N, "no valid dbs"),
    (Rule(Kind.HOLDS_CHECK, "dbs"), UNKNOWN, S, "not known"),
    (Rule(Kind.MIN_HOURS_PER_MONTH, "8"), Facts(hours_per_month=8), E, "8 or more"),
    (Rule(Kind.MIN_HOURS_PER_MONTH, "8"), Facts(hours_per_month=7), N, "fewer than 8"),
    (Rule(Kind.MIN_HOURS_PER_MONTH, "8"), UNKNOWN, S, "not known"),
    (Rule(Kind.USED_SERVICE_WITHIN_YEARS, "5"), Facts(declarations={"used_service_within_years": True}), E, "5 years"),
    (
        Rule(Kind.USED_SERVICE_WITHIN_YEARS, "5"),
        Facts(declarations={"used_service_within_years": False}),
        N,
        "not using",
    ),
    (Rule(Kind.USED_SERVICE_WITHIN_YEARS, "5"), UNKNOWN, D, "not declared"),
    (Rule(Kind.NOT_NHS_EMPLOYEE), Facts(declarations={"not_nhs_employee": True}), E, "not being an NHS employee"),
    (Rule(Kind.NOT_NHS_EMPLOYEE), Facts(declarations={"not_nhs_employee": False}), N, "being an NHS employee"),
    (Rule(Kind.NOT_NHS_EMPLOYEE), Facts(declarations={"aged_18_or_over": True}), D, "not declared"),
    (Rule(Kind.AGED_18_OR_OVER), Facts(declarations={"aged_18_or_over": True}), E, "18 or over"),
    (Rule(Kind.AGED_18_OR_OVER), Facts(declarations={"aged_18_or_over": False}), N, "under 18"),
    (Rule(Kind.NOT_PREVIOUS_HOLDER), UNKNOWN, S, "recruitment"),
    (Rule(Kind.NOT_PREVIOUS_HOLDER), Facts(previous_holder=False), E, "not held"),
    (Rule(Kind.NOT_PREVIOUS_HOLDER), Facts(previous_holder=True), N, "has held"),
    (Rule(Kind.SCREENING_QUESTION, "Lives in the county?"), UNKNOWN, S, "screening"),
    (
        Rule(Kind.SCREENING_QUESTION, "Lives in the county?"),
        Facts(screening={"Lives in the county?": True}),
        E,
        "passed",
    ),
    (
        Rule(Kind.SCREENING_QUESTION, "Lives in the county?"),
        Facts(screening={"Lives in the county?": False}),
        N,
        "did not pass",
    ),
]


@pytest.mark.parametrize(("rule", "facts", "outcome", "reason"), CASES, ids=lambda v: getattr(v, "value", None))
def test_each_rule_answers_with_a_reason(rule: Rule, facts: Facts, outcome: Outcome, reason: str) -> None:
    result = evaluate_rule(rule, facts)
    assert (result.outcome, result.rule) == (outcome, rule)
    assert reason in result.reason


def test_every_kind_is_in_the_table() -> None:
    assert {case[0].kind for case in CASES} == set(Kind)


@pytest.mark.parametrize("kind", list(Kind))
def test_an_unknown_fact_is_never_ineligible(kind: Kind) -> None:
    value = {"has_skill": "chairing", "holds_check": "dbs", "min_hours_per_month": "4"}.get(kind.value, "")
    value = "5" if kind is Kind.USED_SERVICE_WITHIN_YEARS else "Q?" if kind is Kind.SCREENING_QUESTION else value
    assert evaluate_rule(Rule(kind, value), UNKNOWN).outcome in (D, S)


@pytest.mark.parametrize(
    ("outcomes", "overall"),
    [
        ((), E),
        ((E, E), E),
        ((E, D), D),
        ((D, S), S),
        ((S, N, D), N),
    ],
)
def test_the_overall_outcome_is_the_worst(outcomes: tuple[Outcome, ...], overall: Outcome) -> None:
    pick = {E: (Rule(Kind.AGED_18_OR_OVER), True), N: (Rule(Kind.NOT_NHS_EMPLOYEE), False)}
    rules, declared = [], {}
    for o in outcomes:
        if o in pick:
            rule, answer = pick[o]
            declared[rule.kind.value] = answer
        else:
            rule = Rule(Kind.USED_SERVICE_WITHIN_YEARS, "3") if o is D else Rule(Kind.NOT_PREVIOUS_HOLDER)
        rules.append(rule)
    assert evaluate(rules, Facts(declarations=declared))[0] is overall


@pytest.mark.parametrize(
    ("kind", "value", "problem"),
    [
        ("leader_active", "", None),
        ("leader_active", "x", "takes no value"),
        ("has_skill", "Chairing", "lower-case"),
        ("holds_check", "passport", "must be one of"),
        ("min_hours_per_month", "0", "1 to 200"),
        ("min_hours_per_month", "²", "whole number"),
        ("used_service_within_years", "21", "1 to 20"),
        ("used_service_within_years", "5", None),
        ("screening_question", " ", "printable"),
        ("teleport", "", "kind must be one of"),
    ],
)
def test_a_rule_as_written_is_checked(kind: str, value: str, problem: str | None) -> None:
    found = rule_problem(kind, value)
    assert (found is None) if problem is None else (found is not None and problem in found)


def test_rules_are_named_by_index_and_repeats_refused() -> None:
    problems = rules_problems([("aged_18_or_over", ""), ("has_skill", "BAD"), ("aged_18_or_over", "")])
    assert set(problems) == {"eligibility_rules[1]", "eligibility_rules[2]"}
    assert "repeats" in problems["eligibility_rules[2]"]
    assert rules_problems([("aged_18_or_over", "")] * 21) == {"eligibility_rules": "at most 20 rules"}


def test_declarations_are_keyed_by_declaration_kinds_only() -> None:
    assert declarations_problem({"not_nhs_employee": True, "aged_18_or_over": False}) is None
    assert "has_skill" in (declarations_problem({"has_skill": True}) or "")
