import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from plr.options.v1 import access_pb2 as _access_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Check(_message.Message):
    __slots__ = ("check_id", "leader_id", "check_type", "dbs_level", "verifying_trust", "verified_by", "verified_at", "issued_on", "expires_on", "evidence", "dbs_details", "version")
    CHECK_ID_FIELD_NUMBER: _ClassVar[int]
    LEADER_ID_FIELD_NUMBER: _ClassVar[int]
    CHECK_TYPE_FIELD_NUMBER: _ClassVar[int]
    DBS_LEVEL_FIELD_NUMBER: _ClassVar[int]
    VERIFYING_TRUST_FIELD_NUMBER: _ClassVar[int]
    VERIFIED_BY_FIELD_NUMBER: _ClassVar[int]
    VERIFIED_AT_FIELD_NUMBER: _ClassVar[int]
    ISSUED_ON_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_ON_FIELD_NUMBER: _ClassVar[int]
    EVIDENCE_FIELD_NUMBER: _ClassVar[int]
    DBS_DETAILS_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    check_id: str
    leader_id: str
    check_type: str
    dbs_level: str
    verifying_trust: str
    verified_by: str
    verified_at: _timestamp_pb2.Timestamp
    issued_on: str
    expires_on: str
    evidence: str
    dbs_details: str
    version: int
    def __init__(self, check_id: _Optional[str] = ..., leader_id: _Optional[str] = ..., check_type: _Optional[str] = ..., dbs_level: _Optional[str] = ..., verifying_trust: _Optional[str] = ..., verified_by: _Optional[str] = ..., verified_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., issued_on: _Optional[str] = ..., expires_on: _Optional[str] = ..., evidence: _Optional[str] = ..., dbs_details: _Optional[str] = ..., version: _Optional[int] = ...) -> None: ...

class AcceptedCheck(_message.Message):
    __slots__ = ("acceptance_id", "check_id", "leader_id", "check_type", "dbs_level", "verifying_trust", "verified_at", "issued_on", "expires_on", "accepting_trust", "accepted_by", "accepted_at")
    ACCEPTANCE_ID_FIELD_NUMBER: _ClassVar[int]
    CHECK_ID_FIELD_NUMBER: _ClassVar[int]
    LEADER_ID_FIELD_NUMBER: _ClassVar[int]
    CHECK_TYPE_FIELD_NUMBER: _ClassVar[int]
    DBS_LEVEL_FIELD_NUMBER: _ClassVar[int]
    VERIFYING_TRUST_FIELD_NUMBER: _ClassVar[int]
    VERIFIED_AT_FIELD_NUMBER: _ClassVar[int]
    ISSUED_ON_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_ON_FIELD_NUMBER: _ClassVar[int]
    ACCEPTING_TRUST_FIELD_NUMBER: _ClassVar[int]
    ACCEPTED_BY_FIELD_NUMBER: _ClassVar[int]
    ACCEPTED_AT_FIELD_NUMBER: _ClassVar[int]
    acceptance_id: str
    check_id: str
    leader_id: str
    check_type: str
    dbs_level: str
    verifying_trust: str
    verified_at: _timestamp_pb2.Timestamp
    issued_on: str
    expires_on: str
    accepting_trust: str
    accepted_by: str
    accepted_at: _timestamp_pb2.Timestamp
    def __init__(self, acceptance_id: _Optional[str] = ..., check_id: _Optional[str] = ..., leader_id: _Optional[str] = ..., check_type: _Optional[str] = ..., dbs_level: _Optional[str] = ..., verifying_trust: _Optional[str] = ..., verified_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., issued_on: _Optional[str] = ..., expires_on: _Optional[str] = ..., accepting_trust: _Optional[str] = ..., accepted_by: _Optional[str] = ..., accepted_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class RecordCheckRequest(_message.Message):
    __slots__ = ("leader_id", "check_type", "dbs_level", "issued_on", "expires_on", "evidence", "dbs_details", "idempotency_key")
    LEADER_ID_FIELD_NUMBER: _ClassVar[int]
    CHECK_TYPE_FIELD_NUMBER: _ClassVar[int]
    DBS_LEVEL_FIELD_NUMBER: _ClassVar[int]
    ISSUED_ON_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_ON_FIELD_NUMBER: _ClassVar[int]
    EVIDENCE_FIELD_NUMBER: _ClassVar[int]
    DBS_DETAILS_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    leader_id: str
    check_type: str
    dbs_level: str
    issued_on: str
    expires_on: str
    evidence: str
    dbs_details: str
    idempotency_key: str
    def __init__(self, leader_id: _Optional[str] = ..., check_type: _Optional[str] = ..., dbs_level: _Optional[str] = ..., issued_on: _Optional[str] = ..., expires_on: _Optional[str] = ..., evidence: _Optional[str] = ..., dbs_details: _Optional[str] = ..., idempotency_key: _Optional[str] = ...) -> None: ...

class ListChecksRequest(_message.Message):
    __slots__ = ("leader_id",)
    LEADER_ID_FIELD_NUMBER: _ClassVar[int]
    leader_id: str
    def __init__(self, leader_id: _Optional[str] = ...) -> None: ...

class ListChecksResponse(_message.Message):
    __slots__ = ("checks", "accepted")
    CHECKS_FIELD_NUMBER: _ClassVar[int]
    ACCEPTED_FIELD_NUMBER: _ClassVar[int]
    checks: _containers.RepeatedCompositeFieldContainer[Check]
    accepted: _containers.RepeatedCompositeFieldContainer[AcceptedCheck]
    def __init__(self, checks: _Optional[_Iterable[_Union[Check, _Mapping]]] = ..., accepted: _Optional[_Iterable[_Union[AcceptedCheck, _Mapping]]] = ...) -> None: ...

class GetSharedRecordRequest(_message.Message):
    __slots__ = ("leader_id",)
    LEADER_ID_FIELD_NUMBER: _ClassVar[int]
    leader_id: str
    def __init__(self, leader_id: _Optional[str] = ...) -> None: ...

class SharedCheck(_message.Message):
    __slots__ = ("check_id", "check_type", "dbs_level", "verifying_trust", "verified_at", "issued_on", "expires_on")
    CHECK_ID_FIELD_NUMBER: _ClassVar[int]
    CHECK_TYPE_FIELD_NUMBER: _ClassVar[int]
    DBS_LEVEL_FIELD_NUMBER: _ClassVar[int]
    VERIFYING_TRUST_FIELD_NUMBER: _ClassVar[int]
    VERIFIED_AT_FIELD_NUMBER: _ClassVar[int]
    ISSUED_ON_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_ON_FIELD_NUMBER: _ClassVar[int]
    check_id: str
    check_type: str
    dbs_level: str
    verifying_trust: str
    verified_at: _timestamp_pb2.Timestamp
    issued_on: str
    expires_on: str
    def __init__(self, check_id: _Optional[str] = ..., check_type: _Optional[str] = ..., dbs_level: _Optional[str] = ..., verifying_trust: _Optional[str] = ..., verified_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., issued_on: _Optional[str] = ..., expires_on: _Optional[str] = ...) -> None: ...

class CompletedTraining(_message.Message):
    __slots__ = ("programme", "module", "completed_on", "trust_ods")
    PROGRAMME_FIELD_NUMBER: _ClassVar[int]
    MODULE_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_ON_FIELD_NUMBER: _ClassVar[int]
    TRUST_ODS_FIELD_NUMBER: _ClassVar[int]
    programme: str
    module: str
    completed_on: str
    trust_ods: str
    def __init__(self, programme: _Optional[str] = ..., module: _Optional[str] = ..., completed_on: _Optional[str] = ..., trust_ods: _Optional[str] = ...) -> None: ...

class PastPlacement(_message.Message):
    __slots__ = ("trust_ods", "role_title", "started_on", "ended_on")
    TRUST_ODS_FIELD_NUMBER: _ClassVar[int]
    ROLE_TITLE_FIELD_NUMBER: _ClassVar[int]
    STARTED_ON_FIELD_NUMBER: _ClassVar[int]
    ENDED_ON_FIELD_NUMBER: _ClassVar[int]
    trust_ods: str
    role_title: str
    started_on: str
    ended_on: str
    def __init__(self, trust_ods: _Optional[str] = ..., role_title: _Optional[str] = ..., started_on: _Optional[str] = ..., ended_on: _Optional[str] = ...) -> None: ...

class SharedRecord(_message.Message):
    __slots__ = ("leader_id", "checks", "training", "placements")
    LEADER_ID_FIELD_NUMBER: _ClassVar[int]
    CHECKS_FIELD_NUMBER: _ClassVar[int]
    TRAINING_FIELD_NUMBER: _ClassVar[int]
    PLACEMENTS_FIELD_NUMBER: _ClassVar[int]
    leader_id: str
    checks: _containers.RepeatedCompositeFieldContainer[SharedCheck]
    training: _containers.RepeatedCompositeFieldContainer[CompletedTraining]
    placements: _containers.RepeatedCompositeFieldContainer[PastPlacement]
    def __init__(self, leader_id: _Optional[str] = ..., checks: _Optional[_Iterable[_Union[SharedCheck, _Mapping]]] = ..., training: _Optional[_Iterable[_Union[CompletedTraining, _Mapping]]] = ..., placements: _Optional[_Iterable[_Union[PastPlacement, _Mapping]]] = ...) -> None: ...

class AcceptCheckRequest(_message.Message):
    __slots__ = ("leader_id", "check_id")
    LEADER_ID_FIELD_NUMBER: _ClassVar[int]
    CHECK_ID_FIELD_NUMBER: _ClassVar[int]
    leader_id: str
    check_id: str
    def __init__(self, leader_id: _Optional[str] = ..., check_id: _Optional[str] = ...) -> None: ...

class CheckRequirement(_message.Message):
    __slots__ = ("check_type", "minimum_dbs_level")
    CHECK_TYPE_FIELD_NUMBER: _ClassVar[int]
    MINIMUM_DBS_LEVEL_FIELD_NUMBER: _ClassVar[int]
    check_type: str
    minimum_dbs_level: str
    def __init__(self, check_type: _Optional[str] = ..., minimum_dbs_level: _Optional[str] = ...) -> None: ...

class MayPlaceRequest(_message.Message):
    __slots__ = ("leader_id", "requirements", "on")
    LEADER_ID_FIELD_NUMBER: _ClassVar[int]
    REQUIREMENTS_FIELD_NUMBER: _ClassVar[int]
    ON_FIELD_NUMBER: _ClassVar[int]
    leader_id: str
    requirements: _containers.RepeatedCompositeFieldContainer[CheckRequirement]
    on: str
    def __init__(self, leader_id: _Optional[str] = ..., requirements: _Optional[_Iterable[_Union[CheckRequirement, _Mapping]]] = ..., on: _Optional[str] = ...) -> None: ...

class PlacementBlocker(_message.Message):
    __slots__ = ("check_type", "problem", "detail")
    CHECK_TYPE_FIELD_NUMBER: _ClassVar[int]
    PROBLEM_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    check_type: str
    problem: str
    detail: str
    def __init__(self, check_type: _Optional[str] = ..., problem: _Optional[str] = ..., detail: _Optional[str] = ...) -> None: ...

class MayPlaceResponse(_message.Message):
    __slots__ = ("allowed", "reasons")
    ALLOWED_FIELD_NUMBER: _ClassVar[int]
    REASONS_FIELD_NUMBER: _ClassVar[int]
    allowed: bool
    reasons: _containers.RepeatedCompositeFieldContainer[PlacementBlocker]
    def __init__(self, allowed: _Optional[bool] = ..., reasons: _Optional[_Iterable[_Union[PlacementBlocker, _Mapping]]] = ...) -> None: ...
