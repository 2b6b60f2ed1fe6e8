from plr.options.v1 import access_pb2 as _access_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class RankCandidatesRequest(_message.Message):
    __slots__ = ("opportunity_id", "limit")
    OPPORTUNITY_ID_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    opportunity_id: str
    limit: int
    def __init__(self, opportunity_id: _Optional[str] = ..., limit: _Optional[int] = ...) -> None: ...

class FactorScore(_message.Message):
    __slots__ = ("factor", "score", "weight", "reason", "matched")
    FACTOR_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    WEIGHT_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    MATCHED_FIELD_NUMBER: _ClassVar[int]
    factor: str
    score: float
    weight: float
    reason: str
    matched: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, factor: _Optional[str] = ..., score: _Optional[float] = ..., weight: _Optional[float] = ..., reason: _Optional[str] = ..., matched: _Optional[_Iterable[str]] = ...) -> None: ...

class RankedCandidate(_message.Message):
    __slots__ = ("leader_id", "position", "score", "fit", "penalty", "penalty_reasons", "factors", "eligibility", "checks_to_obtain", "network_candidate")
    LEADER_ID_FIELD_NUMBER: _ClassVar[int]
    POSITION_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    FIT_FIELD_NUMBER: _ClassVar[int]
    PENALTY_FIELD_NUMBER: _ClassVar[int]
    PENALTY_REASONS_FIELD_NUMBER: _ClassVar[int]
    FACTORS_FIELD_NUMBER: _ClassVar[int]
    ELIGIBILITY_FIELD_NUMBER: _ClassVar[int]
    CHECKS_TO_OBTAIN_FIELD_NUMBER: _ClassVar[int]
    NETWORK_CANDIDATE_FIELD_NUMBER: _ClassVar[int]
    leader_id: str
    position: int
    score: float
    fit: float
    penalty: float
    penalty_reasons: _containers.RepeatedScalarFieldContainer[str]
    factors: _containers.RepeatedCompositeFieldContainer[FactorScore]
    eligibility: str
    checks_to_obtain: _containers.RepeatedScalarFieldContainer[str]
    network_candidate: bool
    def __init__(self, leader_id: _Optional[str] = ..., position: _Optional[int] = ..., score: _Optional[float] = ..., fit: _Optional[float] = ..., penalty: _Optional[float] = ..., penalty_reasons: _Optional[_Iterable[str]] = ..., factors: _Optional[_Iterable[_Union[FactorScore, _Mapping]]] = ..., eligibility: _Optional[str] = ..., checks_to_obtain: _Optional[_Iterable[str]] = ..., network_candidate: _Optional[bool] = ...) -> None: ...

class Excluded(_message.Message):
    __slots__ = ("reason", "words", "count")
    REASON_FIELD_NUMBER: _ClassVar[int]
    WORDS_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    reason: str
    words: str
    count: int
    def __init__(self, reason: _Optional[str] = ..., words: _Optional[str] = ..., count: _Optional[int] = ...) -> None: ...

class RankCandidatesResponse(_message.Message):
    __slots__ = ("opportunity_id", "ranked_on", "candidates", "excluded", "considered")
    OPPORTUNITY_ID_FIELD_NUMBER: _ClassVar[int]
    RANKED_ON_FIELD_NUMBER: _ClassVar[int]
    CANDIDATES_FIELD_NUMBER: _ClassVar[int]
    EXCLUDED_FIELD_NUMBER: _ClassVar[int]
    CONSIDERED_FIELD_NUMBER: _ClassVar[int]
    opportunity_id: str
    ranked_on: str
    candidates: _containers.RepeatedCompositeFieldContainer[RankedCandidate]
    excluded: _containers.RepeatedCompositeFieldContainer[Excluded]
    considered: int
    def __init__(self, opportunity_id: _Optional[str] = ..., ranked_on: _Optional[str] = ..., candidates: _Optional[_Iterable[_Union[RankedCandidate, _Mapping]]] = ..., excluded: _Optional[_Iterable[_Union[Excluded, _Mapping]]] = ..., considered: _Optional[int] = ...) -> None: ...

class GetConcentrationReportRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ConcentrationReport(_message.Message):
    __slots__ = ("people", "placements", "top_decile_share", "gini", "window_months")
    PEOPLE_FIELD_NUMBER: _ClassVar[int]
    PLACEMENTS_FIELD_NUMBER: _ClassVar[int]
    TOP_DECILE_SHARE_FIELD_NUMBER: _ClassVar[int]
    GINI_FIELD_NUMBER: _ClassVar[int]
    WINDOW_MONTHS_FIELD_NUMBER: _ClassVar[int]
    people: int
    placements: int
    top_decile_share: float
    gini: float
    window_months: int
    def __init__(self, people: _Optional[int] = ..., placements: _Optional[int] = ..., top_decile_share: _Optional[float] = ..., gini: _Optional[float] = ..., window_months: _Optional[int] = ...) -> None: ...
