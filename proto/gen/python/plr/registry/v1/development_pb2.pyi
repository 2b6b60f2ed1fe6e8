import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from plr.options.v1 import access_pb2 as _access_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Module(_message.Message):
    __slots__ = ("module_id", "title")
    MODULE_ID_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    module_id: str
    title: str
    def __init__(self, module_id: _Optional[str] = ..., title: _Optional[str] = ...) -> None: ...

class Programme(_message.Message):
    __slots__ = ("programme_id", "trust_ods", "title", "modules", "version", "created_at")
    PROGRAMME_ID_FIELD_NUMBER: _ClassVar[int]
    TRUST_ODS_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    MODULES_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    programme_id: str
    trust_ods: str
    title: str
    modules: _containers.RepeatedCompositeFieldContainer[Module]
    version: int
    created_at: _timestamp_pb2.Timestamp
    def __init__(self, programme_id: _Optional[str] = ..., trust_ods: _Optional[str] = ..., title: _Optional[str] = ..., modules: _Optional[_Iterable[_Union[Module, _Mapping]]] = ..., version: _Optional[int] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CreateProgrammeRequest(_message.Message):
    __slots__ = ("title", "module_titles")
    TITLE_FIELD_NUMBER: _ClassVar[int]
    MODULE_TITLES_FIELD_NUMBER: _ClassVar[int]
    title: str
    module_titles: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, title: _Optional[str] = ..., module_titles: _Optional[_Iterable[str]] = ...) -> None: ...

class AddModuleRequest(_message.Message):
    __slots__ = ("programme_id", "title")
    PROGRAMME_ID_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    programme_id: str
    title: str
    def __init__(self, programme_id: _Optional[str] = ..., title: _Optional[str] = ...) -> None: ...

class ListProgrammesRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListProgrammesResponse(_message.Message):
    __slots__ = ("programmes", "next_page_token")
    PROGRAMMES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    programmes: _containers.RepeatedCompositeFieldContainer[Programme]
    next_page_token: str
    def __init__(self, programmes: _Optional[_Iterable[_Union[Programme, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ModuleCompletion(_message.Message):
    __slots__ = ("module_id", "completed_on")
    MODULE_ID_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_ON_FIELD_NUMBER: _ClassVar[int]
    module_id: str
    completed_on: str
    def __init__(self, module_id: _Optional[str] = ..., completed_on: _Optional[str] = ...) -> None: ...

class Enrolment(_message.Message):
    __slots__ = ("enrolment_id", "leader_id", "trust_ods", "programme_id", "programme_title", "completed_modules", "completed_on", "version", "enrolled_at")
    ENROLMENT_ID_FIELD_NUMBER: _ClassVar[int]
    LEADER_ID_FIELD_NUMBER: _ClassVar[int]
    TRUST_ODS_FIELD_NUMBER: _ClassVar[int]
    PROGRAMME_ID_FIELD_NUMBER: _ClassVar[int]
    PROGRAMME_TITLE_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_MODULES_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_ON_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    ENROLLED_AT_FIELD_NUMBER: _ClassVar[int]
    enrolment_id: str
    leader_id: str
    trust_ods: str
    programme_id: str
    programme_title: str
    completed_modules: _containers.RepeatedCompositeFieldContainer[ModuleCompletion]
    completed_on: str
    version: int
    enrolled_at: _timestamp_pb2.Timestamp
    def __init__(self, enrolment_id: _Optional[str] = ..., leader_id: _Optional[str] = ..., trust_ods: _Optional[str] = ..., programme_id: _Optional[str] = ..., programme_title: _Optional[str] = ..., completed_modules: _Optional[_Iterable[_Union[ModuleCompletion, _Mapping]]] = ..., completed_on: _Optional[str] = ..., version: _Optional[int] = ..., enrolled_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class EnrolLeaderRequest(_message.Message):
    __slots__ = ("leader_id", "programme_id")
    LEADER_ID_FIELD_NUMBER: _ClassVar[int]
    PROGRAMME_ID_FIELD_NUMBER: _ClassVar[int]
    leader_id: str
    programme_id: str
    def __init__(self, leader_id: _Optional[str] = ..., programme_id: _Optional[str] = ...) -> None: ...

class CompleteTrainingRequest(_message.Message):
    __slots__ = ("enrolment_id", "module_id", "completed_on")
    ENROLMENT_ID_FIELD_NUMBER: _ClassVar[int]
    MODULE_ID_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_ON_FIELD_NUMBER: _ClassVar[int]
    enrolment_id: str
    module_id: str
    completed_on: str
    def __init__(self, enrolment_id: _Optional[str] = ..., module_id: _Optional[str] = ..., completed_on: _Optional[str] = ...) -> None: ...

class ListEnrolmentsRequest(_message.Message):
    __slots__ = ("leader_id",)
    LEADER_ID_FIELD_NUMBER: _ClassVar[int]
    leader_id: str
    def __init__(self, leader_id: _Optional[str] = ...) -> None: ...

class ListEnrolmentsResponse(_message.Message):
    __slots__ = ("enrolments",)
    ENROLMENTS_FIELD_NUMBER: _ClassVar[int]
    enrolments: _containers.RepeatedCompositeFieldContainer[Enrolment]
    def __init__(self, enrolments: _Optional[_Iterable[_Union[Enrolment, _Mapping]]] = ...) -> None: ...

class SupportAssignment(_message.Message):
    __slots__ = ("leader_id", "trust_ods", "facilitator", "buddy_leader_id", "version", "assigned_at", "facilitator_staff_id")
    LEADER_ID_FIELD_NUMBER: _ClassVar[int]
    TRUST_ODS_FIELD_NUMBER: _ClassVar[int]
    FACILITATOR_FIELD_NUMBER: _ClassVar[int]
    BUDDY_LEADER_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    ASSIGNED_AT_FIELD_NUMBER: _ClassVar[int]
    FACILITATOR_STAFF_ID_FIELD_NUMBER: _ClassVar[int]
    leader_id: str
    trust_ods: str
    facilitator: str
    buddy_leader_id: str
    version: int
    assigned_at: _timestamp_pb2.Timestamp
    facilitator_staff_id: str
    def __init__(self, leader_id: _Optional[str] = ..., trust_ods: _Optional[str] = ..., facilitator: _Optional[str] = ..., buddy_leader_id: _Optional[str] = ..., version: _Optional[int] = ..., assigned_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., facilitator_staff_id: _Optional[str] = ...) -> None: ...

class AssignFacilitatorRequest(_message.Message):
    __slots__ = ("leader_id", "facilitator", "buddy_leader_id", "facilitator_staff_id")
    LEADER_ID_FIELD_NUMBER: _ClassVar[int]
    FACILITATOR_FIELD_NUMBER: _ClassVar[int]
    BUDDY_LEADER_ID_FIELD_NUMBER: _ClassVar[int]
    FACILITATOR_STAFF_ID_FIELD_NUMBER: _ClassVar[int]
    leader_id: str
    facilitator: str
    buddy_leader_id: str
    facilitator_staff_id: str
    def __init__(self, leader_id: _Optional[str] = ..., facilitator: _Optional[str] = ..., buddy_leader_id: _Optional[str] = ..., facilitator_staff_id: _Optional[str] = ...) -> None: ...

class CheckIn(_message.Message):
    __slots__ = ("check_in_id", "leader_id", "trust_ods", "held_on", "notes", "notes_withheld", "recorded_at")
    CHECK_IN_ID_FIELD_NUMBER: _ClassVar[int]
    LEADER_ID_FIELD_NUMBER: _ClassVar[int]
    TRUST_ODS_FIELD_NUMBER: _ClassVar[int]
    HELD_ON_FIELD_NUMBER: _ClassVar[int]
    NOTES_FIELD_NUMBER: _ClassVar[int]
    NOTES_WITHHELD_FIELD_NUMBER: _ClassVar[int]
    RECORDED_AT_FIELD_NUMBER: _ClassVar[int]
    check_in_id: str
    leader_id: str
    trust_ods: str
    held_on: str
    notes: str
    notes_withheld: bool
    recorded_at: _timestamp_pb2.Timestamp
    def __init__(self, check_in_id: _Optional[str] = ..., leader_id: _Optional[str] = ..., trust_ods: _Optional[str] = ..., held_on: _Optional[str] = ..., notes: _Optional[str] = ..., notes_withheld: _Optional[bool] = ..., recorded_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class RecordCheckInRequest(_message.Message):
    __slots__ = ("leader_id", "held_on", "notes")
    LEADER_ID_FIELD_NUMBER: _ClassVar[int]
    HELD_ON_FIELD_NUMBER: _ClassVar[int]
    NOTES_FIELD_NUMBER: _ClassVar[int]
    leader_id: str
    held_on: str
    notes: str
    def __init__(self, leader_id: _Optional[str] = ..., held_on: _Optional[str] = ..., notes: _Optional[str] = ...) -> None: ...

class GetSupportRequest(_message.Message):
    __slots__ = ("leader_id",)
    LEADER_ID_FIELD_NUMBER: _ClassVar[int]
    leader_id: str
    def __init__(self, leader_id: _Optional[str] = ...) -> None: ...

class Support(_message.Message):
    __slots__ = ("assignments", "check_ins")
    ASSIGNMENTS_FIELD_NUMBER: _ClassVar[int]
    CHECK_INS_FIELD_NUMBER: _ClassVar[int]
    assignments: _containers.RepeatedCompositeFieldContainer[SupportAssignment]
    check_ins: _containers.RepeatedCompositeFieldContainer[CheckIn]
    def __init__(self, assignments: _Optional[_Iterable[_Union[SupportAssignment, _Mapping]]] = ..., check_ins: _Optional[_Iterable[_Union[CheckIn, _Mapping]]] = ...) -> None: ...

class Goal(_message.Message):
    __slots__ = ("goal_id", "title", "status", "target_date")
    GOAL_ID_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    TARGET_DATE_FIELD_NUMBER: _ClassVar[int]
    goal_id: str
    title: str
    status: str
    target_date: str
    def __init__(self, goal_id: _Optional[str] = ..., title: _Optional[str] = ..., status: _Optional[str] = ..., target_date: _Optional[str] = ...) -> None: ...

class DevelopmentPlan(_message.Message):
    __slots__ = ("leader_id", "trust_ods", "goals", "version", "updated_at")
    LEADER_ID_FIELD_NUMBER: _ClassVar[int]
    TRUST_ODS_FIELD_NUMBER: _ClassVar[int]
    GOALS_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    leader_id: str
    trust_ods: str
    goals: _containers.RepeatedCompositeFieldContainer[Goal]
    version: int
    updated_at: _timestamp_pb2.Timestamp
    def __init__(self, leader_id: _Optional[str] = ..., trust_ods: _Optional[str] = ..., goals: _Optional[_Iterable[_Union[Goal, _Mapping]]] = ..., version: _Optional[int] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetDevelopmentPlanRequest(_message.Message):
    __slots__ = ("leader_id", "trust_ods")
    LEADER_ID_FIELD_NUMBER: _ClassVar[int]
    TRUST_ODS_FIELD_NUMBER: _ClassVar[int]
    leader_id: str
    trust_ods: str
    def __init__(self, leader_id: _Optional[str] = ..., trust_ods: _Optional[str] = ...) -> None: ...

class UpdateDevelopmentPlanRequest(_message.Message):
    __slots__ = ("leader_id", "trust_ods", "expected_version", "goals")
    LEADER_ID_FIELD_NUMBER: _ClassVar[int]
    TRUST_ODS_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    GOALS_FIELD_NUMBER: _ClassVar[int]
    leader_id: str
    trust_ods: str
    expected_version: int
    goals: _containers.RepeatedCompositeFieldContainer[Goal]
    def __init__(self, leader_id: _Optional[str] = ..., trust_ods: _Optional[str] = ..., expected_version: _Optional[int] = ..., goals: _Optional[_Iterable[_Union[Goal, _Mapping]]] = ...) -> None: ...
