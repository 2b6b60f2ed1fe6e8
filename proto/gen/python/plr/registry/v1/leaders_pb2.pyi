import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from plr.options.v1 import access_pb2 as _access_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Availability(_message.Message):
    __slots__ = ("hours_per_month", "days", "modes")
    HOURS_PER_MONTH_FIELD_NUMBER: _ClassVar[int]
    DAYS_FIELD_NUMBER: _ClassVar[int]
    MODES_FIELD_NUMBER: _ClassVar[int]
    hours_per_month: int
    days: _containers.RepeatedScalarFieldContainer[str]
    modes: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, hours_per_month: _Optional[int] = ..., days: _Optional[_Iterable[str]] = ..., modes: _Optional[_Iterable[str]] = ...) -> None: ...

class LeaderProfile(_message.Message):
    __slots__ = ("given_name", "family_name", "email", "phone", "postcode", "skills", "interests", "lived_experience", "availability", "access_needs", "support_needs", "preferred_formats", "declarations_of_interest")
    GIVEN_NAME_FIELD_NUMBER: _ClassVar[int]
    FAMILY_NAME_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    PHONE_FIELD_NUMBER: _ClassVar[int]
    POSTCODE_FIELD_NUMBER: _ClassVar[int]
    SKILLS_FIELD_NUMBER: _ClassVar[int]
    INTERESTS_FIELD_NUMBER: _ClassVar[int]
    LIVED_EXPERIENCE_FIELD_NUMBER: _ClassVar[int]
    AVAILABILITY_FIELD_NUMBER: _ClassVar[int]
    ACCESS_NEEDS_FIELD_NUMBER: _ClassVar[int]
    SUPPORT_NEEDS_FIELD_NUMBER: _ClassVar[int]
    PREFERRED_FORMATS_FIELD_NUMBER: _ClassVar[int]
    DECLARATIONS_OF_INTEREST_FIELD_NUMBER: _ClassVar[int]
    given_name: str
    family_name: str
    email: str
    phone: str
    postcode: str
    skills: _containers.RepeatedScalarFieldContainer[str]
    interests: _containers.RepeatedScalarFieldContainer[str]
    lived_experience: _containers.RepeatedScalarFieldContainer[str]
    availability: Availability
    access_needs: str
    support_needs: str
    preferred_formats: _containers.RepeatedScalarFieldContainer[str]
    declarations_of_interest: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, given_name: _Optional[str] = ..., family_name: _Optional[str] = ..., email: _Optional[str] = ..., phone: _Optional[str] = ..., postcode: _Optional[str] = ..., skills: _Optional[_Iterable[str]] = ..., interests: _Optional[_Iterable[str]] = ..., lived_experience: _Optional[_Iterable[str]] = ..., availability: _Optional[_Union[Availability, _Mapping]] = ..., access_needs: _Optional[str] = ..., support_needs: _Optional[str] = ..., preferred_formats: _Optional[_Iterable[str]] = ..., declarations_of_interest: _Optional[_Iterable[str]] = ...) -> None: ...

class OnBehalf(_message.Message):
    __slots__ = ("staff", "how_asked")
    STAFF_FIELD_NUMBER: _ClassVar[int]
    HOW_ASKED_FIELD_NUMBER: _ClassVar[int]
    staff: str
    how_asked: str
    def __init__(self, staff: _Optional[str] = ..., how_asked: _Optional[str] = ...) -> None: ...

class Affiliation(_message.Message):
    __slots__ = ("affiliation_id", "leader_id", "trust_ods", "status", "version", "created_at", "confirmed_at", "ended_at", "end_reason", "paused", "paused_until", "updated_at", "trust_name")
    AFFILIATION_ID_FIELD_NUMBER: _ClassVar[int]
    LEADER_ID_FIELD_NUMBER: _ClassVar[int]
    TRUST_ODS_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    CONFIRMED_AT_FIELD_NUMBER: _ClassVar[int]
    ENDED_AT_FIELD_NUMBER: _ClassVar[int]
    END_REASON_FIELD_NUMBER: _ClassVar[int]
    PAUSED_FIELD_NUMBER: _ClassVar[int]
    PAUSED_UNTIL_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    TRUST_NAME_FIELD_NUMBER: _ClassVar[int]
    affiliation_id: str
    leader_id: str
    trust_ods: str
    status: str
    version: int
    created_at: _timestamp_pb2.Timestamp
    confirmed_at: _timestamp_pb2.Timestamp
    ended_at: _timestamp_pb2.Timestamp
    end_reason: str
    paused: bool
    paused_until: str
    updated_at: _timestamp_pb2.Timestamp
    trust_name: str
    def __init__(self, affiliation_id: _Optional[str] = ..., leader_id: _Optional[str] = ..., trust_ods: _Optional[str] = ..., status: _Optional[str] = ..., version: _Optional[int] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., confirmed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., ended_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_reason: _Optional[str] = ..., paused: _Optional[bool] = ..., paused_until: _Optional[str] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., trust_name: _Optional[str] = ...) -> None: ...

class Leader(_message.Message):
    __slots__ = ("leader_id", "version", "status", "paused_until", "profile", "contactable", "consents", "updated_at", "affiliation", "known_as", "email_change_pending")
    LEADER_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PAUSED_UNTIL_FIELD_NUMBER: _ClassVar[int]
    PROFILE_FIELD_NUMBER: _ClassVar[int]
    CONTACTABLE_FIELD_NUMBER: _ClassVar[int]
    CONSENTS_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    AFFILIATION_FIELD_NUMBER: _ClassVar[int]
    KNOWN_AS_FIELD_NUMBER: _ClassVar[int]
    EMAIL_CHANGE_PENDING_FIELD_NUMBER: _ClassVar[int]
    leader_id: str
    version: int
    status: str
    paused_until: str
    profile: LeaderProfile
    contactable: bool
    consents: _containers.RepeatedCompositeFieldContainer[ConsentState]
    updated_at: _timestamp_pb2.Timestamp
    affiliation: Affiliation
    known_as: KnownDetails
    email_change_pending: bool
    def __init__(self, leader_id: _Optional[str] = ..., version: _Optional[int] = ..., status: _Optional[str] = ..., paused_until: _Optional[str] = ..., profile: _Optional[_Union[LeaderProfile, _Mapping]] = ..., contactable: _Optional[bool] = ..., consents: _Optional[_Iterable[_Union[ConsentState, _Mapping]]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., affiliation: _Optional[_Union[Affiliation, _Mapping]] = ..., known_as: _Optional[_Union[KnownDetails, _Mapping]] = ..., email_change_pending: _Optional[bool] = ...) -> None: ...

class KnownDetails(_message.Message):
    __slots__ = ("given_name", "family_name", "email", "phone", "updated_at")
    GIVEN_NAME_FIELD_NUMBER: _ClassVar[int]
    FAMILY_NAME_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    PHONE_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    given_name: str
    family_name: str
    email: str
    phone: str
    updated_at: _timestamp_pb2.Timestamp
    def __init__(self, given_name: _Optional[str] = ..., family_name: _Optional[str] = ..., email: _Optional[str] = ..., phone: _Optional[str] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class RegisterLeaderRequest(_message.Message):
    __slots__ = ("idempotency_key", "profile")
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    PROFILE_FIELD_NUMBER: _ClassVar[int]
    idempotency_key: str
    profile: LeaderProfile
    def __init__(self, idempotency_key: _Optional[str] = ..., profile: _Optional[_Union[LeaderProfile, _Mapping]] = ...) -> None: ...

class RegisterLeaderResponse(_message.Message):
    __slots__ = ("affiliation",)
    AFFILIATION_FIELD_NUMBER: _ClassVar[int]
    affiliation: Affiliation
    def __init__(self, affiliation: _Optional[_Union[Affiliation, _Mapping]] = ...) -> None: ...

class PauseAffiliationRequest(_message.Message):
    __slots__ = ("leader_id", "until", "reason")
    LEADER_ID_FIELD_NUMBER: _ClassVar[int]
    UNTIL_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    leader_id: str
    until: str
    reason: str
    def __init__(self, leader_id: _Optional[str] = ..., until: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class ResumeAffiliationRequest(_message.Message):
    __slots__ = ("leader_id",)
    LEADER_ID_FIELD_NUMBER: _ClassVar[int]
    leader_id: str
    def __init__(self, leader_id: _Optional[str] = ...) -> None: ...

class ConfirmAffiliationRequest(_message.Message):
    __slots__ = ("affiliation_id",)
    AFFILIATION_ID_FIELD_NUMBER: _ClassVar[int]
    affiliation_id: str
    def __init__(self, affiliation_id: _Optional[str] = ...) -> None: ...

class DeclineAffiliationRequest(_message.Message):
    __slots__ = ("affiliation_id",)
    AFFILIATION_ID_FIELD_NUMBER: _ClassVar[int]
    affiliation_id: str
    def __init__(self, affiliation_id: _Optional[str] = ...) -> None: ...

class EndAffiliationRequest(_message.Message):
    __slots__ = ("leader_id", "reason")
    LEADER_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    leader_id: str
    reason: str
    def __init__(self, leader_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class ListAffiliationsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "updated_since")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    UPDATED_SINCE_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    updated_since: _timestamp_pb2.Timestamp
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., updated_since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListAffiliationsResponse(_message.Message):
    __slots__ = ("affiliations", "next_page_token")
    AFFILIATIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    affiliations: _containers.RepeatedCompositeFieldContainer[Affiliation]
    next_page_token: str
    def __init__(self, affiliations: _Optional[_Iterable[_Union[Affiliation, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetLeaderRequest(_message.Message):
    __slots__ = ("leader_id",)
    LEADER_ID_FIELD_NUMBER: _ClassVar[int]
    leader_id: str
    def __init__(self, leader_id: _Optional[str] = ...) -> None: ...

class ListLeadersRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "updated_since")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    UPDATED_SINCE_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    updated_since: _timestamp_pb2.Timestamp
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., updated_since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListLeadersResponse(_message.Message):
    __slots__ = ("leaders", "next_page_token")
    LEADERS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    leaders: _containers.RepeatedCompositeFieldContainer[Leader]
    next_page_token: str
    def __init__(self, leaders: _Optional[_Iterable[_Union[Leader, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class UpdateLeaderRequest(_message.Message):
    __slots__ = ("leader_id", "expected_version", "profile", "fields", "on_behalf")
    LEADER_ID_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    PROFILE_FIELD_NUMBER: _ClassVar[int]
    FIELDS_FIELD_NUMBER: _ClassVar[int]
    ON_BEHALF_FIELD_NUMBER: _ClassVar[int]
    leader_id: str
    expected_version: int
    profile: LeaderProfile
    fields: _containers.RepeatedScalarFieldContainer[str]
    on_behalf: OnBehalf
    def __init__(self, leader_id: _Optional[str] = ..., expected_version: _Optional[int] = ..., profile: _Optional[_Union[LeaderProfile, _Mapping]] = ..., fields: _Optional[_Iterable[str]] = ..., on_behalf: _Optional[_Union[OnBehalf, _Mapping]] = ...) -> None: ...

class VerifyEmailChangeRequest(_message.Message):
    __slots__ = ("token",)
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    token: str
    def __init__(self, token: _Optional[str] = ...) -> None: ...

class PauseLeaderRequest(_message.Message):
    __slots__ = ("leader_id", "until", "reason", "on_behalf")
    LEADER_ID_FIELD_NUMBER: _ClassVar[int]
    UNTIL_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    ON_BEHALF_FIELD_NUMBER: _ClassVar[int]
    leader_id: str
    until: str
    reason: str
    on_behalf: OnBehalf
    def __init__(self, leader_id: _Optional[str] = ..., until: _Optional[str] = ..., reason: _Optional[str] = ..., on_behalf: _Optional[_Union[OnBehalf, _Mapping]] = ...) -> None: ...

class ResumeLeaderRequest(_message.Message):
    __slots__ = ("leader_id", "on_behalf")
    LEADER_ID_FIELD_NUMBER: _ClassVar[int]
    ON_BEHALF_FIELD_NUMBER: _ClassVar[int]
    leader_id: str
    on_behalf: OnBehalf
    def __init__(self, leader_id: _Optional[str] = ..., on_behalf: _Optional[_Union[OnBehalf, _Mapping]] = ...) -> None: ...

class WithdrawLeaderRequest(_message.Message):
    __slots__ = ("leader_id", "reason", "on_behalf")
    LEADER_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    ON_BEHALF_FIELD_NUMBER: _ClassVar[int]
    leader_id: str
    reason: str
    on_behalf: OnBehalf
    def __init__(self, leader_id: _Optional[str] = ..., reason: _Optional[str] = ..., on_behalf: _Optional[_Union[OnBehalf, _Mapping]] = ...) -> None: ...

class ConsentState(_message.Message):
    __slots__ = ("purpose", "target", "granted", "wording_version", "recorded_by_kind", "recorded_by", "evidence", "recorded_at")
    PURPOSE_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    GRANTED_FIELD_NUMBER: _ClassVar[int]
    WORDING_VERSION_FIELD_NUMBER: _ClassVar[int]
    RECORDED_BY_KIND_FIELD_NUMBER: _ClassVar[int]
    RECORDED_BY_FIELD_NUMBER: _ClassVar[int]
    EVIDENCE_FIELD_NUMBER: _ClassVar[int]
    RECORDED_AT_FIELD_NUMBER: _ClassVar[int]
    purpose: str
    target: str
    granted: bool
    wording_version: str
    recorded_by_kind: str
    recorded_by: str
    evidence: str
    recorded_at: _timestamp_pb2.Timestamp
    def __init__(self, purpose: _Optional[str] = ..., target: _Optional[str] = ..., granted: _Optional[bool] = ..., wording_version: _Optional[str] = ..., recorded_by_kind: _Optional[str] = ..., recorded_by: _Optional[str] = ..., evidence: _Optional[str] = ..., recorded_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class RecordConsentRequest(_message.Message):
    __slots__ = ("idempotency_key", "leader_id", "purpose", "target", "grant", "wording_version", "evidence", "on_behalf")
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    LEADER_ID_FIELD_NUMBER: _ClassVar[int]
    PURPOSE_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    GRANT_FIELD_NUMBER: _ClassVar[int]
    WORDING_VERSION_FIELD_NUMBER: _ClassVar[int]
    EVIDENCE_FIELD_NUMBER: _ClassVar[int]
    ON_BEHALF_FIELD_NUMBER: _ClassVar[int]
    idempotency_key: str
    leader_id: str
    purpose: str
    target: str
    grant: bool
    wording_version: str
    evidence: str
    on_behalf: OnBehalf
    def __init__(self, idempotency_key: _Optional[str] = ..., leader_id: _Optional[str] = ..., purpose: _Optional[str] = ..., target: _Optional[str] = ..., grant: _Optional[bool] = ..., wording_version: _Optional[str] = ..., evidence: _Optional[str] = ..., on_behalf: _Optional[_Union[OnBehalf, _Mapping]] = ...) -> None: ...

class ListConsentsRequest(_message.Message):
    __slots__ = ("leader_id",)
    LEADER_ID_FIELD_NUMBER: _ClassVar[int]
    leader_id: str
    def __init__(self, leader_id: _Optional[str] = ...) -> None: ...

class ListConsentsResponse(_message.Message):
    __slots__ = ("current", "history")
    CURRENT_FIELD_NUMBER: _ClassVar[int]
    HISTORY_FIELD_NUMBER: _ClassVar[int]
    current: _containers.RepeatedCompositeFieldContainer[ConsentState]
    history: _containers.RepeatedCompositeFieldContainer[ConsentState]
    def __init__(self, current: _Optional[_Iterable[_Union[ConsentState, _Mapping]]] = ..., history: _Optional[_Iterable[_Union[ConsentState, _Mapping]]] = ...) -> None: ...

class SubmitEqualityMonitoringRequest(_message.Message):
    __slots__ = ("age_band", "sex", "gender_identity_same_as_birth", "sexual_orientation", "ethnicity", "religion", "disability", "carer")
    AGE_BAND_FIELD_NUMBER: _ClassVar[int]
    SEX_FIELD_NUMBER: _ClassVar[int]
    GENDER_IDENTITY_SAME_AS_BIRTH_FIELD_NUMBER: _ClassVar[int]
    SEXUAL_ORIENTATION_FIELD_NUMBER: _ClassVar[int]
    ETHNICITY_FIELD_NUMBER: _ClassVar[int]
    RELIGION_FIELD_NUMBER: _ClassVar[int]
    DISABILITY_FIELD_NUMBER: _ClassVar[int]
    CARER_FIELD_NUMBER: _ClassVar[int]
    age_band: str
    sex: str
    gender_identity_same_as_birth: str
    sexual_orientation: str
    ethnicity: str
    religion: str
    disability: str
    carer: str
    def __init__(self, age_band: _Optional[str] = ..., sex: _Optional[str] = ..., gender_identity_same_as_birth: _Optional[str] = ..., sexual_orientation: _Optional[str] = ..., ethnicity: _Optional[str] = ..., religion: _Optional[str] = ..., disability: _Optional[str] = ..., carer: _Optional[str] = ...) -> None: ...

class SubmitEqualityMonitoringResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetEqualityReportRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class EqualityCell(_message.Message):
    __slots__ = ("category", "count", "suppressed")
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    SUPPRESSED_FIELD_NUMBER: _ClassVar[int]
    category: str
    count: int
    suppressed: bool
    def __init__(self, category: _Optional[str] = ..., count: _Optional[int] = ..., suppressed: _Optional[bool] = ...) -> None: ...

class EqualityCharacteristic(_message.Message):
    __slots__ = ("characteristic", "cells", "total")
    CHARACTERISTIC_FIELD_NUMBER: _ClassVar[int]
    CELLS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    characteristic: str
    cells: _containers.RepeatedCompositeFieldContainer[EqualityCell]
    total: int
    def __init__(self, characteristic: _Optional[str] = ..., cells: _Optional[_Iterable[_Union[EqualityCell, _Mapping]]] = ..., total: _Optional[int] = ...) -> None: ...

class EqualityReport(_message.Message):
    __slots__ = ("trust_ods", "characteristics", "generated_at")
    TRUST_ODS_FIELD_NUMBER: _ClassVar[int]
    CHARACTERISTICS_FIELD_NUMBER: _ClassVar[int]
    GENERATED_AT_FIELD_NUMBER: _ClassVar[int]
    trust_ods: str
    characteristics: _containers.RepeatedCompositeFieldContainer[EqualityCharacteristic]
    generated_at: _timestamp_pb2.Timestamp
    def __init__(self, trust_ods: _Optional[str] = ..., characteristics: _Optional[_Iterable[_Union[EqualityCharacteristic, _Mapping]]] = ..., generated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ExportLeaderDataRequest(_message.Message):
    __slots__ = ("leader_id",)
    LEADER_ID_FIELD_NUMBER: _ClassVar[int]
    leader_id: str
    def __init__(self, leader_id: _Optional[str] = ...) -> None: ...

class ExportLeaderDataResponse(_message.Message):
    __slots__ = ("document",)
    DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    document: str
    def __init__(self, document: _Optional[str] = ...) -> None: ...

class RetentionCategory(_message.Message):
    __slots__ = ("name", "reason", "period", "kept")
    NAME_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    KEPT_FIELD_NUMBER: _ClassVar[int]
    name: str
    reason: str
    period: str
    kept: str
    def __init__(self, name: _Optional[str] = ..., reason: _Optional[str] = ..., period: _Optional[str] = ..., kept: _Optional[str] = ...) -> None: ...

class EraseLeaderRequest(_message.Message):
    __slots__ = ("leader_id", "reason")
    LEADER_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    leader_id: str
    reason: str
    def __init__(self, leader_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class EraseLeaderResponse(_message.Message):
    __slots__ = ("leader_id", "retained")
    LEADER_ID_FIELD_NUMBER: _ClassVar[int]
    RETAINED_FIELD_NUMBER: _ClassVar[int]
    leader_id: str
    retained: _containers.RepeatedCompositeFieldContainer[RetentionCategory]
    def __init__(self, leader_id: _Optional[str] = ..., retained: _Optional[_Iterable[_Union[RetentionCategory, _Mapping]]] = ...) -> None: ...

class AuditEntry(_message.Message):
    __slots__ = ("at", "principal_kind", "principal", "trust_ods", "method", "leader_id", "fields")
    AT_FIELD_NUMBER: _ClassVar[int]
    PRINCIPAL_KIND_FIELD_NUMBER: _ClassVar[int]
    PRINCIPAL_FIELD_NUMBER: _ClassVar[int]
    TRUST_ODS_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    LEADER_ID_FIELD_NUMBER: _ClassVar[int]
    FIELDS_FIELD_NUMBER: _ClassVar[int]
    at: _timestamp_pb2.Timestamp
    principal_kind: str
    principal: str
    trust_ods: str
    method: str
    leader_id: str
    fields: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., principal_kind: _Optional[str] = ..., principal: _Optional[str] = ..., trust_ods: _Optional[str] = ..., method: _Optional[str] = ..., leader_id: _Optional[str] = ..., fields: _Optional[_Iterable[str]] = ...) -> None: ...

class ListAuditEntriesRequest(_message.Message):
    __slots__ = ("leader_id", "page_size", "page_token", "updated_since")
    LEADER_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    UPDATED_SINCE_FIELD_NUMBER: _ClassVar[int]
    leader_id: str
    page_size: int
    page_token: str
    updated_since: _timestamp_pb2.Timestamp
    def __init__(self, leader_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., updated_since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListAuditEntriesResponse(_message.Message):
    __slots__ = ("entries", "next_page_token")
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[AuditEntry]
    next_page_token: str
    def __init__(self, entries: _Optional[_Iterable[_Union[AuditEntry, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ChangeEntry(_message.Message):
    __slots__ = ("entry_id", "at", "principal_kind", "principal", "staff", "trust_ods", "correlation_id", "method", "leader_id", "fields", "reason", "evidence")
    ENTRY_ID_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    PRINCIPAL_KIND_FIELD_NUMBER: _ClassVar[int]
    PRINCIPAL_FIELD_NUMBER: _ClassVar[int]
    STAFF_FIELD_NUMBER: _ClassVar[int]
    TRUST_ODS_FIELD_NUMBER: _ClassVar[int]
    CORRELATION_ID_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    LEADER_ID_FIELD_NUMBER: _ClassVar[int]
    FIELDS_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    EVIDENCE_FIELD_NUMBER: _ClassVar[int]
    entry_id: int
    at: _timestamp_pb2.Timestamp
    principal_kind: str
    principal: str
    staff: str
    trust_ods: str
    correlation_id: str
    method: str
    leader_id: str
    fields: _containers.RepeatedScalarFieldContainer[str]
    reason: str
    evidence: str
    def __init__(self, entry_id: _Optional[int] = ..., at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., principal_kind: _Optional[str] = ..., principal: _Optional[str] = ..., staff: _Optional[str] = ..., trust_ods: _Optional[str] = ..., correlation_id: _Optional[str] = ..., method: _Optional[str] = ..., leader_id: _Optional[str] = ..., fields: _Optional[_Iterable[str]] = ..., reason: _Optional[str] = ..., evidence: _Optional[str] = ...) -> None: ...

class ListChangesRequest(_message.Message):
    __slots__ = ("leader_id", "page_size", "page_token", "updated_since")
    LEADER_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    UPDATED_SINCE_FIELD_NUMBER: _ClassVar[int]
    leader_id: str
    page_size: int
    page_token: str
    updated_since: _timestamp_pb2.Timestamp
    def __init__(self, leader_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., updated_since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListChangesResponse(_message.Message):
    __slots__ = ("entries", "next_page_token")
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[ChangeEntry]
    next_page_token: str
    def __init__(self, entries: _Optional[_Iterable[_Union[ChangeEntry, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class Term(_message.Message):
    __slots__ = ("kind", "code", "label", "trust_ods")
    KIND_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    TRUST_ODS_FIELD_NUMBER: _ClassVar[int]
    kind: str
    code: str
    label: str
    trust_ods: str
    def __init__(self, kind: _Optional[str] = ..., code: _Optional[str] = ..., label: _Optional[str] = ..., trust_ods: _Optional[str] = ...) -> None: ...

class ListTermsRequest(_message.Message):
    __slots__ = ("kind",)
    KIND_FIELD_NUMBER: _ClassVar[int]
    kind: str
    def __init__(self, kind: _Optional[str] = ...) -> None: ...

class ListTermsResponse(_message.Message):
    __slots__ = ("terms",)
    TERMS_FIELD_NUMBER: _ClassVar[int]
    terms: _containers.RepeatedCompositeFieldContainer[Term]
    def __init__(self, terms: _Optional[_Iterable[_Union[Term, _Mapping]]] = ...) -> None: ...

class AddTermRequest(_message.Message):
    __slots__ = ("kind", "code", "label")
    KIND_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    kind: str
    code: str
    label: str
    def __init__(self, kind: _Optional[str] = ..., code: _Optional[str] = ..., label: _Optional[str] = ...) -> None: ...
