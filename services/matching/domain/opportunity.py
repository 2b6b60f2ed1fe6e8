"""An opportunity: a role a trust offers patient leaders, and its lifecycle.

draft -> published -> closed -> filled, or withdrawn from any of the first three; filled and
withdrawn are final. A draft is the trust's alone (no event names it). Every change takes the
version the caller read (optimistic concurrency) and adds one to it.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime
from enum import StrEnum

from services.common.errors import InvalidInput, PreconditionFailed
from services.matching.domain import events
from services.matching.domain.eligibility import Kind, Rule, rules_problems
from services.matching.domain.settings import SITES_MAX, MatchingSettings
from services.matching.domain.terms import (
    CheckType,
    Day,
    Level,
    TermKind,
    Usable,
    enum_problem,
    list_problem,
    term_problem,
)

TITLE_MAX = 200
DESCRIPTION_MAX = 5000
PAYMENT_RULE_MAX = 100
REASON_MAX = 500
PSP_TERM_MONTHS = 18
# a role's dates lie in this century: a year typed as 0202 or 9999 is a slip, not a plan
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)
DATE_RANGE = "must be a date from 2000-01-01 to 2099-12-31"
# the fields that name terms of the registry's taxonomy, and the kind of each
TERM_FIELDS = {
    "required_skills": TermKind.SKILL,
    "desirable_skills": TermKind.SKILL,
    "interests": TermKind.INTEREST,
    "lived_experience": TermKind.LIVED_EXPERIENCE,
}


class Status(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CLOSED = "closed"
    FILLED = "filled"
    WITHDRAWN = "withdrawn"


# a role in these states still needs its sites (a filled or withdrawn one is history)
OPEN = (Status.DRAFT, Status.PUBLISHED, Status.CLOSED)
# the states each change may start from
FROM = {
    "publish": (Status.DRAFT,),
    "update": (Status.DRAFT, Status.PUBLISHED),
    "close": (Status.PUBLISHED,),
    "fill": (Status.PUBLISHED, Status.CLOSED),
    "withdraw": (Status.DRAFT, Status.PUBLISHED, Status.CLOSED),
}


@dataclass(frozen=True)
class Term:
    start_date: date | None = None
    end_date: date | None = None
    review_date: date | None = None
    extendable: bool = False


@dataclass(frozen=True)
class Details:
    """What a trust says of a role (every field checked by ``validated_details``)."""

    title: str
    level: Level
    description: str = ""
    required_skills: tuple[str, ...] = ()
    desirable_skills: tuple[str, ...] = ()
    interests: tuple[str, ...] = ()
    lived_experience: tuple[str, ...] = ()
    sites: tuple[str, ...] = ()
    remote: bool = False
    hours_per_month: int = 0
    days: tuple[Day, ...] = ()
    term: Term = Term()
    places: int = 1
    closing_date: date | None = None
    payment_rule: str = ""
    required_checks: tuple[CheckType, ...] = ()
    eligibility_rules: tuple[Rule, ...] = ()
    network_id: str | None = None


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _text_problem(value: str, limit: int, required: bool, lines: bool = True) -> str | None:
    """``lines``: a text of paragraphs (newlines and tabs allowed); else one line."""
    if required and not value.strip():
        return "is required"
    if len(value) > limit or not all(c.isprintable() or (lines and c in "\n\t") for c in value):
        return f"must be at most {limit} printable characters" + ("" if lines else " on one line")
    return None


def _date_problems(d: Details) -> dict[str, str]:
    term = d.term
    named = {"term.start_date": term.start_date, "term.end_date": term.end_date}
    named.update({"term.review_date": term.review_date, "closing_date": d.closing_date})
    problems = {name: DATE_RANGE for name, day in named.items() if day is not None and not FIRST_DAY <= day <= LAST_DAY}
    if problems:
        return problems  # an out-of-range date says nothing of the order of the others
    if term.start_date is None and (term.end_date or term.review_date):
        problems["term.start_date"] = "is required with an end or review date"
    for name in ("end_date", "review_date"):
        later = getattr(term, name)
        if term.start_date is not None and later is not None and later <= term.start_date:
            problems[f"term.{name}"] = "must be after the start date"
    if "term.review_date" not in problems and term.review_date and term.end_date and term.review_date > term.end_date:
        problems["term.review_date"] = "must be on or before the end date (the review falls within the term)"
    if d.closing_date is not None and term.end_date is not None and d.closing_date > term.end_date:
        problems["closing_date"] = "must be on or before the term's end date"
    return problems


def _shape_problems(d: Details) -> dict[str, str]:
    checks: dict[str, str | None] = {
        "title": _text_problem(d.title, TITLE_MAX, required=True, lines=False),
        "description": _text_problem(d.description, DESCRIPTION_MAX, required=False),
        "payment_rule": _text_problem(d.payment_rule, PAYMENT_RULE_MAX, required=False, lines=False),
        "sites": list_problem(d.sites, lambda _: None, SITES_MAX),
        "days": list_problem([x.value for x in d.days], enum_problem(Day), len(Day)),
        "required_checks": list_problem([x.value for x in d.required_checks], enum_problem(CheckType), len(CheckType)),
        "hours_per_month": None if 0 <= d.hours_per_month <= 200 else "must be 0 to 200",
        "places": None if 1 <= d.places <= 100 else "must be 1 to 100",
    }
    return {name: problem for name, problem in checks.items() if problem is not None}


def terms_named(d: Details) -> Usable:
    """(kind, code) of every term the details name (a ``has_skill`` rule's skill too)."""
    named = {(kind.value, code) for name, kind in TERM_FIELDS.items() for code in getattr(d, name)}
    named.update((TermKind.SKILL.value, r.value) for r in d.eligibility_rules if r.kind is Kind.HAS_SKILL)
    return frozenset(named)


def _taxonomy_problems(d: Details, usable: Usable) -> dict[str, str]:
    checks: dict[str, str | None] = {
        name: list_problem(getattr(d, name), term_problem(kind, usable)) for name, kind in TERM_FIELDS.items()
    }
    skill = term_problem(TermKind.SKILL, usable)
    for index, rule in enumerate(d.eligibility_rules):
        if rule.kind is Kind.HAS_SKILL:
            checks[f"eligibility_rules[{index}]"] = skill(rule.value)
    return {name: problem for name, problem in checks.items() if problem is not None}


def _place_problems(d: Details, settings: MatchingSettings, networks: frozenset[str]) -> dict[str, str]:
    problems = {}
    unknown = [s for s in d.sites if s not in settings.site_codes()]
    if unknown:
        problems["sites"] = f"not a site of this trust (MatchingSettings.sites): {unknown[0][:20]!r}"
    elif not d.sites and not d.remote:
        problems["sites"] = "at least one site, unless the role is remote"
    if d.network_id is not None and d.network_id not in networks:
        problems["network_id"] = "not a network this trust is a member of"
    return problems


def validated_details(d: Details, settings: MatchingSettings, networks: frozenset[str], usable: Usable) -> Details:
    """The details as kept: checked whole (InvalidInput names every bad field; a term must be one of
    ``usable``), the trust's default checks for the level where none are given, and a Patient Safety
    Partner's 18-month term."""
    rules = [(r.kind.value, r.value) for r in d.eligibility_rules]
    start = d.term.start_date
    # a start out of range is refused below, before any arithmetic on it
    if d.level is Level.PATIENT_SAFETY_PARTNER and start and FIRST_DAY <= start <= LAST_DAY and not d.term.end_date:
        d = replace(d, term=replace(d.term, end_date=add_months(start, PSP_TERM_MONTHS)))
    problems = {**_taxonomy_problems(d, usable), **_shape_problems(d), **_date_problems(d)}
    problems.update(rules_problems(rules))
    problems.update(_place_problems(d, settings, networks))
    if problems:
        raise InvalidInput(problems)
    if not d.required_checks:
        d = replace(d, required_checks=settings.checks_for(d.level))
    return d


def check_reason(reason: str) -> None:
    """A withdrawal's reason: InvalidInput naming ``reason`` unless 1 to 500 printable characters."""
    problem = _text_problem(reason, REASON_MAX, required=True)
    if problem is not None:
        raise InvalidInput({"reason": problem})


def changed_fields(before: Details, after: Details) -> tuple[str, ...]:
    return tuple(f.name for f in fields(Details) if getattr(before, f.name) != getattr(after, f.name))


@dataclass(frozen=True)
class Actor:
    """Who made a change: a member of the trust's staff acting through the portal (their staff id, as
    the staff directory knows them), or one of the trust's keys, with the staff name it claimed if any
    (``x-plr-staff``: a claim, kept as said, proving nothing)."""

    staff_id: str | None = None
    claimed_staff: str | None = None


@dataclass
class Opportunity:
    opportunity_id: str
    trust_ods: str
    details: Details
    status: Status = Status.DRAFT
    version: int = 1
    created_at: datetime | None = None
    updated_at: datetime | None = None
    published_at: datetime | None = None
    withdrawn_reason: str = ""
    created_by: Actor | None = None  # None: made before matching recorded who
    updated_by: Actor | None = None
    pending_events: list[events.OpportunityEvent] = field(default_factory=list)

    @classmethod
    def draft(cls, opportunity_id: str, trust_ods: str, details: Details, now: datetime, by: Actor) -> Opportunity:
        return cls(opportunity_id, trust_ods, details, created_at=now, updated_at=now, created_by=by, updated_by=by)

    def _require(self, change: str, expected_version: int) -> None:
        if expected_version != self.version:
            raise PreconditionFailed(
                f"expected_version: the opportunity is at version {self.version}; read it again and retry"
            )
        if self.status not in FROM[change]:
            raise PreconditionFailed(f"cannot {change} an opportunity that is {self.status.value}")

    def _change(self, change: str, expected_version: int, now: datetime, by: Actor) -> None:
        self._require(change, expected_version)
        self.version += 1
        self.updated_at, self.updated_by = now, by

    def _base(self) -> tuple[str, str, int]:
        return self.opportunity_id, self.trust_ods, self.version

    def update(self, details: Details, expected_version: int, now: datetime, by: Actor) -> None:
        changed = changed_fields(self.details, details)
        if not changed:
            self._require("update", expected_version)  # refused as a change would be; else nothing to do
            return
        self._require("update", expected_version)
        closing = details.closing_date
        if self.status is Status.PUBLISHED and "closing_date" in changed and closing and closing < now.date():
            # a published role's closing date may pass, but no one moves it into the past
            raise InvalidInput({"closing_date": "a published role's closing date cannot be moved into the past"})
        self._change("update", expected_version, now, by)
        self.details = details
        if self.status is Status.PUBLISHED:
            self.pending_events.append(events.OpportunityUpdated(*self._base(), fields=changed))

    def publish(self, expected_version: int, now: datetime, by: Actor) -> None:
        closing = self.details.closing_date
        if closing is not None and closing < now.date():
            raise PreconditionFailed("the closing date has passed: update it before publishing")
        self._change("publish", expected_version, now, by)
        self.status, self.published_at = Status.PUBLISHED, now
        d = self.details
        self.pending_events.append(
            events.OpportunityPublished(*self._base(), d.level.value, d.network_id, d.places, closing, d.remote)
        )

    def close(self, expected_version: int, now: datetime, by: Actor) -> None:
        self._change("close", expected_version, now, by)
        self.status = Status.CLOSED
        self.pending_events.append(events.OpportunityClosed(*self._base()))

    def fill(self, expected_version: int, now: datetime, by: Actor) -> None:
        self._change("fill", expected_version, now, by)
        self.status = Status.FILLED
        self.pending_events.append(events.OpportunityFilled(*self._base()))

    def withdraw(self, reason: str, expected_version: int, now: datetime, by: Actor) -> None:
        check_reason(reason)
        was_draft = self.status is Status.DRAFT
        self._change("withdraw", expected_version, now, by)
        self.status, self.withdrawn_reason = Status.WITHDRAWN, reason.strip()
        if not was_draft:  # others never heard of a draft
            self.pending_events.append(events.OpportunityWithdrawn(*self._base()))
