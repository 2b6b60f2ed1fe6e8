import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from plr.options.v1 import access_pb2 as _access_pb2
from plr.registry.v1 import leaders_pb2 as _leaders_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Network(_message.Message):
    __slots__ = ("network_id", "name", "trust_ods", "version", "created_at")
    NETWORK_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    TRUST_ODS_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    network_id: str
    name: str
    trust_ods: _containers.RepeatedScalarFieldContainer[str]
    version: int
    created_at: _timestamp_pb2.Timestamp
    def __init__(self, network_id: _Optional[str] = ..., name: _Optional[str] = ..., trust_ods: _Optional[_Iterable[str]] = ..., version: _Optional[int] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CreateNetworkRequest(_message.Message):
    __slots__ = ("network_id", "name")
    NETWORK_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    network_id: str
    name: str
    def __init__(self, network_id: _Optional[str] = ..., name: _Optional[str] = ...) -> None: ...

class CreateNetworkResponse(_message.Message):
    __slots__ = ("network", "created")
    NETWORK_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    network: Network
    created: bool
    def __init__(self, network: _Optional[_Union[Network, _Mapping]] = ..., created: _Optional[bool] = ...) -> None: ...

class NetworkTrustRequest(_message.Message):
    __slots__ = ("network_id", "ods")
    NETWORK_ID_FIELD_NUMBER: _ClassVar[int]
    ODS_FIELD_NUMBER: _ClassVar[int]
    network_id: str
    ods: str
    def __init__(self, network_id: _Optional[str] = ..., ods: _Optional[str] = ...) -> None: ...

class ListNetworksRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListNetworksResponse(_message.Message):
    __slots__ = ("networks",)
    NETWORKS_FIELD_NUMBER: _ClassVar[int]
    networks: _containers.RepeatedCompositeFieldContainer[Network]
    def __init__(self, networks: _Optional[_Iterable[_Union[Network, _Mapping]]] = ...) -> None: ...

class FindNetworkCandidatesRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "skill", "interest", "postcode_district")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    SKILL_FIELD_NUMBER: _ClassVar[int]
    INTEREST_FIELD_NUMBER: _ClassVar[int]
    POSTCODE_DISTRICT_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    skill: str
    interest: str
    postcode_district: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., skill: _Optional[str] = ..., interest: _Optional[str] = ..., postcode_district: _Optional[str] = ...) -> None: ...

class NetworkCandidate(_message.Message):
    __slots__ = ("leader_id", "postcode_district", "skills", "interests", "availability", "network_ids")
    LEADER_ID_FIELD_NUMBER: _ClassVar[int]
    POSTCODE_DISTRICT_FIELD_NUMBER: _ClassVar[int]
    SKILLS_FIELD_NUMBER: _ClassVar[int]
    INTERESTS_FIELD_NUMBER: _ClassVar[int]
    AVAILABILITY_FIELD_NUMBER: _ClassVar[int]
    NETWORK_IDS_FIELD_NUMBER: _ClassVar[int]
    leader_id: str
    postcode_district: str
    skills: _containers.RepeatedScalarFieldContainer[str]
    interests: _containers.RepeatedScalarFieldContainer[str]
    availability: _leaders_pb2.Availability
    network_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, leader_id: _Optional[str] = ..., postcode_district: _Optional[str] = ..., skills: _Optional[_Iterable[str]] = ..., interests: _Optional[_Iterable[str]] = ..., availability: _Optional[_Union[_leaders_pb2.Availability, _Mapping]] = ..., network_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class FindNetworkCandidatesResponse(_message.Message):
    __slots__ = ("candidates", "next_page_token")
    CANDIDATES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    candidates: _containers.RepeatedCompositeFieldContainer[NetworkCandidate]
    next_page_token: str
    def __init__(self, candidates: _Optional[_Iterable[_Union[NetworkCandidate, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class InviteLeaderRequest(_message.Message):
    __slots__ = ("leader_id", "email")
    LEADER_ID_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    leader_id: str
    email: str
    def __init__(self, leader_id: _Optional[str] = ..., email: _Optional[str] = ...) -> None: ...

class Invitation(_message.Message):
    __slots__ = ("invitation_id", "trust_ods", "status", "leader_id", "created_at", "answered_at")
    INVITATION_ID_FIELD_NUMBER: _ClassVar[int]
    TRUST_ODS_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    LEADER_ID_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    ANSWERED_AT_FIELD_NUMBER: _ClassVar[int]
    invitation_id: str
    trust_ods: str
    status: str
    leader_id: str
    created_at: _timestamp_pb2.Timestamp
    answered_at: _timestamp_pb2.Timestamp
    def __init__(self, invitation_id: _Optional[str] = ..., trust_ods: _Optional[str] = ..., status: _Optional[str] = ..., leader_id: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., answered_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListInvitationsRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListInvitationsResponse(_message.Message):
    __slots__ = ("invitations", "next_page_token")
    INVITATIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    invitations: _containers.RepeatedCompositeFieldContainer[Invitation]
    next_page_token: str
    def __init__(self, invitations: _Optional[_Iterable[_Union[Invitation, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class AnswerInvitationRequest(_message.Message):
    __slots__ = ("invitation_id",)
    INVITATION_ID_FIELD_NUMBER: _ClassVar[int]
    invitation_id: str
    def __init__(self, invitation_id: _Optional[str] = ...) -> None: ...
