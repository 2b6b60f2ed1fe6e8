"""Opportunity details, who changed a role, and matching settings to JSON documents (their JSONB
columns) and back."""

from __future__ import annotations

from datetime import date
from typing import Any

from services.matching.domain.eligibility import Kind, Rule
from services.matching.domain.opportunity import Actor, Details, Term
from services.matching.domain.settings import (
    DEFAULT_MAX_HOURS,
    DEFAULT_ROTATION_CEILING_PERCENT,
    MatchingSettings,
    Site,
)
from services.matching.domain.terms import CheckType, Day, Level


def _day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def details_document(d: Details) -> dict[str, Any]:
    return {
        "title": d.title,
        "level": d.level.value,
        "description": d.description,
        "required_skills": list(d.required_skills),
        "desirable_skills": list(d.desirable_skills),
        "interests": list(d.interests),
        "lived_experience": list(d.lived_experience),
        "sites": list(d.sites),
        "remote": d.remote,
        "hours_per_month": d.hours_per_month,
        "days": [x.value for x in d.days],
        "term": {
            "start_date": _day(d.term.start_date),
            "end_date": _day(d.term.end_date),
            "review_date": _day(d.term.review_date),
            "extendable": d.term.extendable,
        },
        "places": d.places,
        "closing_date": _day(d.closing_date),
        "payment_rule": d.payment_rule,
        "required_checks": [c.value for c in d.required_checks],
        "eligibility_rules": [{"kind": r.kind.value, "value": r.value} for r in d.eligibility_rules],
        "network_id": d.network_id,
    }


def details_from(doc: dict[str, Any]) -> Details:
    term = doc["term"]
    return Details(
        title=doc["title"],
        level=Level(doc["level"]),
        description=doc["description"],
        required_skills=tuple(doc["required_skills"]),
        desirable_skills=tuple(doc["desirable_skills"]),
        interests=tuple(doc["interests"]),
        lived_experience=tuple(doc["lived_experience"]),
        sites=tuple(doc["sites"]),
        remote=doc["remote"],
        hours_per_month=doc["hours_per_month"],
        days=tuple(Day(x) for x in doc["days"]),
        term=Term(_date(term["start_date"]), _date(term["end_date"]), _date(term["review_date"]), term["extendable"]),
        places=doc["places"],
        closing_date=_date(doc["closing_date"]),
        payment_rule=doc["payment_rule"],
        required_checks=tuple(CheckType(c) for c in doc["required_checks"]),
        eligibility_rules=tuple(Rule(Kind(r["kind"]), r["value"]) for r in doc["eligibility_rules"]),
        network_id=doc["network_id"],
    )


def settings_document(s: MatchingSettings) -> dict[str, Any]:
    return {
        "recent_placement_months": s.recent_placement_months,
        "max_concurrent_placements": s.max_concurrent_placements,
        "max_hours_per_month": s.max_hours_per_month,
        "rotation_ceiling_percent": s.rotation_ceiling_percent,
        "sites": [{"code": x.code, "name": x.name, "local_districts": list(x.local_districts)} for x in s.sites],
        "default_checks": {level.value: [c.value for c in checks] for level, checks in s.default_checks.items()},
    }


def settings_from(trust_ods: str, version: int, doc: dict[str, Any]) -> MatchingSettings:
    return MatchingSettings(
        trust_ods=trust_ods,
        recent_placement_months=doc["recent_placement_months"],
        max_concurrent_placements=doc["max_concurrent_placements"],
        # settings saved before these two existed hold the defaults
        max_hours_per_month=doc.get("max_hours_per_month", DEFAULT_MAX_HOURS),
        rotation_ceiling_percent=doc.get("rotation_ceiling_percent", DEFAULT_ROTATION_CEILING_PERCENT),
        sites=tuple(Site(x["code"], x["name"], tuple(x["local_districts"])) for x in doc["sites"]),
        default_checks={Level(k): tuple(CheckType(c) for c in v) for k, v in doc["default_checks"].items()},
        version=version,
    )


def actor_document(actor: Actor | None) -> dict[str, str | None] | None:
    return None if actor is None else {"staff_id": actor.staff_id, "claimed_staff": actor.claimed_staff}


def actor_from(doc: dict[str, str | None] | None) -> Actor | None:
    return None if doc is None else Actor(doc.get("staff_id"), doc.get("claimed_staff"))
