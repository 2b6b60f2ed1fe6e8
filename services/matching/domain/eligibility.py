"""Eligibility rules as data, and their evaluation with a reason each.

Every rule kind names where its fact comes from: a fact matching's projection of the registry holds
(the person's status, skills, checks, availability), a declaration the applicant makes on the form,
a fact recruitment will supply (previous holders of the role), or staff screening. A fact not known
answers ``needs_declaration`` (the applicant can state it) or ``needs_screening`` (staff decide),
never ``ineligible``: only a known fact rules a person out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from services.common.validation import whole_number
from services.matching.domain.terms import CheckType, Problem, enum_problem, one_of, term_code_problem

RULES_MAX = 20
QUESTION_MAX = 300


class Source(StrEnum):
    PROJECTION = "projection"
    DECLARATION = "declaration"
    RECRUITMENT = "recruitment"
    SCREENING = "screening"


class Kind(StrEnum):
    LEADER_ACTIVE = "leader_active"
    HAS_SKILL = "has_skill"
    HOLDS_CHECK = "holds_check"
    MIN_HOURS_PER_MONTH = "min_hours_per_month"
    USED_SERVICE_WITHIN_YEARS = "used_service_within_years"
    NOT_NHS_EMPLOYEE = "not_nhs_employee"
    AGED_18_OR_OVER = "aged_18_or_over"
    NOT_PREVIOUS_HOLDER = "not_previous_holder"
    SCREENING_QUESTION = "screening_question"


class Outcome(StrEnum):
    """In order of precedence: the overall answer is the first any rule gives."""

    INELIGIBLE = "ineligible"
    NEEDS_SCREENING = "needs_screening"
    NEEDS_DECLARATION = "needs_declaration"
    ELIGIBLE = "eligible"


PRECEDENCE = tuple(Outcome)  # iterating the enum itself is slow, and a ranking asks once per person


def _no_value(value: str) -> str | None:
    return None if value == "" else "this kind takes no value"


def _whole(low: int, high: int) -> Problem:
    def problem(value: str) -> str | None:
        number = whole_number(value)
        return None if number is not None and low <= number <= high else f"must be a whole number, {low} to {high}"

    return problem


def _question(value: str) -> str | None:
    ok = len(value.strip()) > 0 and len(value) <= QUESTION_MAX and value.isprintable()
    return None if ok else f"must be 1 to {QUESTION_MAX} printable characters"


def _skill(value: str) -> str | None:
    return term_code_problem(value)


# each kind: its source, and what its value must be (one definition, read by the edge and the domain)
KINDS: dict[Kind, tuple[Source, Problem]] = {
    Kind.LEADER_ACTIVE: (Source.PROJECTION, _no_value),
    Kind.HAS_SKILL: (Source.PROJECTION, _skill),
    Kind.HOLDS_CHECK: (Source.PROJECTION, enum_problem(CheckType)),
    Kind.MIN_HOURS_PER_MONTH: (Source.PROJECTION, _whole(1, 200)),
    Kind.USED_SERVICE_WITHIN_YEARS: (Source.DECLARATION, _whole(1, 20)),
    Kind.NOT_NHS_EMPLOYEE: (Source.DECLARATION, _no_value),
    Kind.AGED_18_OR_OVER: (Source.DECLARATION, _no_value),
    Kind.NOT_PREVIOUS_HOLDER: (Source.RECRUITMENT, _no_value),
    Kind.SCREENING_QUESTION: (Source.SCREENING, _question),
}


@dataclass(frozen=True)
class Rule:
    kind: Kind
    value: str = ""

    @property
    def source(self) -> Source:
        return KINDS[self.kind][0]


def rule_problem(kind: str, value: str) -> str | None:
    """What is wrong with a rule as written (None: nothing)."""
    if kind not in Kind._value2member_map_:
        return f"kind {one_of(Kind)}"
    check = KINDS[Kind(kind)][1]
    problem = check(value)
    return None if problem is None else f"value {problem}"


def rules_problems(rules: Sequence[tuple[str, str]], field_name: str = "eligibility_rules") -> dict[str, str]:
    """Every problem of a role's rules, by field (``eligibility_rules[2]``)."""
    if len(rules) > RULES_MAX:
        return {field_name: f"at most {RULES_MAX} rules"}
    problems = {}
    for index, (kind, value) in enumerate(rules):
        problem = rule_problem(kind, value)
        if problem is None and (kind, value) in rules[:index]:
            problem = "repeats an earlier rule"
        if problem is not None:
            problems[f"{field_name}[{index}]"] = problem
    return problems


@dataclass(frozen=True)
class Facts:
    """What is known of one applicant. ``None`` is unknown (not held), never "no"."""

    active: bool | None = None
    skills: frozenset[str] | None = None
    checks: frozenset[str] | None = None  # valid check types held
    hours_per_month: int | None = None
    previous_holder: bool | None = None  # recruitment's fact, once it supplies it
    declarations: Mapping[str, bool] = field(default_factory=dict)  # by rule kind
    screening: Mapping[str, bool] = field(default_factory=dict)  # staff decisions, by rule value


@dataclass(frozen=True)
class RuleResult:
    rule: Rule
    outcome: Outcome
    reason: str


def _projection(rule: Rule, facts: Facts) -> bool | None:
    match rule.kind:
        case Kind.LEADER_ACTIVE:
            return facts.active
        case Kind.HAS_SKILL:
            return None if facts.skills is None else rule.value in facts.skills
        case Kind.HOLDS_CHECK:
            return None if facts.checks is None else rule.value in facts.checks
        case Kind.MIN_HOURS_PER_MONTH:
            return None if facts.hours_per_month is None else facts.hours_per_month >= int(rule.value)
    raise ValueError(f"{rule.kind} is not a projection fact")


_MET = {
    Kind.LEADER_ACTIVE: ("the person is active", "the person is not active (paused or withdrawn)"),
    Kind.HAS_SKILL: ("has the skill {v}", "does not have the skill {v}"),
    Kind.HOLDS_CHECK: ("holds a valid {v} check", "holds no valid {v} check"),
    Kind.MIN_HOURS_PER_MONTH: ("is available {v} or more hours a month", "is available fewer than {v} hours a month"),
    Kind.USED_SERVICE_WITHIN_YEARS: (
        "declared using the service in the last {v} years",
        "declared not using the service in the last {v} years",
    ),
    Kind.NOT_NHS_EMPLOYEE: ("declared not being an NHS employee", "declared being an NHS employee"),
    Kind.AGED_18_OR_OVER: ("declared being 18 or over", "declared being under 18"),
    Kind.NOT_PREVIOUS_HOLDER: ("has not held this role before", "has held this role before"),
    Kind.SCREENING_QUESTION: ("staff screening passed: {v}", "staff screening did not pass: {v}"),
}


def _known(rule: Rule, facts: Facts) -> bool | None:
    """Whether the rule's fact holds for the applicant (None: unknown)."""
    match rule.source:
        case Source.PROJECTION:
            return _projection(rule, facts)
        case Source.DECLARATION:
            return facts.declarations.get(rule.kind.value)
        case Source.RECRUITMENT:
            return None if facts.previous_holder is None else not facts.previous_holder
    return facts.screening.get(rule.value)


def _unknown(rule: Rule) -> RuleResult:
    if rule.source is Source.DECLARATION:
        return RuleResult(rule, Outcome.NEEDS_DECLARATION, "the applicant has not declared this yet")
    why = {
        Source.PROJECTION: "not known to matching yet: staff confirm it",
        Source.RECRUITMENT: "recruitment does not yet say who held this role before: staff confirm it",
        Source.SCREENING: "staff decide this at screening",
    }[rule.source]
    return RuleResult(rule, Outcome.NEEDS_SCREENING, why)


def evaluate_rule(rule: Rule, facts: Facts) -> RuleResult:
    known = _known(rule, facts)
    if known is None:
        return _unknown(rule)
    met, unmet = _MET[rule.kind]
    if known:
        return RuleResult(rule, Outcome.ELIGIBLE, met.format(v=rule.value))
    return RuleResult(rule, Outcome.INELIGIBLE, unmet.format(v=rule.value))


def evaluate(rules: Sequence[Rule], facts: Facts) -> tuple[Outcome, list[RuleResult]]:
    """The overall outcome (the first of ``Outcome``'s order any rule gives) and each rule's result."""
    results = [evaluate_rule(rule, facts) for rule in rules]
    found = {r.outcome for r in results}
    overall = next((o for o in PRECEDENCE if o in found), Outcome.ELIGIBLE)
    return overall, results


DECLARATION_KINDS = tuple(k.value for k, (source, _) in KINDS.items() if source is Source.DECLARATION)


def declarations_problem(declarations: Mapping[str, bool]) -> str | None:
    """The applicant's answers are keyed by a declaration rule's kind; anything else is refused."""
    unknown = sorted(k for k in declarations if k not in DECLARATION_KINDS)
    if unknown:
        return f"keys must be declaration kinds ({', '.join(DECLARATION_KINDS)}); not {unknown[0][:40]!r}"
    return None
