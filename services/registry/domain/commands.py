"""What a caller asks the registry to do or tell, in the imperative: one frozen dataclass per use case,
built by an entrypoint from a request already checked for shape (a ``RequestSchema``), and given to the
use case of the same name (``RecordCheck`` to ``checks.record_check``) with a unit of work and the
caller. The rules are the domain's and the use case's, not the command's."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from services.registry.domain.authority import OnBehalf
from services.registry.domain.checks import Requirement
from services.registry.domain.development import Goal
from services.registry.domain.profile import LeaderProfile


@dataclass(frozen=True)
class OnboardTrust:
    ods: str
    name: str
    key_scopes: tuple[str, ...] = ()  # the first key's; empty: the default


@dataclass(frozen=True)
class IssueTrustKey:
    ods: str
    scopes: tuple[str, ...] = ()  # empty: the default


@dataclass(frozen=True)
class RevokeTrustKey:
    ods: str
    key_id: str


@dataclass(frozen=True)
class SuspendTrust:
    ods: str
    reason: str = ""


@dataclass(frozen=True)
class ResumeTrust:
    ods: str


@dataclass(frozen=True)
class OffboardTrust:
    ods: str
    confirm_ods: str


@dataclass(frozen=True)
class ConfirmOffboardExport:
    ods: str
    export_sha256: str


@dataclass(frozen=True)
class GetTrust:
    ods: str


@dataclass(frozen=True)
class ListTrusts:
    after_ods: str = ""
    limit: int = 100
    updated_since: datetime | None = None


@dataclass(frozen=True)
class ListTrustKeys:
    ods: str


# --- leaders, affiliations and consent ---------------------------------------------------------


@dataclass(frozen=True)
class RegisterLeader:
    profile: LeaderProfile


@dataclass(frozen=True)
class ConfirmAffiliation:
    affiliation_id: str


@dataclass(frozen=True)
class DeclineAffiliation:
    affiliation_id: str


@dataclass(frozen=True)
class EndAffiliation:
    leader_id: str
    reason: str


@dataclass(frozen=True)
class PauseAffiliation:
    leader_id: str
    until: date | None = None
    reason: str = ""


@dataclass(frozen=True)
class ResumeAffiliation:
    leader_id: str


@dataclass(frozen=True)
class ListAffiliations:
    """A page ordered by last change: after (updated_at, id), changed since, at most ``limit``."""

    after: tuple[datetime, str] | None
    updated_since: datetime | None
    limit: int


@dataclass(frozen=True)
class GetLeader:
    leader_id: str


@dataclass(frozen=True)
class ListLeaders:
    after: tuple[datetime, str] | None
    updated_since: datetime | None
    limit: int


@dataclass(frozen=True)
class UpdateLeader:
    leader_id: str
    expected_version: int
    changes: LeaderProfile
    names: tuple[str, ...]  # the fields that change (none: every field)
    on_behalf: OnBehalf | None = None  # a trust's staff recording the person's own change


@dataclass(frozen=True)
class VerifyEmailChange:
    token: str  # the one-time link's code, as the new address received it


@dataclass(frozen=True)
class PauseLeader:
    leader_id: str
    until: date | None = None
    on_behalf: OnBehalf | None = None


@dataclass(frozen=True)
class ResumeLeader:
    leader_id: str
    on_behalf: OnBehalf | None = None


@dataclass(frozen=True)
class WithdrawLeader:
    leader_id: str
    on_behalf: OnBehalf | None = None


@dataclass(frozen=True)
class RecordConsent:
    leader_id: str
    purpose: str
    target: str
    grant: bool
    wording_version: str
    evidence: str = ""
    on_behalf: OnBehalf | None = None


@dataclass(frozen=True)
class ListConsents:
    leader_id: str


@dataclass(frozen=True)
class ListAuditEntries:
    leader_id: str
    after_id: int = 0
    updated_since: datetime | None = None
    limit: int = 100


@dataclass(frozen=True)
class ListChanges:
    leader_id: str | None = None
    after_id: int = 0
    updated_since: datetime | None = None
    limit: int = 100


@dataclass(frozen=True)
class ListTerms:
    kind: str = ""  # empty: every kind


@dataclass(frozen=True)
class AddTerm:
    kind: str
    code: str
    label: str


# --- equality monitoring and data protection rights --------------------------------------------


@dataclass(frozen=True)
class SubmitEqualityMonitoring:
    answers: Mapping[str, str]


@dataclass(frozen=True)
class GetEqualityReport:
    pass


@dataclass(frozen=True)
class ExportLeaderData:
    leader_id: str


@dataclass(frozen=True)
class EraseLeader:
    leader_id: str


# --- checks ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordCheck:
    leader_id: str
    check_type: str
    dbs_level: str = ""
    issued_on: date | None = None
    expires_on: date | None = None
    evidence: str = ""
    dbs_details: str = ""


@dataclass(frozen=True)
class ListChecks:
    leader_id: str


@dataclass(frozen=True)
class GetSharedRecord:
    leader_id: str


@dataclass(frozen=True)
class AcceptCheck:
    leader_id: str
    check_id: str


@dataclass(frozen=True)
class MayPlace:
    leader_id: str
    requirements: tuple[Requirement, ...]
    on: date | None = None  # none: today


# --- support and development -------------------------------------------------------------------


@dataclass(frozen=True)
class CreateProgramme:
    title: str
    module_titles: tuple[str, ...] = ()


@dataclass(frozen=True)
class AddModule:
    programme_id: str
    title: str


@dataclass(frozen=True)
class ListProgrammes:
    offset: int = 0
    limit: int = 100


@dataclass(frozen=True)
class EnrolLeader:
    leader_id: str
    programme_id: str


@dataclass(frozen=True)
class CompleteTraining:
    enrolment_id: str
    module_id: str | None = None  # none: the whole programme
    completed_on: date | None = None  # none: today


@dataclass(frozen=True)
class ListEnrolments:
    leader_id: str


@dataclass(frozen=True)
class AssignFacilitator:
    leader_id: str
    facilitator_staff_id: str
    buddy_leader_id: str | None = None


@dataclass(frozen=True)
class RecordCheckIn:
    leader_id: str
    held_on: date | None
    notes: str


@dataclass(frozen=True)
class GetSupport:
    leader_id: str


@dataclass(frozen=True)
class GetDevelopmentPlan:
    leader_id: str
    trust_ods: str = ""  # a leader names the trust; a trust is itself


@dataclass(frozen=True)
class UpdateDevelopmentPlan:
    leader_id: str
    trust_ods: str
    expected_version: int
    goals: tuple[Goal, ...]


# --- bulk import -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportLeaders:
    """One batch of (row number, cells) for the trust named (the administrator acts for it)."""

    trust_ods: str
    rows: tuple[tuple[int, Mapping[str, str]], ...]


@dataclass(frozen=True)
class CreateTestPeople:
    """Confirmed test people for a trust (not in production; the administrator asks)."""

    trust_ods: str
    count: int


@dataclass(frozen=True)
class CreateNetwork:
    network_id: str
    name: str


@dataclass(frozen=True)
class AddTrustToNetwork:
    network_id: str
    ods: str


@dataclass(frozen=True)
class RemoveTrustFromNetwork:
    network_id: str
    ods: str


@dataclass(frozen=True)
class ListNetworks:
    pass


@dataclass(frozen=True)
class FindNetworkCandidates:
    skill: str = ""
    interest: str = ""
    postcode_district: str = ""
    after_leader_id: str = ""
    limit: int = 100


@dataclass(frozen=True)
class InviteLeader:
    leader_id: str = ""
    email: str = ""


@dataclass(frozen=True)
class ListInvitations:
    after: tuple[datetime, str] | None = None
    limit: int = 100


@dataclass(frozen=True)
class AcceptInvitation:
    invitation_id: str


@dataclass(frozen=True)
class DeclineInvitation:
    invitation_id: str


# --- staff ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AddStaff:
    trust_ods: str  # the administrator names it; a trust admin may leave it empty (their own)
    name: str
    roles: tuple[str, ...]


@dataclass(frozen=True)
class ListStaff:
    trust_ods: str


@dataclass(frozen=True)
class RemoveStaff:
    trust_ods: str
    staff_id: str
