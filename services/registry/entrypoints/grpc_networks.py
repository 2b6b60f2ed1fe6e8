"""The network and invitation APIs' servicers: translate, call a use case, translate back. Nothing else.

FindNetworkCandidates and InviteLeader run in the platform scope: the trust cannot see the people it
looks for or invites; each use case answers only what the caller may know. The rest run in the
caller's own scope (a leader's own invitations, a trust's own).
"""

from __future__ import annotations

from marshmallow import fields, validate
from plr.registry.v1 import networks_pb2 as pb

from services.common.grpc_edge import (
    PageSize,
    PageToken,
    RequestSchema,
    Uuid,
    page_size,
    parse_time,
    parse_uuid,
    timestamp,
)
from services.common.grpc_server import Call
from services.common.tenancy import TenantScope
from services.registry.domain import commands
from services.registry.domain.invitation import Invitation
from services.registry.domain.network import Network
from services.registry.entrypoints.leader_messages import availability_message
from services.registry.entrypoints.servicer import RegistryServicer
from services.registry.service_layer import invitations as invite
from services.registry.service_layer import networks as use

FILTER = validate.Length(max=64, error="must be at most {max} characters")


class CreateNetworkSchema(RequestSchema):
    # each checked by the domain (Network.create)
    network_id = fields.String()
    name = fields.String()


class NetworkTrustSchema(RequestSchema):
    # checked by the use case, after it has decided who may call it
    network_id = fields.String()
    ods = fields.String()


class FindCandidatesSchema(RequestSchema):
    """Resumes after a leader id."""

    page_size = PageSize()
    page_token = PageToken(parse_uuid, bound_to=("skill", "interest", "postcode_district"))
    skill = fields.String(validate=FILTER)
    interest = fields.String(validate=FILTER)
    postcode_district = fields.String(validate=FILTER)


class InviteLeaderSchema(RequestSchema):
    leader_id = Uuid(optional=True)
    email = fields.String()  # an address: the use case's rule


class ListInvitationsSchema(RequestSchema):
    """Resumes after (created_at, invitation id)."""

    page_size = PageSize()
    page_token = PageToken(parse_time, parse_uuid)


class AnswerInvitationSchema(RequestSchema):
    invitation_id = Uuid()


CREATE_NETWORK = CreateNetworkSchema()
NETWORK_TRUST = NetworkTrustSchema()
FIND_CANDIDATES = FindCandidatesSchema()
INVITE_LEADER = InviteLeaderSchema()
LIST_INVITATIONS = ListInvitationsSchema()
ANSWER_INVITATION = AnswerInvitationSchema()


def network_message(network: Network) -> pb.Network:
    return pb.Network(
        network_id=network.network_id,
        name=network.name,
        trust_ods=sorted(network.trusts),
        version=network.version,
        created_at=timestamp(network.created_at),
    )


def invitation_message(invitation: Invitation, call: Call) -> pb.Invitation:
    # a leader sees their own id; a trust what it named, or the person once they joined
    leader_id = (invitation.leader_id or "") if call.principal.kind == "leader" else invitation.leader_id_for_trust
    return pb.Invitation(
        invitation_id=invitation.invitation_id,
        trust_ods=invitation.trust_ods,
        status=invitation.status,
        leader_id=leader_id,
        created_at=timestamp(invitation.created_at),
        answered_at=timestamp(invitation.answered_at),
    )


class NetworkApi(RegistryServicer):
    SERVICE = pb.DESCRIPTOR.services_by_name["NetworkService"]

    def CreateNetwork(self, request: pb.CreateNetworkRequest, call: Call) -> pb.CreateNetworkResponse:
        cmd = commands.CreateNetwork(**CREATE_NETWORK.parse(request))
        network, created = use.create_network(cmd, self.uow(call), call.principal)
        return pb.CreateNetworkResponse(network=network_message(network), created=created)

    def AddTrustToNetwork(self, request: pb.NetworkTrustRequest, call: Call) -> pb.Network:
        cmd = commands.AddTrustToNetwork(**NETWORK_TRUST.parse(request))
        return network_message(use.add_trust_to_network(cmd, self.uow(call), call.principal))

    def RemoveTrustFromNetwork(self, request: pb.NetworkTrustRequest, call: Call) -> pb.Network:
        cmd = commands.RemoveTrustFromNetwork(**NETWORK_TRUST.parse(request))
        return network_message(use.remove_trust_from_network(cmd, self.uow(call), call.principal))

    def ListNetworks(self, request: pb.ListNetworksRequest, call: Call) -> pb.ListNetworksResponse:
        found = use.list_networks(commands.ListNetworks(), self.uow(call), call.principal)
        return pb.ListNetworksResponse(networks=[network_message(n) for n in found])

    def FindNetworkCandidates(
        self, request: pb.FindNetworkCandidatesRequest, call: Call
    ) -> pb.FindNetworkCandidatesResponse:
        values = FIND_CANDIDATES.parse(request, call)
        size = page_size(values)
        after = values["page_token"][0] if values["page_token"] else ""
        cmd = commands.FindNetworkCandidates(
            values["skill"], values["interest"], values["postcode_district"], after, size + 1
        )
        found = use.find_network_candidates(cmd, self.uow(call, TenantScope.platform_wide()), call.principal)
        token = FIND_CANDIDATES.next_page_token(values, call, found[size - 1].leader_id) if len(found) > size else ""
        return pb.FindNetworkCandidatesResponse(
            candidates=[
                pb.NetworkCandidate(
                    leader_id=c.leader_id,
                    postcode_district=c.postcode_district,
                    skills=c.skills,
                    interests=c.interests,
                    availability=availability_message(c.availability),
                    network_ids=c.network_ids,
                )
                for c in found[:size]
            ],
            next_page_token=token,
        )


class InvitationApi(RegistryServicer):
    SERVICE = pb.DESCRIPTOR.services_by_name["InvitationService"]

    def InviteLeader(self, request: pb.InviteLeaderRequest, call: Call) -> pb.Invitation:
        values = INVITE_LEADER.parse(request)
        cmd = commands.InviteLeader(values["leader_id"] or "", values["email"])
        invitation = invite.invite_leader(cmd, self.uow(call, TenantScope.platform_wide()), call.principal)
        return invitation_message(invitation, call)

    def ListInvitations(self, request: pb.ListInvitationsRequest, call: Call) -> pb.ListInvitationsResponse:
        values = LIST_INVITATIONS.parse(request, call)
        size = page_size(values)
        found = invite.list_invitations(
            commands.ListInvitations(values["page_token"], size + 1), self.uow(call), call.principal
        )
        token = ""
        if len(found) > size:
            last = found[size - 1]
            assert last.created_at is not None
            token = LIST_INVITATIONS.next_page_token(values, call, last.created_at, last.invitation_id)
        return pb.ListInvitationsResponse(
            invitations=[invitation_message(i, call) for i in found[:size]], next_page_token=token
        )

    def AcceptInvitation(self, request: pb.AnswerInvitationRequest, call: Call) -> pb.Invitation:
        cmd = commands.AcceptInvitation(**ANSWER_INVITATION.parse(request))
        return invitation_message(invite.accept_invitation(cmd, self.uow(call), call.principal), call)

    def DeclineInvitation(self, request: pb.AnswerInvitationRequest, call: Call) -> pb.Invitation:
        cmd = commands.DeclineInvitation(**ANSWER_INVITATION.parse(request))
        return invitation_message(invite.decline_invitation(cmd, self.uow(call), call.principal), call)
