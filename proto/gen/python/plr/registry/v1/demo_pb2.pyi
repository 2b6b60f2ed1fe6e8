from plr.options.v1 import access_pb2 as _access_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CreateTestPeopleRequest(_message.Message):
    __slots__ = ("trust_ods", "count")
    TRUST_ODS_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    trust_ods: str
    count: int
    def __init__(self, trust_ods: _Optional[str] = ..., count: _Optional[int] = ...) -> None: ...

class CreateTestPeopleResponse(_message.Message):
    __slots__ = ("people",)
    PEOPLE_FIELD_NUMBER: _ClassVar[int]
    people: _containers.RepeatedCompositeFieldContainer[TestPerson]
    def __init__(self, people: _Optional[_Iterable[_Union[TestPerson, _Mapping]]] = ...) -> None: ...

class TestPerson(_message.Message):
    __slots__ = ("leader_id", "affiliation_id", "email", "created")
    LEADER_ID_FIELD_NUMBER: _ClassVar[int]
    AFFILIATION_ID_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    leader_id: str
    affiliation_id: str
    email: str
    created: bool
    def __init__(self, leader_id: _Optional[str] = ..., affiliation_id: _Optional[str] = ..., email: _Optional[str] = ..., created: _Optional[bool] = ...) -> None: ...
