import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from plr.options.v1 import access_pb2 as _access_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class EligibilityRule(_message.Message):
    __slots__ = ("kind", "value", "source")
    KIND_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    kind: str
    value: str
    source: str
    def __init__(self, kind: _Optional[str] = ..., value: _Optional[str] = ..., source: _Optional[str] = ...) -> None: ...

class Term(_message.Message):
    __slots__ = ("start_date", "end_date", "review_date", "extendable")
    START_DATE_FIELD_NUMBER: _ClassVar[int]
    END_DATE_FIELD_NUMBER: _ClassVar[int]
    REVIEW_DATE_FIELD_NUMBER: _ClassVar[int]
    EXTENDABLE_FIELD_NUMBER: _ClassVar[int]
    start_date: str
    end_date: str
    review_date: str
    extendable: bool
    def __init__(self, start_date: _Optional[str] = ..., end_date: _Optional[str] = ..., review_date: _Optional[str] = ..., extendable: _Optional[bool] = ...) -> None: ...

class OpportunityDetails(_message.Message):
    __slots__ = ("title", "description", "level", "required_skills", "desirable_skills", "interests", "lived_experience", "sites", "remote", "hours_per_month", "days", "term", "places", "closing_date", "payment_rule", "required_checks", "eligibility_rules", "network_id")
    TITLE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    REQUIRED_SKILLS_FIELD_NUMBER: _ClassVar[int]
    DESIRABLE_SKILLS_FIELD_NUMBER: _ClassVar[int]
    INTERESTS_FIELD_NUMBER: _ClassVar[int]
    LIVED_EXPERIENCE_FIELD_NUMBER: _ClassVar[int]
    SITES_FIELD_NUMBER: _ClassVar[int]
    REMOTE_FIELD_NUMBER: _ClassVar[int]
    HOURS_PER_MONTH_FIELD_NUMBER: _ClassVar[int]
    DAYS_FIELD_NUMBER: _ClassVar[int]
    TERM_FIELD_NUMBER: _ClassVar[int]
    PLACES_FIELD_NUMBER: _ClassVar[int]
    CLOSING_DATE_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_RULE_FIELD_NUMBER: _ClassVar[int]
    REQUIRED_CHECKS_FIELD_NUMBER: _ClassVar[int]
    ELIGIBILITY_RULES_FIELD_NUMBER: _ClassVar[int]
    NETWORK_ID_FIELD_NUMBER: _ClassVar[int]
    title: str
    description: str
    level: str
    required_skills: _containers.RepeatedScalarFieldContainer[str]
    desirable_skills: _containers.RepeatedScalarFieldContainer[str]
    interests: _containers.RepeatedScalarFieldContainer[str]
    lived_experience: _containers.RepeatedScalarFieldContainer[str]
    sites: _containers.RepeatedScalarFieldContainer[str]
    remote: bool
    hours_per_month: int
    days: _containers.RepeatedScalarFieldContainer[str]
    term: Term
    places: int
    closing_date: str
    payment_rule: str
    required_checks: _containers.RepeatedScalarFieldContainer[str]
    eligibility_rules: _containers.RepeatedCompositeFieldContainer[EligibilityRule]
    network_id: str
    def __init__(self, title: _Optional[str] = ..., description: _Optional[str] = ..., level: _Optional[str] = ..., required_skills: _Optional[_Iterable[str]] = ..., desirable_skills: _Optional[_Iterable[str]] = ..., interests: _Optional[_Iterable[str]] = ..., lived_experience: _Optional[_Iterable[str]] = ..., sites: _Optional[_Iterable[str]] = ..., remote: _Optional[bool] = ..., hours_per_month: _Optional[int] = ..., days: _Optional[_Iterable[str]] = ..., term: _Optional[_Union[Term, _Mapping]] = ..., places: _Optional[int] = ..., closing_date: _Optional[str] = ..., payment_rule: _Optional[str] = ..., required_checks: _Optional[_Iterable[str]] = ..., eligibility_rules: _Optional[_Iterable[_Union[EligibilityRule, _Mapping]]] = ..., network_id: _Optional[str] = ...) -> None: ...

class Actor(_message.Message):
    __slots__ = ("staff_id", "claimed_staff")
    STAFF_ID_FIELD_NUMBER: _ClassVar[int]
    CLAIMED_STAFF_FIELD_NUMBER: _ClassVar[int]
    staff_id: str
    claimed_staff: str
    def __init__(self, staff_id: _Optional[str] = ..., claimed_staff: _Optional[str] = ...) -> None: ...

class Opportunity(_message.Message):
    __slots__ = ("opportunity_id", "trust_ods", "details", "status", "version", "created_at", "updated_at", "published_at", "withdrawn_reason", "created_by", "updated_by")
    OPPORTUNITY_ID_FIELD_NUMBER: _ClassVar[int]
    TRUST_ODS_FIELD_NUMBER: _ClassVar[int]
    DETAILS_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    PUBLISHED_AT_FIELD_NUMBER: _ClassVar[int]
    WITHDRAWN_REASON_FIELD_NUMBER: _ClassVar[int]
    CREATED_BY_FIELD_NUMBER: _ClassVar[int]
    UPDATED_BY_FIELD_NUMBER: _ClassVar[int]
    opportunity_id: str
    trust_ods: str
    details: OpportunityDetails
    status: str
    version: int
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    published_at: _timestamp_pb2.Timestamp
    withdrawn_reason: str
    created_by: Actor
    updated_by: Actor
    def __init__(self, opportunity_id: _Optional[str] = ..., trust_ods: _Optional[str] = ..., details: _Optional[_Union[OpportunityDetails, _Mapping]] = ..., status: _Optional[str] = ..., version: _Optional[int] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., published_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., withdrawn_reason: _Optional[str] = ..., created_by: _Optional[_Union[Actor, _Mapping]] = ..., updated_by: _Optional[_Union[Actor, _Mapping]] = ...) -> None: ...

class CreateOpportunityRequest(_message.Message):
    __slots__ = ("details", "idempotency_key")
    DETAILS_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    details: OpportunityDetails
    idempotency_key: str
    def __init__(self, details: _Optional[_Union[OpportunityDetails, _Mapping]] = ..., idempotency_key: _Optional[str] = ...) -> None: ...

class CreateOpportunityResponse(_message.Message):
    __slots__ = ("opportunity", "created")
    OPPORTUNITY_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    opportunity: Opportunity
    created: bool
    def __init__(self, opportunity: _Optional[_Union[Opportunity, _Mapping]] = ..., created: _Optional[bool] = ...) -> None: ...

class UpdateOpportunityRequest(_message.Message):
    __slots__ = ("opportunity_id", "expected_version", "details")
    OPPORTUNITY_ID_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    DETAILS_FIELD_NUMBER: _ClassVar[int]
    opportunity_id: str
    expected_version: int
    details: OpportunityDetails
    def __init__(self, opportunity_id: _Optional[str] = ..., expected_version: _Optional[int] = ..., details: _Optional[_Union[OpportunityDetails, _Mapping]] = ...) -> None: ...

class ChangeOpportunityRequest(_message.Message):
    __slots__ = ("opportunity_id", "expected_version")
    OPPORTUNITY_ID_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    opportunity_id: str
    expected_version: int
    def __init__(self, opportunity_id: _Optional[str] = ..., expected_version: _Optional[int] = ...) -> None: ...

class WithdrawOpportunityRequest(_message.Message):
    __slots__ = ("opportunity_id", "expected_version", "reason")
    OPPORTUNITY_ID_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    opportunity_id: str
    expected_version: int
    reason: str
    def __init__(self, opportunity_id: _Optional[str] = ..., expected_version: _Optional[int] = ..., reason: _Optional[str] = ...) -> None: ...

class GetOpportunityRequest(_message.Message):
    __slots__ = ("opportunity_id",)
    OPPORTUNITY_ID_FIELD_NUMBER: _ClassVar[int]
    opportunity_id: str
    def __init__(self, opportunity_id: _Optional[str] = ...) -> None: ...

class ListOpportunitiesRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "updated_since", "status", "owner")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    UPDATED_SINCE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    updated_since: _timestamp_pb2.Timestamp
    status: str
    owner: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., updated_since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., status: _Optional[str] = ..., owner: _Optional[str] = ...) -> None: ...

class ListOpportunitiesResponse(_message.Message):
    __slots__ = ("opportunities", "next_page_token")
    OPPORTUNITIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    opportunities: _containers.RepeatedCompositeFieldContainer[Opportunity]
    next_page_token: str
    def __init__(self, opportunities: _Optional[_Iterable[_Union[Opportunity, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class CheckEligibilityRequest(_message.Message):
    __slots__ = ("opportunity_id", "declarations")
    class DeclarationsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: bool
        def __init__(self, key: _Optional[str] = ..., value: _Optional[bool] = ...) -> None: ...
    OPPORTUNITY_ID_FIELD_NUMBER: _ClassVar[int]
    DECLARATIONS_FIELD_NUMBER: _ClassVar[int]
    opportunity_id: str
    declarations: _containers.ScalarMap[str, bool]
    def __init__(self, opportunity_id: _Optional[str] = ..., declarations: _Optional[_Mapping[str, bool]] = ...) -> None: ...

class RuleOutcome(_message.Message):
    __slots__ = ("rule", "outcome", "reason")
    RULE_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    rule: EligibilityRule
    outcome: str
    reason: str
    def __init__(self, rule: _Optional[_Union[EligibilityRule, _Mapping]] = ..., outcome: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class EligibilityAnswer(_message.Message):
    __slots__ = ("outcome", "rules")
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    RULES_FIELD_NUMBER: _ClassVar[int]
    outcome: str
    rules: _containers.RepeatedCompositeFieldContainer[RuleOutcome]
    def __init__(self, outcome: _Optional[str] = ..., rules: _Optional[_Iterable[_Union[RuleOutcome, _Mapping]]] = ...) -> None: ...

class Site(_message.Message):
    __slots__ = ("code", "name", "local_districts")
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    LOCAL_DISTRICTS_FIELD_NUMBER: _ClassVar[int]
    code: str
    name: str
    local_districts: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, code: _Optional[str] = ..., name: _Optional[str] = ..., local_districts: _Optional[_Iterable[str]] = ...) -> None: ...

class LevelChecks(_message.Message):
    __slots__ = ("level", "checks")
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    CHECKS_FIELD_NUMBER: _ClassVar[int]
    level: str
    checks: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, level: _Optional[str] = ..., checks: _Optional[_Iterable[str]] = ...) -> None: ...

class MatchingSettings(_message.Message):
    __slots__ = ("recent_placement_months", "max_concurrent_placements", "sites", "default_checks", "version", "max_hours_per_month", "rotation_ceiling_percent")
    RECENT_PLACEMENT_MONTHS_FIELD_NUMBER: _ClassVar[int]
    MAX_CONCURRENT_PLACEMENTS_FIELD_NUMBER: _ClassVar[int]
    SITES_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_CHECKS_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    MAX_HOURS_PER_MONTH_FIELD_NUMBER: _ClassVar[int]
    ROTATION_CEILING_PERCENT_FIELD_NUMBER: _ClassVar[int]
    recent_placement_months: int
    max_concurrent_placements: int
    sites: _containers.RepeatedCompositeFieldContainer[Site]
    default_checks: _containers.RepeatedCompositeFieldContainer[LevelChecks]
    version: int
    max_hours_per_month: int
    rotation_ceiling_percent: int
    def __init__(self, recent_placement_months: _Optional[int] = ..., max_concurrent_placements: _Optional[int] = ..., sites: _Optional[_Iterable[_Union[Site, _Mapping]]] = ..., default_checks: _Optional[_Iterable[_Union[LevelChecks, _Mapping]]] = ..., version: _Optional[int] = ..., max_hours_per_month: _Optional[int] = ..., rotation_ceiling_percent: _Optional[int] = ...) -> None: ...

class GetMatchingSettingsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class UpdateMatchingSettingsRequest(_message.Message):
    __slots__ = ("settings", "expected_version")
    SETTINGS_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    settings: MatchingSettings
    expected_version: int
    def __init__(self, settings: _Optional[_Union[MatchingSettings, _Mapping]] = ..., expected_version: _Optional[int] = ...) -> None: ...
