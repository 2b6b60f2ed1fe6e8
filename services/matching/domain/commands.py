"""What callers ask matching to do: frozen, already checked for shape at the edge."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from services.matching.domain.opportunity import Details, Status
from services.matching.domain.settings import MatchingSettings


@dataclass(frozen=True)
class CreateOpportunity:
    details: Details
    idempotency_key: str = ""  # a retry with the same key answers the first result
    request_digest: str = ""  # what the key is bound to: the request without its key


@dataclass(frozen=True)
class UpdateOpportunity:
    opportunity_id: str
    expected_version: int
    details: Details


@dataclass(frozen=True)
class PublishOpportunity:
    opportunity_id: str
    expected_version: int


@dataclass(frozen=True)
class CloseOpportunity:
    opportunity_id: str
    expected_version: int


@dataclass(frozen=True)
class FillOpportunity:
    opportunity_id: str
    expected_version: int


@dataclass(frozen=True)
class WithdrawOpportunity:
    opportunity_id: str
    expected_version: int
    reason: str


@dataclass(frozen=True)
class GetOpportunity:
    opportunity_id: str


@dataclass(frozen=True)
class ListOpportunities:
    after_id: str
    limit: int
    updated_since: datetime | None = None
    status: Status | None = None
    owner: str | None = None  # "own", "network" or None (both)


@dataclass(frozen=True)
class CheckEligibility:
    opportunity_id: str
    declarations: Mapping[str, bool] = field(default_factory=dict)


@dataclass(frozen=True)
class GetMatchingSettings:
    pass


@dataclass(frozen=True)
class UpdateMatchingSettings:
    settings: MatchingSettings  # its trust_ods is the caller's, set by the use case
    expected_version: int


@dataclass(frozen=True)
class RankCandidates:
    opportunity_id: str
    limit: int


@dataclass(frozen=True)
class GetConcentrationReport:
    pass
