from plr.options.v1 import access_pb2 as _access_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ImportLeadersRequest(_message.Message):
    __slots__ = ("trust_ods", "rows")
    TRUST_ODS_FIELD_NUMBER: _ClassVar[int]
    ROWS_FIELD_NUMBER: _ClassVar[int]
    trust_ods: str
    rows: _containers.RepeatedCompositeFieldContainer[ImportRow]
    def __init__(self, trust_ods: _Optional[str] = ..., rows: _Optional[_Iterable[_Union[ImportRow, _Mapping]]] = ...) -> None: ...

class ImportRow(_message.Message):
    __slots__ = ("row_number", "cells")
    class CellsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ROW_NUMBER_FIELD_NUMBER: _ClassVar[int]
    CELLS_FIELD_NUMBER: _ClassVar[int]
    row_number: int
    cells: _containers.ScalarMap[str, str]
    def __init__(self, row_number: _Optional[int] = ..., cells: _Optional[_Mapping[str, str]] = ...) -> None: ...

class ImportLeadersResponse(_message.Message):
    __slots__ = ("imported", "unchanged", "problems", "results")
    IMPORTED_FIELD_NUMBER: _ClassVar[int]
    UNCHANGED_FIELD_NUMBER: _ClassVar[int]
    PROBLEMS_FIELD_NUMBER: _ClassVar[int]
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    imported: int
    unchanged: int
    problems: _containers.RepeatedCompositeFieldContainer[RowProblem]
    results: _containers.RepeatedCompositeFieldContainer[RowResult]
    def __init__(self, imported: _Optional[int] = ..., unchanged: _Optional[int] = ..., problems: _Optional[_Iterable[_Union[RowProblem, _Mapping]]] = ..., results: _Optional[_Iterable[_Union[RowResult, _Mapping]]] = ...) -> None: ...

class RowResult(_message.Message):
    __slots__ = ("row_number", "reference", "outcome", "affiliation_id", "leader_id")
    ROW_NUMBER_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    AFFILIATION_ID_FIELD_NUMBER: _ClassVar[int]
    LEADER_ID_FIELD_NUMBER: _ClassVar[int]
    row_number: int
    reference: str
    outcome: str
    affiliation_id: str
    leader_id: str
    def __init__(self, row_number: _Optional[int] = ..., reference: _Optional[str] = ..., outcome: _Optional[str] = ..., affiliation_id: _Optional[str] = ..., leader_id: _Optional[str] = ...) -> None: ...

class RowProblem(_message.Message):
    __slots__ = ("row_number", "field", "reason", "reference")
    ROW_NUMBER_FIELD_NUMBER: _ClassVar[int]
    FIELD_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    row_number: int
    field: str
    reason: str
    reference: str
    def __init__(self, row_number: _Optional[int] = ..., field: _Optional[str] = ..., reason: _Optional[str] = ..., reference: _Optional[str] = ...) -> None: ...
