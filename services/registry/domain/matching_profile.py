"""What matching's projection of a person holds, as the registry answers matching's one read of them
(``GetMatchingProfile``): no name, contact detail, full postcode, needs or equality answer; lived
experience only while the person consents to its use in matching."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from services.registry.domain.affiliation import Affiliation
from services.registry.domain.checks import AcceptedCheck, Check
from services.registry.domain.consent import Purpose, current_state, is_granted
from services.registry.domain.leader import Leader
from services.registry.domain.profile import outward_code

# the fields a matching profile may carry (the audit names those returned)
FIELDS = (
    "status",
    "skills",
    "interests",
    "availability",
    "postcode_district",
    "affiliations",
    "consents",
    "checks",
)


@dataclass(frozen=True)
class MatchingAffiliation:
    affiliation_id: str
    trust_ods: str
    status: str
    paused: bool  # the trust's own pause of the relationship (its status stays active)
    paused_until: date | None
    version: int


@dataclass(frozen=True)
class MatchingCheck:
    check_id: str
    check_type: str
    trust_ods: str  # the verifying trust
    expires_on: date | None
    accepted_by: tuple[str, ...]
    version: int


@dataclass(frozen=True)
class MatchingProfile:
    leader_id: str
    version: int
    status: str
    paused_until: date | None
    skills: tuple[str, ...]
    interests: tuple[str, ...]
    lived_experience: tuple[str, ...]  # empty unless lived_experience_consent
    lived_experience_consent: bool
    hours_per_month: int
    days: tuple[str, ...]
    modes: tuple[str, ...]
    postcode_district: str
    affiliations: tuple[MatchingAffiliation, ...]
    contact_trusts: tuple[str, ...]
    shared_networks: tuple[str, ...]
    checks: tuple[MatchingCheck, ...]

    @property
    def fields_shown(self) -> tuple[str, ...]:
        return (*FIELDS, "lived_experience") if self.lived_experience_consent else FIELDS

    @classmethod
    def of(
        cls, leader: Leader, affiliations: list[Affiliation], checks: list[Check], acceptances: list[AcceptedCheck]
    ) -> MatchingProfile:
        consented = is_granted(leader.consents, Purpose.LIVED_EXPERIENCE_MATCHING)
        granted = [record for record in current_state(leader.consents).values() if record.granted]
        profile = leader.profile
        accepted_by: dict[str, set[str]] = {}
        for accepted in acceptances:
            accepted_by.setdefault(accepted.check_id, set()).add(accepted.accepting_trust)
        return cls(
            leader_id=leader.leader_id,
            version=leader.version,
            status=leader.status,
            paused_until=leader.paused_until,
            skills=tuple(profile.skills),
            interests=tuple(profile.interests),
            lived_experience=tuple(profile.lived_experience) if consented else (),
            lived_experience_consent=consented,
            hours_per_month=profile.availability.hours_per_month,
            days=tuple(profile.availability.days),
            modes=tuple(profile.availability.modes),
            postcode_district=outward_code(profile.postcode),
            affiliations=tuple(
                MatchingAffiliation(
                    a.affiliation_id, a.trust_ods, a.status, a.paused_at is not None, a.paused_until, a.version
                )
                for a in sorted(affiliations, key=lambda a: a.trust_ods)
            ),
            contact_trusts=tuple(sorted(r.target for r in granted if r.purpose is Purpose.CONTACT_BY_TRUST)),
            shared_networks=tuple(sorted(r.target for r in granted if r.purpose is Purpose.SHARE_PROFILE_WITH_NETWORK)),
            checks=tuple(
                MatchingCheck(
                    c.check_id,
                    str(c.check_type),
                    c.trust_ods,
                    c.expires_on,
                    tuple(sorted(accepted_by.get(c.check_id, ()))),
                    c.version,
                )
                for c in sorted(checks, key=lambda c: c.check_id)
            ),
        )
