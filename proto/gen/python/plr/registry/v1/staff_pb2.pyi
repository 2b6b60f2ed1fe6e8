import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from plr.options.v1 import access_pb2 as _access_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class StaffMember(_message.Message):
    __slots__ = ("staff_id", "trust_ods", "name", "roles", "status", "version", "created_at")
    STAFF_ID_FIELD_NUMBER: _ClassVar[int]
    TRUST_ODS_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ROLES_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    staff_id: str
    trust_ods: str
    name: str
    roles: _containers.RepeatedScalarFieldContainer[str]
    status: str
    version: int
    created_at: _timestamp_pb2.Timestamp
    def __init__(self, staff_id: _Optional[str] = ..., trust_ods: _Optional[str] = ..., name: _Optional[str] = ..., roles: _Optional[_Iterable[str]] = ..., status: _Optional[str] = ..., version: _Optional[int] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class AddStaffRequest(_message.Message):
    __slots__ = ("trust_ods", "name", "roles")
    TRUST_ODS_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ROLES_FIELD_NUMBER: _ClassVar[int]
    trust_ods: str
    name: str
    roles: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, trust_ods: _Optional[str] = ..., name: _Optional[str] = ..., roles: _Optional[_Iterable[str]] = ...) -> None: ...

class ListStaffRequest(_message.Message):
    __slots__ = ("trust_ods",)
    TRUST_ODS_FIELD_NUMBER: _ClassVar[int]
    trust_ods: str
    def __init__(self, trust_ods: _Optional[str] = ...) -> None: ...

class ListStaffResponse(_message.Message):
    __slots__ = ("staff",)
    STAFF_FIELD_NUMBER: _ClassVar[int]
    staff: _containers.RepeatedCompositeFieldContainer[StaffMember]
    def __init__(self, staff: _Optional[_Iterable[_Union[StaffMember, _Mapping]]] = ...) -> None: ...

class RemoveStaffRequest(_message.Message):
    __slots__ = ("trust_ods", "staff_id")
    TRUST_ODS_FIELD_NUMBER: _ClassVar[int]
    STAFF_ID_FIELD_NUMBER: _ClassVar[int]
    trust_ods: str
    staff_id: str
    def __init__(self, trust_ods: _Optional[str] = ..., staff_id: _Optional[str] = ...) -> None: ...
