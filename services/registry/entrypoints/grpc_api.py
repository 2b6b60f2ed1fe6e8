"""The registry's gRPC servicer: translate, call a handler, translate back. Nothing else."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import datetime
from typing import Any

import marshmallow
from google.protobuf.timestamp_pb2 import Timestamp
from marshmallow import fields, validate
from plr.registry.v1 import registry_pb2 as pb
from sqlalchemy.engine import Engine

from services.common.authentication import Authenticator
from services.common.grpc_server import Call, Method
from services.common.principals import NewApiKey
from services.common.tenancy import TenantScope
from services.common.validation import no_control_characters, validated
from services.registry.adapters.unit_of_work import SqlUnitOfWork
from services.registry.domain import commands
from services.registry.domain.trust import NAME_MAX, Trust, TrustKeyRecord
from services.registry.entrypoints.leader_messages import since
from services.registry.service_layer import trusts
from services.registry.service_layer.unit_of_work import UnitOfWork

ODS = fields.String(
    required=True,
    validate=validate.Regexp(r"^[A-Z0-9]{3,5}$", error="must be 3 to 5 upper-case letters or digits"),
)


class CreateTrustSchema(marshmallow.Schema):
    ods = ODS
    name = fields.String(
        required=True,
        validate=[
            validate.Length(min=1, max=NAME_MAX, error="must be 1 to {max} characters"),
            validate.Predicate("strip", error="must not be blank"),
            no_control_characters,
        ],
    )


class TrustRefSchema(marshmallow.Schema):
    ods = ODS


class RevokeKeySchema(marshmallow.Schema):
    ods = ODS
    key_id = fields.String(required=True, validate=validate.Regexp(r"^plrk_[a-z0-9]{16}$", error="not a key id"))


class SuspendSchema(marshmallow.Schema):
    ods = ODS
    reason = fields.String(
        validate=[
            validate.Length(max=trusts.REASON_MAX, error="must be at most {max} characters"),
            no_control_characters,
        ]
    )


class OffboardSchema(marshmallow.Schema):
    ods = ODS
    # that it equals ods is the use case's rule, checked after it has decided who may offboard
    confirm_ods = fields.String(required=True)


class PageSchema(marshmallow.Schema):
    page_size = fields.Integer(validate=validate.Range(min=0, max=500, error="must be 0 to 500"))
    page_token = fields.String(validate=validate.Length(max=64, error="is not a page token"))


def _timestamp(value: datetime | None) -> Timestamp | None:
    if value is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(value)
    return stamp


def trust_message(trust: Trust) -> pb.Trust:
    return pb.Trust(
        ods=trust.ods,
        name=trust.name,
        status=trust.status,
        version=trust.version,
        created_at=_timestamp(trust.created_at),
    )


def key_message(key: TrustKeyRecord) -> pb.TrustKey:
    return pb.TrustKey(key_id=key.key_id, issued_at=_timestamp(key.issued_at), revoked_at=_timestamp(key.revoked_at))


def new_key_message(key: NewApiKey, issued_at: datetime | None) -> pb.ApiKey:
    return pb.ApiKey(key_id=key.key_id, key=key.presented, issued_at=_timestamp(issued_at))


def _own_or_named(request_ods: str, call: Call) -> str:
    """A trust's key may leave the code empty (itself); anything else is checked against the principal."""
    ods = request_ods or (call.principal.trust_ods or "")
    return validated(TrustRefSchema(), {"ods": ods})["ods"]


class RegistryApi:
    def __init__(self, engine: Engine, authenticator: Authenticator | None = None):
        self.engine = engine
        # told of every change that makes a key stop working, once committed, to drop it from its cache
        self.authenticator = authenticator

    def _forget(self, ods: str, key_id: str | None = None) -> None:
        if self.authenticator is not None:
            if key_id is not None:
                self.authenticator.forget_key(key_id)
            self.authenticator.forget(ods)

    def uow(self, call: Call, scope: TenantScope | None = None) -> UnitOfWork:
        return SqlUnitOfWork(self.engine, scope or call.principal.scope, call.correlation_id)

    def CreateTrust(self, request: pb.CreateTrustRequest, call: Call) -> pb.CreateTrustResponse:
        values = validated(CreateTrustSchema(), {"ods": request.ods, "name": request.name})
        command = commands.OnboardTrust(values["ods"], values["name"])
        result = trusts.onboard_trust(command, self.uow(call), call.principal)
        response = pb.CreateTrustResponse(trust=trust_message(result.trust), created=result.created)
        if result.initial_key is not None:
            response.initial_key.CopyFrom(new_key_message(result.initial_key, result.issued_at))
        return response

    def GetTrust(self, request: pb.GetTrustRequest, call: Call) -> pb.Trust:
        ods = _own_or_named(request.ods, call)
        return trust_message(trusts.get_trust(ods, self.uow(call), call.principal))

    def ListTrusts(self, request: pb.ListTrustsRequest, call: Call) -> pb.ListTrustsResponse:
        values = validated(PageSchema(), {"page_size": request.page_size, "page_token": request.page_token})
        size = values["page_size"] or 100
        after = _decode_token(values["page_token"])
        found = trusts.list_trusts(self.uow(call), call.principal, after, size + 1, since(request))
        token = _encode_token(found[size - 1].ods) if len(found) > size else ""
        return pb.ListTrustsResponse(trusts=[trust_message(t) for t in found[:size]], next_page_token=token)

    def IssueTrustKey(self, request: pb.IssueTrustKeyRequest, call: Call) -> pb.IssueTrustKeyResponse:
        ods = validated(TrustRefSchema(), {"ods": request.ods})["ods"]
        key, issued_at = trusts.issue_trust_key(commands.IssueTrustKey(ods), self.uow(call), call.principal)
        return pb.IssueTrustKeyResponse(key=new_key_message(key, issued_at))

    def RevokeTrustKey(self, request: pb.RevokeTrustKeyRequest, call: Call) -> pb.RevokeTrustKeyResponse:
        values = validated(RevokeKeySchema(), {"ods": request.ods, "key_id": request.key_id})
        command = commands.RevokeTrustKey(values["ods"], values["key_id"])
        try:
            key = trusts.revoke_trust_key(command, self.uow(call), call.principal)
        finally:
            self._forget(values["ods"], values["key_id"])
        return pb.RevokeTrustKeyResponse(key=key_message(key))

    def ListTrustKeys(self, request: pb.ListTrustKeysRequest, call: Call) -> pb.ListTrustKeysResponse:
        ods = _own_or_named(request.ods, call)
        found = trusts.list_trust_keys(ods, self.uow(call), call.principal)
        return pb.ListTrustKeysResponse(keys=[key_message(k) for k in found])

    def SuspendTrust(self, request: pb.SuspendTrustRequest, call: Call) -> pb.Trust:
        values = validated(SuspendSchema(), {"ods": request.ods, "reason": request.reason})
        command = commands.SuspendTrust(values["ods"], values["reason"])
        try:
            return trust_message(trusts.suspend_trust(command, self.uow(call), call.principal))
        finally:
            self._forget(values["ods"])

    def ResumeTrust(self, request: pb.ResumeTrustRequest, call: Call) -> pb.Trust:
        ods = validated(TrustRefSchema(), {"ods": request.ods})["ods"]
        return trust_message(trusts.resume_trust(commands.ResumeTrust(ods), self.uow(call), call.principal))

    def OffboardTrust(self, request: pb.OffboardTrustRequest, call: Call) -> pb.OffboardTrustResponse:
        values = validated(OffboardSchema(), {"ods": request.ods, "confirm_ods": request.confirm_ods})
        command = commands.OffboardTrust(values["ods"], values["confirm_ods"])
        try:
            result = trusts.offboard_trust(command, self.uow(call, TenantScope.platform_wide()), call.principal)
        finally:
            self._forget(values["ods"])
        return pb.OffboardTrustResponse(
            trust=trust_message(result.trust),
            export_document=result.export_document,
            leaders_erased=result.leaders_erased,
            affiliations_ended=result.affiliations_ended,
        )

    def methods(self) -> dict[str, Method]:
        names = [m.name for m in pb.DESCRIPTOR.services_by_name["RegistryService"].methods]
        bound: dict[str, Callable[[Any, Call], Any]] = {name: getattr(self, name) for name in names}
        return bound


def _encode_token(ods: str) -> str:
    return base64.urlsafe_b64encode(ods.encode()).decode()


def _decode_token(token: str) -> str:
    if not token:
        return ""
    from services.common.errors import InvalidInput

    try:
        return base64.urlsafe_b64decode(token.encode()).decode()
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput({"page_token": "is not a page token from a previous response"}) from None
