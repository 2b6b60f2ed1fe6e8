"""The managed taxonomy of skills, interests (role types) and lived-experience areas.

A term is global (the platform's) or a trust's own. Other services keep the taxonomy from its events
(``term.added``, ``term.retired``): each term an aggregate of its own, by its id, added at version 1
and retired (when its trust is offboarded) at version 2.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from services.common.errors import InvalidInput

KINDS = ("skill", "interest", "lived_experience")
CODE = re.compile(r"[a-z][a-z0-9_]{1,62}")


@dataclass(frozen=True)
class Term:
    kind: str
    code: str
    label: str
    trust_ods: str | None = None


@dataclass(frozen=True)
class TermEvent:
    term_id: str
    kind: str
    code: str
    trust_ods: str | None
    version: int


@dataclass(frozen=True)
class TermAdded(TermEvent):
    pass


@dataclass(frozen=True)
class TermRetired(TermEvent):
    pass


@dataclass
class TermEntry:
    """A term with its id, as an aggregate: what the taxonomy's store added or retired in a unit of work."""

    term_id: str
    term: Term
    pending_events: list[TermEvent] = field(default_factory=list)

    @classmethod
    def added(cls, term_id: str, term: Term) -> TermEntry:
        return cls(term_id, term, [TermAdded(term_id, term.kind, term.code, term.trust_ods, 1)])

    @classmethod
    def retired(cls, term_id: str, term: Term) -> TermEntry:
        return cls(term_id, term, [TermRetired(term_id, term.kind, term.code, term.trust_ods, 2)])


def new_term(kind: str, code: str, label: str, trust_ods: str) -> Term:
    problems = {}
    if kind not in KINDS:
        problems["kind"] = f"must be one of {', '.join(KINDS)}"
    if not CODE.fullmatch(code):
        problems["code"] = "must be 2 to 63 lower-case letters, digits or underscores, starting with a letter"
    if not label.strip() or len(label) > 200 or not label.isprintable():
        problems["label"] = "must be 1 to 200 printable characters"
    if problems:
        raise InvalidInput(problems)
    return Term(kind, code, label.strip(), trust_ods)


# NHS England's Patient and Public Voice roles and common lived-experience areas; trusts add their own
GLOBAL_TERMS: tuple[Term, ...] = (
    *(
        Term("skill", c, label)
        for c, label in [
            ("chairing", "Chairing meetings"),
            ("reviewing_documents", "Reviewing documents"),
            ("public_speaking", "Public speaking"),
            ("co_design", "Co-design"),
            ("data_analysis", "Reading data"),
            ("interviewing", "Recruitment interviews"),
            ("training_delivery", "Delivering training"),
            ("governance", "Governance and assurance"),
            ("peer_support", "Peer support"),
            ("writing", "Writing for patients"),
            ("quality_improvement", "Quality improvement"),
        ]
    ),
    *(
        Term("interest", c, label)
        for c, label in [
            ("ppv_level_1", "Open engagement (surveys, public meetings)"),
            ("ppv_level_2", "One-off workshops and focus groups"),
            ("ppv_level_3", "Regular working group member"),
            ("ppv_level_4", "Senior strategic and accountable roles"),
            ("patient_safety_partner", "Patient Safety Partner"),
            ("assurance_validation", "Assurance and validation"),
            ("service_design", "Service design and co-design"),
            ("research", "Research involvement"),
        ]
    ),
    *(
        Term("lived_experience", c, label)
        for c, label in [
            ("cancer", "Cancer"),
            ("mental_health", "Mental health"),
            ("maternity", "Maternity"),
            ("diabetes", "Diabetes"),
            ("heart_disease", "Heart disease"),
            ("stroke", "Stroke"),
            ("learning_disability", "Learning disability"),
            ("autism", "Autism"),
            ("dementia", "Dementia"),
            ("carer", "Caring for someone"),
            ("emergency_care", "Emergency care"),
            ("long_covid", "Long COVID"),
            ("sensory_impairment", "Sensory impairment"),
            ("end_of_life_care", "End of life care"),
            ("children_young_people", "Children and young people's services"),
        ]
    ),
)
