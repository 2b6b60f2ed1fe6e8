"""What happened to a trust, in the past tense. Thin: ids, versions, and what every consumer may see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class TrustEvent:
    ods: str
    version: int


@dataclass(frozen=True)
class TrustOnboarded(TrustEvent):
    name: str


@dataclass(frozen=True)
class TrustKeyIssued(TrustEvent):
    key_id: str
    secret_sha256: str
    issued_at: datetime
    scopes: tuple[str, ...]


@dataclass(frozen=True)
class TrustKeyRevoked(TrustEvent):
    key_id: str
    revoked_at: datetime


@dataclass(frozen=True)
class TrustSuspended(TrustEvent):
    pass


@dataclass(frozen=True)
class TrustResumed(TrustEvent):
    pass


@dataclass(frozen=True)
class TrustOffboarded(TrustEvent):
    pass


# Leader events: thin (ids, versions, field names); no personal data goes on the bus.


@dataclass(frozen=True)
class LeaderEvent:
    leader_id: str
    version: int


@dataclass(frozen=True)
class LeaderRegistered(LeaderEvent):
    pass


@dataclass(frozen=True)
class LeaderUpdated(LeaderEvent):
    fields: tuple[str, ...]


@dataclass(frozen=True)
class LeaderPaused(LeaderEvent):
    until: str | None


@dataclass(frozen=True)
class LeaderResumed(LeaderEvent):
    pass


@dataclass(frozen=True)
class LeaderWithdrawn(LeaderEvent):
    pass


@dataclass(frozen=True)
class LeaderErased(LeaderEvent):
    pass


@dataclass(frozen=True)
class LeaderChangedOnBehalf(LeaderEvent):
    """A trust's staff changed the person's own fields for them (assisted digital): which trust, the
    field names and the change's id, so the person can be told and reverse it. Never the values."""

    trust_ods: str
    fields: tuple[str, ...]
    change_id: str


@dataclass(frozen=True)
class LeaderEmailChangeRequested(LeaderEvent):
    """A change of the person's email address was asked for (by them, or by ``trust_ods``'s staff on
    their behalf): it waits for the new address to confirm it. The change's id only: never an address,
    never the link's token (the notifier reads the change in the registry's own database)."""

    change_id: str
    trust_ods: str | None = None


@dataclass(frozen=True)
class ConsentChanged(LeaderEvent):
    purpose: str
    target: str
    granted: bool
    recorded_by_kind: str


@dataclass(frozen=True)
class RecordShared(LeaderEvent):
    """The leader shares their verified record with a trust (consent share_record_with_trust)."""

    trust_ods: str


@dataclass(frozen=True)
class RecordUnshared(LeaderEvent):
    trust_ods: str


# Affiliation events: one trust's relationship with a leader.


@dataclass(frozen=True)
class AffiliationEvent:
    affiliation_id: str
    leader_id: str
    trust_ods: str
    version: int


@dataclass(frozen=True)
class LeaderAffiliated(AffiliationEvent):
    pass


@dataclass(frozen=True)
class AffiliationConfirmed(AffiliationEvent):
    pass


@dataclass(frozen=True)
class AffiliationEnded(AffiliationEvent):
    reason: str


@dataclass(frozen=True)
class AffiliationPaused(AffiliationEvent):
    """The trust paused its own relationship (the person's status is unchanged)."""

    until: str | None = None


@dataclass(frozen=True)
class AffiliationResumed(AffiliationEvent):
    pass


# Network events: the registry's networks of trusts.


@dataclass(frozen=True)
class NetworkEvent:
    network_id: str
    version: int


@dataclass(frozen=True)
class NetworkCreated(NetworkEvent):
    name: str


@dataclass(frozen=True)
class NetworkTrustAdded(NetworkEvent):
    trust_ods: str


@dataclass(frozen=True)
class NetworkTrustRemoved(NetworkEvent):
    trust_ods: str


# Invitation events: thin, ids and the inviting trust only (never who was invited, nor whether they exist).


@dataclass(frozen=True)
class InvitationEvent:
    invitation_id: str
    trust_ods: str
    version: int


@dataclass(frozen=True)
class InvitationSent(InvitationEvent):
    pass


@dataclass(frozen=True)
class InvitationAccepted(InvitationEvent):
    pass


@dataclass(frozen=True)
class InvitationDeclined(InvitationEvent):
    pass
