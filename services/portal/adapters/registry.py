"""The registry, as the portal calls it: its own credential (PLR_REGISTRY_PORTAL_TOKEN) and, on every
call, ``x-plr-leader`` naming the signed-in person. The registry decides what that person may do."""

from __future__ import annotations

from dataclasses import dataclass

import grpc
from plr.registry.v1 import leaders_pb2 as lpb
from plr.registry.v1 import leaders_pb2_grpc

from services.common.grpc_client import bearer

DEADLINE_S = 10.0


@dataclass(frozen=True)
class TrustRequest:
    """A trust's pending affiliation, as the person sees it."""

    affiliation_id: str
    trust_ods: str
    trust_name: str


class RegistryClient:
    def __init__(self, channel: grpc.Channel, token: str):
        """``channel``: to the registry's api, as the settings say (``api_channel``: TLS when configured)."""
        self.channel = channel
        self.token = token
        self.leaders = leaders_pb2_grpc.LeaderServiceStub(self.channel)

    def _as(self, leader_id: str) -> tuple[tuple[str, str], ...]:
        return (*bearer(self.token), ("x-plr-leader", leader_id))

    def pending_requests(self, leader_id: str) -> list[TrustRequest]:
        listed = self.leaders.ListAffiliations(
            lpb.ListAffiliationsRequest(page_size=500), metadata=self._as(leader_id), timeout=DEADLINE_S
        )
        pending = [a for a in listed.affiliations if a.status == "pending"]
        # the registry names the trust of a pending or active affiliation to the person it concerns
        return [TrustRequest(a.affiliation_id, a.trust_ods, a.trust_name or a.trust_ods) for a in pending]

    def confirm(self, leader_id: str, affiliation_id: str) -> None:
        request = lpb.ConfirmAffiliationRequest(affiliation_id=affiliation_id)
        self.leaders.ConfirmAffiliation(request, metadata=self._as(leader_id), timeout=DEADLINE_S)

    def decline(self, leader_id: str, affiliation_id: str) -> None:
        request = lpb.DeclineAffiliationRequest(affiliation_id=affiliation_id)
        self.leaders.DeclineAffiliation(request, metadata=self._as(leader_id), timeout=DEADLINE_S)

    def verify_email_change(self, leader_id: str, token: str) -> None:
        """The person's new email address, confirmed by the code of the link the registry mailed to it."""
        request = lpb.VerifyEmailChangeRequest(token=token)
        self.leaders.VerifyEmailChange(request, metadata=self._as(leader_id), timeout=DEADLINE_S)
