from plr.options.v1 import access_pb2 as _access_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class GetMatchingProfileRequest(_message.Message):
    __slots__ = ("leader_id",)
    LEADER_ID_FIELD_NUMBER: _ClassVar[int]
    leader_id: str
    def __init__(self, leader_id: _Optional[str] = ...) -> None: ...

class MatchingProfile(_message.Message):
    __slots__ = ("leader_id", "version", "status", "paused_until", "skills", "interests", "lived_experience", "lived_experience_consent", "hours_per_month", "days", "modes", "postcode_district", "affiliations", "contact_trusts", "shared_networks", "checks")
    LEADER_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PAUSED_UNTIL_FIELD_NUMBER: _ClassVar[int]
    SKILLS_FIELD_NUMBER: _ClassVar[int]
    INTERESTS_FIELD_NUMBER: _ClassVar[int]
    LIVED_EXPERIENCE_FIELD_NUMBER: _ClassVar[int]
    LIVED_EXPERIENCE_CONSENT_FIELD_NUMBER: _ClassVar[int]
    HOURS_PER_MONTH_FIELD_NUMBER: _ClassVar[int]
    DAYS_FIELD_NUMBER: _ClassVar[int]
    MODES_FIELD_NUMBER: _ClassVar[int]
    POSTCODE_DISTRICT_FIELD_NUMBER: _ClassVar[int]
    AFFILIATIONS_FIELD_NUMBER: _ClassVar[int]
    CONTACT_TRUSTS_FIELD_NUMBER: _ClassVar[int]
    SHARED_NETWORKS_FIELD_NUMBER: _ClassVar[int]
    CHECKS_FIELD_NUMBER: _ClassVar[int]
    leader_id: str
    version: int
    status: str
    paused_until: str
    skills: _containers.RepeatedScalarFieldContainer[str]
    interests: _containers.RepeatedScalarFieldContainer[str]
    lived_experience: _containers.RepeatedScalarFieldContainer[str]
    lived_experience_consent: bool
    hours_per_month: int
    days: _containers.RepeatedScalarFieldContainer[str]
    modes: _containers.RepeatedScalarFieldContainer[str]
    postcode_district: str
    affiliations: _containers.RepeatedCompositeFieldContainer[MatchingAffiliation]
    contact_trusts: _containers.RepeatedScalarFieldContainer[str]
    shared_networks: _containers.RepeatedScalarFieldContainer[str]
    checks: _containers.RepeatedCompositeFieldContainer[MatchingCheck]
    def __init__(self, leader_id: _Optional[str] = ..., version: _Optional[int] = ..., status: _Optional[str] = ..., paused_until: _Optional[str] = ..., skills: _Optional[_Iterable[str]] = ..., interests: _Optional[_Iterable[str]] = ..., lived_experience: _Optional[_Iterable[str]] = ..., lived_experience_consent: _Optional[bool] = ..., hours_per_month: _Optional[int] = ..., days: _Optional[_Iterable[str]] = ..., modes: _Optional[_Iterable[str]] = ..., postcode_district: _Optional[str] = ..., affiliations: _Optional[_Iterable[_Union[MatchingAffiliation, _Mapping]]] = ..., contact_trusts: _Optional[_Iterable[str]] = ..., shared_networks: _Optional[_Iterable[str]] = ..., checks: _Optional[_Iterable[_Union[MatchingCheck, _Mapping]]] = ...) -> None: ...

class MatchingAffiliation(_message.Message):
    __slots__ = ("affiliation_id", "ods", "status", "paused_until", "version", "paused")
    AFFILIATION_ID_FIELD_NUMBER: _ClassVar[int]
    ODS_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PAUSED_UNTIL_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    PAUSED_FIELD_NUMBER: _ClassVar[int]
    affiliation_id: str
    ods: str
    status: str
    paused_until: str
    version: int
    paused: bool
    def __init__(self, affiliation_id: _Optional[str] = ..., ods: _Optional[str] = ..., status: _Optional[str] = ..., paused_until: _Optional[str] = ..., version: _Optional[int] = ..., paused: _Optional[bool] = ...) -> None: ...

class MatchingCheck(_message.Message):
    __slots__ = ("check_id", "check_type", "ods", "expires_on", "accepted_by", "version")
    CHECK_ID_FIELD_NUMBER: _ClassVar[int]
    CHECK_TYPE_FIELD_NUMBER: _ClassVar[int]
    ODS_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_ON_FIELD_NUMBER: _ClassVar[int]
    ACCEPTED_BY_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    check_id: str
    check_type: str
    ods: str
    expires_on: str
    accepted_by: _containers.RepeatedScalarFieldContainer[str]
    version: int
    def __init__(self, check_id: _Optional[str] = ..., check_type: _Optional[str] = ..., ods: _Optional[str] = ..., expires_on: _Optional[str] = ..., accepted_by: _Optional[_Iterable[str]] = ..., version: _Optional[int] = ...) -> None: ...
