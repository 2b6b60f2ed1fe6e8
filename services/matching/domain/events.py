"""What happened to an opportunity, for other services (thin: ids, versions, states and field names;
the role's text stays with the API)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class OpportunityEvent:
    opportunity_id: str
    trust_ods: str  # the owning trust
    version: int


@dataclass(frozen=True)
class OpportunityPublished(OpportunityEvent):
    level: str
    network_id: str | None
    places: int
    closing_date: date | None
    remote: bool


@dataclass(frozen=True)
class OpportunityUpdated(OpportunityEvent):
    fields: tuple[str, ...]


@dataclass(frozen=True)
class OpportunityClosed(OpportunityEvent):
    pass


@dataclass(frozen=True)
class OpportunityFilled(OpportunityEvent):
    pass


@dataclass(frozen=True)
class OpportunityWithdrawn(OpportunityEvent):
    pass
