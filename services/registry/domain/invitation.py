"""An invitation: a trust asks a person it cannot contact yet to join its pool; the person answers.

The trust names the person by what it has: a network candidate's leader id, or the email address it
holds. Whether that names anyone is the registry's secret: the invitation is made, and answered to the
trust, the same either way; only a person who exists (and may be reached) is told of it, and only their
answer ever comes back to the trust.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from services.common.errors import PreconditionFailed
from services.registry.domain import events
from services.registry.domain.profile import normalise_email

SENT, ACCEPTED, DECLINED = "sent", "accepted", "declined"


def target_key(*, leader_id: str = "", email: str = "") -> str:
    """What the trust named, as kept: a leader id as given, an address only as a digest (one pending
    invitation per trust and target, found the same way whether or not it names anyone)."""
    if leader_id:
        return f"leader:{leader_id}"
    return "email:" + hashlib.sha256(normalise_email(email).encode()).hexdigest()


@dataclass
class Invitation:
    invitation_id: str
    trust_ods: str
    target_key: str
    # the person it reached, if it named one who may be invited; never shown to the trust unless they accept
    leader_id: str | None
    status: str = SENT
    version: int = 0
    created_at: datetime | None = None
    answered_at: datetime | None = None
    pending_events: list[events.InvitationEvent] = field(default_factory=list)

    @classmethod
    def send(cls, invitation_id: str, trust_ods: str, target: str, leader_id: str | None, now: datetime) -> Invitation:
        invitation = cls(invitation_id, trust_ods, target, leader_id, created_at=now)
        invitation._record(events.InvitationSent)
        return invitation

    @property
    def named_by_id(self) -> str:
        """The leader id the trust named (it knows it already), or ""."""
        return self.target_key.removeprefix("leader:") if self.target_key.startswith("leader:") else ""

    @property
    def leader_id_for_trust(self) -> str:
        """What the trust may be told of who this is: what it named, or the person once they joined."""
        return (self.leader_id or "") if self.status == ACCEPTED else self.named_by_id

    def reach(self, leader_id: str) -> None:
        """A pending invitation that reached no one when it was made reaches the person it names now
        (they registered, or began sharing with the trust's network since): sent again, to them."""
        if self.status == SENT and self.leader_id is None:
            self.leader_id = leader_id
            self._record(events.InvitationSent)

    def accept(self, now: datetime) -> None:
        self._answer(ACCEPTED, events.InvitationAccepted, now)

    def decline(self, now: datetime) -> None:
        self._answer(DECLINED, events.InvitationDeclined, now)

    def _answer(self, status: str, kind: type[events.InvitationEvent], now: datetime) -> None:
        if self.status == status:
            return
        if self.status != SENT:
            raise PreconditionFailed(f"invitation {self.invitation_id} was already {self.status}")
        self.status, self.answered_at = status, now
        self._record(kind)

    def _record(self, kind: type[events.InvitationEvent]) -> None:
        self.version += 1
        self.pending_events.append(kind(self.invitation_id, self.trust_ods, self.version))
