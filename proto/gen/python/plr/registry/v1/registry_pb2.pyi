import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from plr.options.v1 import access_pb2 as _access_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Trust(_message.Message):
    __slots__ = ("ods", "name", "status", "version", "created_at", "updated_at")
    ODS_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    ods: str
    name: str
    status: str
    version: int
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    def __init__(self, ods: _Optional[str] = ..., name: _Optional[str] = ..., status: _Optional[str] = ..., version: _Optional[int] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CreateTrustRequest(_message.Message):
    __slots__ = ("ods", "name", "key_scopes")
    ODS_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    KEY_SCOPES_FIELD_NUMBER: _ClassVar[int]
    ods: str
    name: str
    key_scopes: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, ods: _Optional[str] = ..., name: _Optional[str] = ..., key_scopes: _Optional[_Iterable[str]] = ...) -> None: ...

class CreateTrustResponse(_message.Message):
    __slots__ = ("trust", "created", "initial_key")
    TRUST_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    INITIAL_KEY_FIELD_NUMBER: _ClassVar[int]
    trust: Trust
    created: bool
    initial_key: ApiKey
    def __init__(self, trust: _Optional[_Union[Trust, _Mapping]] = ..., created: _Optional[bool] = ..., initial_key: _Optional[_Union[ApiKey, _Mapping]] = ...) -> None: ...

class GetTrustRequest(_message.Message):
    __slots__ = ("ods",)
    ODS_FIELD_NUMBER: _ClassVar[int]
    ods: str
    def __init__(self, ods: _Optional[str] = ...) -> None: ...

class ListTrustsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "updated_since")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    UPDATED_SINCE_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    updated_since: _timestamp_pb2.Timestamp
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., updated_since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListTrustsResponse(_message.Message):
    __slots__ = ("trusts", "next_page_token")
    TRUSTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    trusts: _containers.RepeatedCompositeFieldContainer[Trust]
    next_page_token: str
    def __init__(self, trusts: _Optional[_Iterable[_Union[Trust, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ApiKey(_message.Message):
    __slots__ = ("key_id", "key", "issued_at", "scopes")
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    ISSUED_AT_FIELD_NUMBER: _ClassVar[int]
    SCOPES_FIELD_NUMBER: _ClassVar[int]
    key_id: str
    key: str
    issued_at: _timestamp_pb2.Timestamp
    scopes: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, key_id: _Optional[str] = ..., key: _Optional[str] = ..., issued_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., scopes: _Optional[_Iterable[str]] = ...) -> None: ...

class IssueTrustKeyRequest(_message.Message):
    __slots__ = ("ods", "scopes")
    ODS_FIELD_NUMBER: _ClassVar[int]
    SCOPES_FIELD_NUMBER: _ClassVar[int]
    ods: str
    scopes: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, ods: _Optional[str] = ..., scopes: _Optional[_Iterable[str]] = ...) -> None: ...

class IssueTrustKeyResponse(_message.Message):
    __slots__ = ("key",)
    KEY_FIELD_NUMBER: _ClassVar[int]
    key: ApiKey
    def __init__(self, key: _Optional[_Union[ApiKey, _Mapping]] = ...) -> None: ...

class RevokeTrustKeyRequest(_message.Message):
    __slots__ = ("ods", "key_id")
    ODS_FIELD_NUMBER: _ClassVar[int]
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    ods: str
    key_id: str
    def __init__(self, ods: _Optional[str] = ..., key_id: _Optional[str] = ...) -> None: ...

class RevokeTrustKeyResponse(_message.Message):
    __slots__ = ("key",)
    KEY_FIELD_NUMBER: _ClassVar[int]
    key: TrustKey
    def __init__(self, key: _Optional[_Union[TrustKey, _Mapping]] = ...) -> None: ...

class TrustKey(_message.Message):
    __slots__ = ("key_id", "issued_at", "revoked_at", "scopes")
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    ISSUED_AT_FIELD_NUMBER: _ClassVar[int]
    REVOKED_AT_FIELD_NUMBER: _ClassVar[int]
    SCOPES_FIELD_NUMBER: _ClassVar[int]
    key_id: str
    issued_at: _timestamp_pb2.Timestamp
    revoked_at: _timestamp_pb2.Timestamp
    scopes: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, key_id: _Optional[str] = ..., issued_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., revoked_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., scopes: _Optional[_Iterable[str]] = ...) -> None: ...

class ListTrustKeysRequest(_message.Message):
    __slots__ = ("ods",)
    ODS_FIELD_NUMBER: _ClassVar[int]
    ods: str
    def __init__(self, ods: _Optional[str] = ...) -> None: ...

class ListTrustKeysResponse(_message.Message):
    __slots__ = ("keys",)
    KEYS_FIELD_NUMBER: _ClassVar[int]
    keys: _containers.RepeatedCompositeFieldContainer[TrustKey]
    def __init__(self, keys: _Optional[_Iterable[_Union[TrustKey, _Mapping]]] = ...) -> None: ...

class SuspendTrustRequest(_message.Message):
    __slots__ = ("ods", "reason")
    ODS_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    ods: str
    reason: str
    def __init__(self, ods: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class ResumeTrustRequest(_message.Message):
    __slots__ = ("ods",)
    ODS_FIELD_NUMBER: _ClassVar[int]
    ods: str
    def __init__(self, ods: _Optional[str] = ...) -> None: ...

class OffboardTrustRequest(_message.Message):
    __slots__ = ("ods", "confirm_ods")
    ODS_FIELD_NUMBER: _ClassVar[int]
    CONFIRM_ODS_FIELD_NUMBER: _ClassVar[int]
    ods: str
    confirm_ods: str
    def __init__(self, ods: _Optional[str] = ..., confirm_ods: _Optional[str] = ...) -> None: ...

class OffboardTrustResponse(_message.Message):
    __slots__ = ("trust", "export_document", "leaders_erased", "affiliations_ended", "export_sha256")
    TRUST_FIELD_NUMBER: _ClassVar[int]
    EXPORT_DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    LEADERS_ERASED_FIELD_NUMBER: _ClassVar[int]
    AFFILIATIONS_ENDED_FIELD_NUMBER: _ClassVar[int]
    EXPORT_SHA256_FIELD_NUMBER: _ClassVar[int]
    trust: Trust
    export_document: str
    leaders_erased: int
    affiliations_ended: int
    export_sha256: str
    def __init__(self, trust: _Optional[_Union[Trust, _Mapping]] = ..., export_document: _Optional[str] = ..., leaders_erased: _Optional[int] = ..., affiliations_ended: _Optional[int] = ..., export_sha256: _Optional[str] = ...) -> None: ...

class ConfirmOffboardExportRequest(_message.Message):
    __slots__ = ("ods", "export_sha256")
    ODS_FIELD_NUMBER: _ClassVar[int]
    EXPORT_SHA256_FIELD_NUMBER: _ClassVar[int]
    ods: str
    export_sha256: str
    def __init__(self, ods: _Optional[str] = ..., export_sha256: _Optional[str] = ...) -> None: ...
