"""The registry, for the person's own decisions, data and invitations (``PersonDataRegistry``): the portal's
credential and ``x-plr-leader`` naming the signed-in person, as RegistryClient calls it. The registry's
refusals become the portal's domain errors (``refusals``, as for the profile pages); an unreachable
registry stays a grpc.RpcError (the web application answers it with a page saying to try again)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import grpc
from google.protobuf.timestamp_pb2 import Timestamp
from plr.registry.v1 import leaders_pb2 as lpb
from plr.registry.v1 import leaders_pb2_grpc, networks_pb2_grpc, registry_pb2_grpc
from plr.registry.v1 import networks_pb2 as npb
from plr.registry.v1 import registry_pb2 as rpb

from services.common.errors import InvalidInput, NotFound, PermissionDenied
from services.common.grpc_client import bearer
from services.portal.adapters.person_registry import refusals
from services.portal.domain.person_data import HistoryEntry, HistoryPage, Retained, Standing, TrustInvitation
from services.portal.service_layer.person_data import PersonDataRegistry

DEADLINE_S = 10.0
ERASE_DEADLINE_S = 60.0  # erasure reaches every table (and the outbox) about the person
INVITATIONS_PAGE = 500


def _when(value: Timestamp) -> datetime:
    return value.ToDatetime(tzinfo=UTC)


def _standing(leader: lpb.Leader) -> Standing:
    until = date.fromisoformat(leader.paused_until) if leader.paused_until else None
    return Standing(leader.status, until)


class GrpcPersonDataRegistry(PersonDataRegistry):
    def __init__(self, channel: grpc.Channel, token: str):
        self.token = token
        self.leaders = leaders_pb2_grpc.LeaderServiceStub(channel)
        self.invites = networks_pb2_grpc.InvitationServiceStub(channel)
        self.registry = registry_pb2_grpc.RegistryServiceStub(channel)

    def _as(self, leader_id: str) -> tuple[tuple[str, str], ...]:
        return (*bearer(self.token), ("x-plr-leader", leader_id))

    def standing(self, leader_id: str) -> Standing:
        with refusals():
            leader = self.leaders.GetLeader(
                lpb.GetLeaderRequest(leader_id=leader_id), metadata=self._as(leader_id), timeout=DEADLINE_S
            )
        return _standing(leader)

    def pause(self, leader_id: str, until: date | None) -> Standing:
        request = lpb.PauseLeaderRequest(leader_id=leader_id, until=until.isoformat() if until else "")
        with refusals():
            return _standing(self.leaders.PauseLeader(request, metadata=self._as(leader_id), timeout=DEADLINE_S))

    def resume(self, leader_id: str) -> Standing:
        request = lpb.ResumeLeaderRequest(leader_id=leader_id)
        with refusals():
            return _standing(self.leaders.ResumeLeader(request, metadata=self._as(leader_id), timeout=DEADLINE_S))

    def withdraw(self, leader_id: str, reason: str) -> Standing:
        request = lpb.WithdrawLeaderRequest(leader_id=leader_id, reason=reason)
        with refusals():
            return _standing(self.leaders.WithdrawLeader(request, metadata=self._as(leader_id), timeout=DEADLINE_S))

    def export(self, leader_id: str) -> str:
        request = lpb.ExportLeaderDataRequest(leader_id=leader_id)
        with refusals():
            return str(
                self.leaders.ExportLeaderData(request, metadata=self._as(leader_id), timeout=ERASE_DEADLINE_S).document
            )

    def _history(self, call: Callable[..., Any], request: object, leader_id: str) -> HistoryPage:
        with refusals():
            found = call(request, metadata=self._as(leader_id), timeout=DEADLINE_S)
        entries = tuple(
            HistoryEntry(
                at=_when(e.at),
                principal_kind=e.principal_kind,
                trust_ods=e.trust_ods,
                staff=getattr(e, "staff", ""),
                method=e.method,
                fields=tuple(e.fields),
            )
            for e in found.entries
        )
        return HistoryPage(entries, found.next_page_token)

    def access_history(self, leader_id: str, page_token: str, page_size: int) -> HistoryPage:
        request = lpb.ListAuditEntriesRequest(leader_id=leader_id, page_token=page_token, page_size=page_size)
        return self._history(self.leaders.ListAuditEntries, request, leader_id)

    def change_history(self, leader_id: str, page_token: str, page_size: int) -> HistoryPage:
        request = lpb.ListChangesRequest(leader_id=leader_id, page_token=page_token, page_size=page_size)
        return self._history(self.leaders.ListChanges, request, leader_id)

    def erase(self, leader_id: str) -> tuple[Retained, ...]:
        request = lpb.EraseLeaderRequest(leader_id=leader_id, reason="the person deleted their portal account")
        with refusals():
            erased = self.leaders.EraseLeader(request, metadata=self._as(leader_id), timeout=ERASE_DEADLINE_S)
        return tuple(Retained(r.name, r.reason, r.period, r.kept) for r in erased.retained)

    def invitations(self, leader_id: str) -> list[TrustInvitation]:
        found: list[TrustInvitation] = []
        token = ""
        while True:
            request = npb.ListInvitationsRequest(page_size=INVITATIONS_PAGE, page_token=token)
            with refusals():
                page = self.invites.ListInvitations(request, metadata=self._as(leader_id), timeout=DEADLINE_S)
            names: dict[str, str] = {}
            for i in page.invitations:
                if i.trust_ods not in names:
                    names[i.trust_ods] = self.trust_name(leader_id, i.trust_ods)
                found.append(
                    TrustInvitation(i.invitation_id, i.trust_ods, names[i.trust_ods], i.status, _when(i.created_at))
                )
            token = page.next_page_token
            if not token:
                return found

    def accept_invitation(self, leader_id: str, invitation_id: str) -> None:
        request = npb.AnswerInvitationRequest(invitation_id=invitation_id)
        with refusals():
            self.invites.AcceptInvitation(request, metadata=self._as(leader_id), timeout=DEADLINE_S)

    def decline_invitation(self, leader_id: str, invitation_id: str) -> None:
        request = npb.AnswerInvitationRequest(invitation_id=invitation_id)
        with refusals():
            self.invites.DeclineInvitation(request, metadata=self._as(leader_id), timeout=DEADLINE_S)

    def trust_name(self, leader_id: str, ods: str) -> str:
        # the registry lets a person read the trusts that ask, invite or hold them; any other is NOT_FOUND
        try:
            with refusals():
                trust = self.registry.GetTrust(
                    rpb.GetTrustRequest(ods=ods), metadata=self._as(leader_id), timeout=DEADLINE_S
                )
        except (NotFound, PermissionDenied, InvalidInput):
            return ods
        return str(trust.name) or ods
