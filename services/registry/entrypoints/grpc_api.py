"""The registry's gRPC servicer: translate, call a handler, translate back. Nothing else."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from marshmallow import fields, validate
from plr.registry.v1 import registry_pb2 as pb

from services.common.authentication import Authenticator
from services.common.grpc_edge import (
    OdsCode,
    PageSize,
    PageToken,
    Problem,
    RequestSchema,
    Time,
    page_size,
    parse_ods,
    timestamp,
)
from services.common.grpc_server import Call
from services.common.principals import NewApiKey
from services.common.tenancy import TenantScope
from services.common.validation import no_control_characters
from services.registry.domain import commands
from services.registry.domain.reason import reason_problem
from services.registry.domain.trust import NAME_MAX, Trust, TrustKeyRecord
from services.registry.entrypoints.servicer import RegistryServicer
from services.registry.service_layer import trusts
from services.registry.service_layer.unit_of_work import UnitOfWork


class CreateTrustSchema(RequestSchema):
    ods = OdsCode()
    name = fields.String(
        validate=[
            validate.Length(min=1, max=NAME_MAX, error="must be 1 to {max} characters"),
            validate.Predicate("strip", error="must not be blank"),
            no_control_characters,
        ],
    )
    key_scopes = fields.List(fields.String())  # which: the domain's rule (domain/trust.py key_scopes)


class IssueKeySchema(RequestSchema):
    ods = OdsCode()
    scopes = fields.List(fields.String())


class TrustRefSchema(RequestSchema):
    ods = OdsCode()


class OwnOrNamedTrustSchema(RequestSchema):
    ods = OdsCode(optional=True)  # a trust's key may leave it empty: itself


class RevokeKeySchema(RequestSchema):
    ods = OdsCode()
    key_id = fields.String(validate=validate.Regexp(r"^plrk_[a-z0-9]{16}$", error="not a key id"))


class SuspendSchema(RequestSchema):
    ods = OdsCode()
    reason = fields.String(validate=Problem(reason_problem))


class OffboardSchema(RequestSchema):
    ods = OdsCode()
    # that it equals ods is the use case's rule, checked after it has decided who may offboard
    confirm_ods = fields.String()


class ConfirmOffboardExportSchema(RequestSchema):
    ods = OdsCode()
    # its form is the use case's rule (services/registry/domain/offboarding.py)
    export_sha256 = fields.String()


class ListTrustsSchema(RequestSchema):
    page_size = PageSize()
    page_token = PageToken(parse_ods, bound_to=("updated_since",))
    updated_since = Time()


CREATE_TRUST = CreateTrustSchema()
TRUST_REF = TrustRefSchema()
OWN_OR_NAMED = OwnOrNamedTrustSchema()
ISSUE_KEY = IssueKeySchema()
REVOKE_KEY = RevokeKeySchema()
SUSPEND = SuspendSchema()
OFFBOARD = OffboardSchema()
CONFIRM_OFFBOARD_EXPORT = ConfirmOffboardExportSchema()
LIST_TRUSTS = ListTrustsSchema()


def trust_message(trust: Trust) -> pb.Trust:
    return pb.Trust(
        ods=trust.ods,
        name=trust.name,
        status=trust.status,
        version=trust.version,
        created_at=timestamp(trust.created_at),
        updated_at=timestamp(trust.updated_at),
    )


def key_message(key: TrustKeyRecord) -> pb.TrustKey:
    return pb.TrustKey(
        key_id=key.key_id,
        issued_at=timestamp(key.issued_at),
        revoked_at=timestamp(key.revoked_at),
        scopes=sorted(key.scopes),
    )


def new_key_message(key: NewApiKey, issued_at: datetime | None, scopes: frozenset[str]) -> pb.ApiKey:
    return pb.ApiKey(key_id=key.key_id, key=key.presented, issued_at=timestamp(issued_at), scopes=sorted(scopes))


def _own_or_named(request: pb.GetTrustRequest | pb.ListTrustKeysRequest, call: Call) -> str:
    """The trust named, or the caller's own where none is; the use case checks the caller may see it."""
    ods: str = OWN_OR_NAMED.parse(request)["ods"] or (call.principal.trust_ods or "")
    if not ods:
        ods = TRUST_REF.parse(request)["ods"]  # names the field: required of a caller with no trust
    return ods


class RegistryApi(RegistryServicer):
    SERVICE = pb.DESCRIPTOR.services_by_name["RegistryService"]

    def __init__(
        self, unit_of_work: Callable[[TenantScope, str], UnitOfWork], authenticator: Authenticator | None = None
    ):
        super().__init__(unit_of_work)
        # told of every change that makes a key stop working, once committed, to drop it from its cache
        self.authenticator = authenticator

    def _forget(self, ods: str, key_id: str | None = None) -> None:
        if self.authenticator is not None:
            if key_id is not None:
                self.authenticator.forget_key(key_id)
            self.authenticator.forget(ods)

    def CreateTrust(self, request: pb.CreateTrustRequest, call: Call) -> pb.CreateTrustResponse:
        values = CREATE_TRUST.parse(request)
        command = commands.OnboardTrust(values["ods"], values["name"], tuple(values["key_scopes"]))
        result = trusts.onboard_trust(command, self.uow(call), call.principal)
        response = pb.CreateTrustResponse(trust=trust_message(result.trust), created=result.created)
        if result.initial_key is not None:
            response.initial_key.CopyFrom(new_key_message(result.initial_key, result.issued_at, result.key_scopes))
        return response

    def GetTrust(self, request: pb.GetTrustRequest, call: Call) -> pb.Trust:
        ods = _own_or_named(request, call)
        return trust_message(trusts.get_trust(commands.GetTrust(ods), self.uow(call), call.principal))

    def ListTrusts(self, request: pb.ListTrustsRequest, call: Call) -> pb.ListTrustsResponse:
        values = LIST_TRUSTS.parse(request, call)
        size = page_size(values)
        after = values["page_token"][0] if values["page_token"] else ""
        found = trusts.list_trusts(
            commands.ListTrusts(after, size + 1, values["updated_since"]), self.uow(call), call.principal
        )
        token = LIST_TRUSTS.next_page_token(values, call, found[size - 1].ods) if len(found) > size else ""
        return pb.ListTrustsResponse(trusts=[trust_message(t) for t in found[:size]], next_page_token=token)

    def IssueTrustKey(self, request: pb.IssueTrustKeyRequest, call: Call) -> pb.IssueTrustKeyResponse:
        values = ISSUE_KEY.parse(request)
        command = commands.IssueTrustKey(values["ods"], tuple(values["scopes"]))
        key, issued = trusts.issue_trust_key(command, self.uow(call), call.principal)
        return pb.IssueTrustKeyResponse(key=new_key_message(key, issued.issued_at, issued.scopes))

    def RevokeTrustKey(self, request: pb.RevokeTrustKeyRequest, call: Call) -> pb.RevokeTrustKeyResponse:
        values = REVOKE_KEY.parse(request)
        command = commands.RevokeTrustKey(values["ods"], values["key_id"])
        try:
            key = trusts.revoke_trust_key(command, self.uow(call), call.principal)
        finally:
            self._forget(values["ods"], values["key_id"])
        return pb.RevokeTrustKeyResponse(key=key_message(key))

    def ListTrustKeys(self, request: pb.ListTrustKeysRequest, call: Call) -> pb.ListTrustKeysResponse:
        ods = _own_or_named(request, call)
        found = trusts.list_trust_keys(commands.ListTrustKeys(ods), self.uow(call), call.principal)
        return pb.ListTrustKeysResponse(keys=[key_message(k) for k in found])

    def SuspendTrust(self, request: pb.SuspendTrustRequest, call: Call) -> pb.Trust:
        values = SUSPEND.parse(request)
        command = commands.SuspendTrust(values["ods"], values["reason"])
        try:
            return trust_message(trusts.suspend_trust(command, self.uow(call), call.principal))
        finally:
            self._forget(values["ods"])

    def ResumeTrust(self, request: pb.ResumeTrustRequest, call: Call) -> pb.Trust:
        ods = TRUST_REF.parse(request)["ods"]
        return trust_message(trusts.resume_trust(commands.ResumeTrust(ods), self.uow(call), call.principal))

    def OffboardTrust(self, request: pb.OffboardTrustRequest, call: Call) -> pb.OffboardTrustResponse:
        values = OFFBOARD.parse(request)
        command = commands.OffboardTrust(values["ods"], values["confirm_ods"])
        try:
            result = trusts.offboard_trust(command, self.uow(call, TenantScope.platform_wide()), call.principal)
        finally:
            self._forget(values["ods"])
        return offboarding_message(result)

    def ConfirmOffboardExport(self, request: pb.ConfirmOffboardExportRequest, call: Call) -> pb.OffboardTrustResponse:
        values = CONFIRM_OFFBOARD_EXPORT.parse(request)
        command = commands.ConfirmOffboardExport(values["ods"], values["export_sha256"])
        try:
            result = trusts.confirm_offboard_export(
                command, self.uow(call, TenantScope.platform_wide()), call.principal
            )
        finally:
            self._forget(values["ods"])
        return offboarding_message(result)


def offboarding_message(result: trusts.OffboardingResult) -> pb.OffboardTrustResponse:
    return pb.OffboardTrustResponse(
        trust=trust_message(result.trust),
        export_document=result.export_document,
        export_sha256=result.export_sha256,
        leaders_erased=result.leaders_erased,
        affiliations_ended=result.affiliations_ended,
    )
