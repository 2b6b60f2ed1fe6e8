"""In-memory fakes of every repository and store the registry's unit of work opens, and the fake unit
of work built on the same abstract class as the SQL one: the service layer's tests run on these.

Each fake keeps what a row keeps (a deep copy, without the events waiting for the outbox), so a use
case that forgets to save changes nothing here either, and each repository reports what it loaded or
added in ``seen``, as the SQL ones do."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping, Sequence, Sized
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from services.common.errors import ConcurrentChange, PreconditionFailed
from services.common.events import CloudEvent
from services.common.idempotency import InMemoryIdempotencyKeys
from services.common.tenancy import TenantScope
from services.registry.adapters.event_mapping import to_cloudevent
from services.registry.domain.affiliation import Affiliation
from services.registry.domain.authority import ChangeOnBehalf
from services.registry.domain.checks import AcceptedCheck, Check, CheckAcceptor
from services.registry.domain.consent import Purpose, is_granted
from services.registry.domain.development import (
    CheckIn,
    DevelopmentPlan,
    Enrolment,
    Programme,
    SupportAssignment,
)
from services.registry.domain.email_change import EmailChange
from services.registry.domain.history import Actor, Change, ChangeEntry
from services.registry.domain.invitation import SENT, Invitation
from services.registry.domain.known_details import KnownDetails
from services.registry.domain.leader import EmailTaken, Leader
from services.registry.domain.network import Network
from services.registry.domain.offboarding import OffboardExport
from services.registry.domain.profile import outward_code
from services.registry.domain.staff import StaffMember
from services.registry.domain.taxonomy import GLOBAL_TERMS, Term
from services.registry.domain.trust import Trust
from services.registry.service_layer.ports import (
    AffiliationRepository,
    AuditEntry,
    AuditLog,
    Candidate,
    CandidateFilter,
    ChangeHistory,
    CheckRepository,
    DevelopmentRepository,
    EmailChanges,
    EqualityStore,
    IdempotencyKeys,
    InvitationRepository,
    KnownDetailsStore,
    LeaderImportStore,
    LeaderRepository,
    NetworkCandidates,
    NetworkRepository,
    OffboardExports,
    StaffRepository,
    Taxonomy,
    TrustHoldings,
    TrustRepository,
)
from services.registry.service_layer.unit_of_work import UnitOfWork

AUDIT_AT = datetime(2026, 11, 26, 10, tzinfo=UTC)

T = TypeVar("T")


def stored(aggregate: T) -> T:
    """What a row keeps: the state, never the events waiting for the outbox."""
    kept = copy.deepcopy(aggregate)
    if hasattr(kept, "pending_events"):
        kept.pending_events = []
    return kept


def _loaded(found: T | None) -> T | None:
    return copy.deepcopy(found) if found is not None else None


def _check_version(rows: Mapping[str, Any], key: str, expected_version: int, what: str) -> None:
    if key not in rows or rows[key].version != expected_version:
        raise PreconditionFailed(f"{what} {key} changed concurrently")


class FakeTrustRepository(TrustRepository):
    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, Trust] = {}

    def _get(self, ods: str) -> Trust | None:
        return _loaded(self.rows.get(ods))

    def _add(self, trust: Trust) -> bool:
        if trust.ods in self.rows:
            return False
        self.rows[trust.ods] = stored(trust)
        return True

    def save(self, trust: Trust, expected_version: int) -> None:
        _check_version(self.rows, trust.ods, expected_version, "trust")
        self.rows[trust.ods] = stored(trust)

    def list(self, after_ods: str, limit: int, updated_since: datetime | None = None) -> list[Trust]:
        return [copy.deepcopy(self.rows[o]) for o in sorted(self.rows) if o > after_ods][:limit]


class FakeStaff(StaffRepository):
    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, StaffMember] = {}

    def _get(self, staff_id: str, lock: bool) -> StaffMember | None:
        return _loaded(self.rows.get(staff_id))

    def _add(self, member: StaffMember) -> None:
        self.rows[member.staff_id] = stored(member)

    def save(self, member: StaffMember, expected_version: int) -> None:
        _check_version(self.rows, member.staff_id, expected_version, "member of staff")
        self.rows[member.staff_id] = stored(member)

    def of_trust(self, trust_ods: str) -> list[StaffMember]:
        found = [copy.deepcopy(m) for m in self.rows.values() if m.trust_ods == trust_ods]
        return sorted(found, key=lambda m: (not m.active, m.name, m.staff_id))


class FakeLeaders(LeaderRepository):
    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, Leader] = {}
        self.evidence_removed: list[str] = []
        self.events_deleted: list[str] = []
        self.changes_on_behalf: list[ChangeOnBehalf] = []

    def _get(self, leader_id: str, lock: bool) -> Leader | None:
        return _loaded(self.rows.get(leader_id))

    def _add(self, leader: Leader) -> None:
        if leader.email_key and any(held.email_key == leader.email_key for held in self.rows.values()):
            raise ConcurrentChange()  # the unique email key, as the table has it
        self.rows[leader.leader_id] = stored(leader)

    def _add_many(self, new: list[Leader]) -> None:
        for leader in new:
            self._add(leader)

    def find_by_email_key(self, email_key: str) -> str | None:
        return next((i for i, leader in self.rows.items() if leader.email_key == email_key), None)

    def save(self, leader: Leader, expected_version: int) -> None:
        _check_version(self.rows, leader.leader_id, expected_version, "leader")
        if leader.email_key and any(
            other.email_key == leader.email_key for i, other in self.rows.items() if i != leader.leader_id
        ):
            raise EmailTaken()  # as the unique key answers
        self.rows[leader.leader_id] = stored(leader)

    def paused_until_due(self, today: date, limit: int) -> list[str]:
        due = [
            i
            for i, leader in self.rows.items()
            if leader.status == "paused" and leader.paused_until is not None and leader.paused_until <= today
        ]
        return due[:limit]

    def list_visible(self, trust_ods: str, after: Any, updated_since: Any, limit: int) -> list[Leader]:
        found = [copy.deepcopy(x) for x in self.rows.values() if x.erased_at is None][:limit]
        self.seen.extend(found)
        return found

    def remove_consent_evidence(self, leader_id: str) -> int:
        self.evidence_removed.append(leader_id)
        leader = self.rows[leader_id]
        leader.consents = [replace(c, evidence="") for c in leader.consents]
        return len(leader.consents)

    def record_change_on_behalf(self, change: ChangeOnBehalf) -> None:
        self.changes_on_behalf.append(change)

    def forget_changes_on_behalf(self, leader_id: str) -> int:
        kept = [c for c in self.changes_on_behalf if c.leader_id != leader_id]
        forgotten, self.changes_on_behalf = len(self.changes_on_behalf) - len(kept), kept
        return forgotten

    def delete_published_events(self, leader_id: str) -> int:
        self.events_deleted.append(leader_id)
        return 0


class FakeAffiliations(AffiliationRepository):
    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, Affiliation] = {}

    def _get(self, affiliation_id: str) -> Affiliation | None:
        return _loaded(self.rows.get(affiliation_id))

    def _for_trust(self, trust_ods: str, leader_id: str) -> Affiliation | None:
        found = [a for a in self.rows.values() if a.trust_ods == trust_ods and a.leader_id == leader_id]
        return _loaded(found[0]) if found else None

    def _add(self, affiliation: Affiliation) -> None:
        self.rows[affiliation.affiliation_id] = stored(affiliation)

    def _add_many(self, new: list[Affiliation]) -> None:
        for affiliation in new:
            self._add(affiliation)

    def paused_until_due(self, today: date, limit: int) -> list[str]:
        due = [
            i
            for i, affiliation in self.rows.items()
            if affiliation.paused_at is not None
            and affiliation.paused_until is not None
            and affiliation.paused_until <= today
        ]
        return due[:limit]

    def save(self, affiliation: Affiliation, expected_version: int) -> None:
        _check_version(self.rows, affiliation.affiliation_id, expected_version, "affiliation")
        self.rows[affiliation.affiliation_id] = stored(affiliation)

    def page(self, after: Any, updated_since: Any, limit: int, leader_id: str | None = None) -> list[Affiliation]:
        return [copy.deepcopy(a) for a in self.rows.values() if leader_id in (None, a.leader_id)][:limit]

    def of_leader(self, leader_id: str) -> list[Affiliation]:
        return [copy.deepcopy(a) for a in self.rows.values() if a.leader_id == leader_id]


class FakeChecks(CheckRepository):
    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, Check] = {}
        self.accepted: list[AcceptedCheck] = []
        self.erased: list[str] = []

    def _get(self, check_id: str, lock: bool) -> Check | None:
        return _loaded(self.rows.get(check_id))

    def _add(self, check: Check) -> None:
        self.rows[check.check_id] = stored(check)

    def _notices_due(self, today: date, limit: int) -> list[Check]:
        due = [c for c in self.rows.values() if c.due_threshold(today) is not None and c.leader_id not in self.erased]
        return [copy.deepcopy(c) for c in sorted(due, key=lambda c: (c.expires_on, c.check_id))[:limit]]

    def save(self, check: Check, expected_version: int) -> None:
        _check_version(self.rows, check.check_id, expected_version, "check")
        self.rows[check.check_id] = stored(check)

    def of_leader(self, leader_id: str, verifying_trust: str | None) -> list[Check]:
        return [
            copy.deepcopy(c)
            for c in self.rows.values()
            if c.leader_id == leader_id and verifying_trust in (None, c.trust_ods)
        ]

    def add_acceptance(self, accepted: AcceptedCheck) -> None:
        self.accepted.append(accepted)

    def acceptances(self, leader_id: str, accepting_trust: str) -> list[AcceptedCheck]:
        return [a for a in self.accepted if a.leader_id == leader_id and a.accepting_trust == accepting_trust]

    def acceptances_of_leader(self, leader_id: str) -> list[AcceptedCheck]:
        return [a for a in self.accepted if a.leader_id == leader_id]

    def erase_leader(self, leader_id: str) -> int:
        self.erased.append(leader_id)
        changed = [c for c in self.rows.values() if c.leader_id == leader_id and (c.evidence or c.dbs_details)]
        for c in changed:
            self.rows[c.check_id] = replace(c, evidence="", dbs_details="")
        return len(changed)

    def acceptors(self, check_id: str) -> list[CheckAcceptor]:
        # affiliations are not modelled here: every acceptance counts (the SQL test covers ended ones)
        return [CheckAcceptor(a.accepting_trust, a.acceptance_id) for a in self.accepted if a.check_id == check_id]

    def forget_trust(self, trust_ods: str) -> int:
        self.accepted = [a for a in self.accepted if a.accepting_trust != trust_ods]
        gone = [i for i, c in self.rows.items() if c.trust_ods == trust_ods]
        for i in gone:
            del self.rows[i]
        return len(gone)


class FakeDevelopment(DevelopmentRepository):
    """Every trust's rows: a test that needs row-level security's limits uses the SQL repository."""

    def __init__(self) -> None:
        super().__init__()
        self.programmes: dict[str, Programme] = {}
        self.enrolments: dict[str, Enrolment] = {}
        self.assignments: dict[str, SupportAssignment] = {}
        self.check_ins: list[CheckIn] = []
        self.plans: dict[tuple[str, str], DevelopmentPlan] = {}

    def _get_enrolment(self, enrolment_id: str, lock: bool) -> Enrolment | None:
        return _loaded(self.enrolments.get(enrolment_id))

    def _get_enrolment_in(self, programme_id: str, leader_id: str) -> Enrolment | None:
        found = [e for e in self.enrolments.values() if (e.programme_id, e.leader_id) == (programme_id, leader_id)]
        return _loaded(found[0]) if found else None

    def _add_enrolment(self, enrolment: Enrolment) -> None:
        self.enrolments[enrolment.enrolment_id] = stored(enrolment)

    def _get_assignment(self, trust_ods: str, leader_id: str, lock: bool) -> SupportAssignment | None:
        found = [a for a in self.assignments.values() if (a.trust_ods, a.leader_id) == (trust_ods, leader_id)]
        return _loaded(found[0]) if found else None

    def _save_assignment(self, assignment: SupportAssignment, expected_version: int) -> None:
        if expected_version:
            _check_version(self.assignments, assignment.assignment_id, expected_version, "support assignment")
        self.assignments[assignment.assignment_id] = stored(assignment)

    def add_programme(self, programme: Programme) -> None:
        self.programmes[programme.programme_id] = stored(programme)

    def programme(self, programme_id: str, *, lock: bool = False) -> Programme | None:
        return _loaded(self.programmes.get(programme_id))

    def programmes_by_id(self, ids: set[str]) -> dict[str, Programme]:
        return {i: copy.deepcopy(p) for i, p in self.programmes.items() if i in ids}

    def save_programme(self, programme: Programme, expected_version: int, now: datetime) -> None:
        _check_version(self.programmes, programme.programme_id, expected_version, "programme")
        self.programmes[programme.programme_id] = stored(programme)

    def list_programmes(self, offset: int, limit: int) -> list[Programme]:
        ordered = sorted(self.programmes.values(), key=lambda p: (p.created_at, p.programme_id))
        return [copy.deepcopy(p) for p in ordered[offset : offset + limit]]

    def enrolments_of(self, leader_id: str) -> list[Enrolment]:
        found = [e for e in self.enrolments.values() if e.leader_id == leader_id]
        return [copy.deepcopy(e) for e in sorted(found, key=lambda e: e.enrolled_at)]

    def save_enrolment(self, enrolment: Enrolment, expected_version: int, now: datetime) -> None:
        _check_version(self.enrolments, enrolment.enrolment_id, expected_version, "enrolment")
        self.enrolments[enrolment.enrolment_id] = stored(enrolment)

    def assignments_of(self, leader_id: str) -> list[SupportAssignment]:
        found = [a for a in self.assignments.values() if a.leader_id == leader_id]
        return [copy.deepcopy(a) for a in sorted(found, key=lambda a: a.trust_ods)]

    def add_check_in(self, check_in: CheckIn) -> None:
        self.check_ins.append(check_in)

    def check_ins_of(self, leader_id: str) -> list[CheckIn]:
        return sorted((c for c in self.check_ins if c.leader_id == leader_id), key=lambda c: (c.held_on, c.recorded_at))

    def plan(self, leader_id: str, trust_ods: str, *, lock: bool = False) -> DevelopmentPlan:
        found = self.plans.get((leader_id, trust_ods))
        return copy.deepcopy(found) if found else DevelopmentPlan.empty(leader_id, trust_ods)

    def plans_of(self, leader_id: str) -> list[DevelopmentPlan]:
        return [copy.deepcopy(p) for (who, _), p in sorted(self.plans.items()) if who == leader_id]

    def save_plan(self, plan: DevelopmentPlan, expected_version: int) -> None:
        if self.plan(plan.leader_id, plan.trust_ods).version != expected_version:
            raise PreconditionFailed("the development plan was changed by someone else meanwhile")
        self.plans[(plan.leader_id, plan.trust_ods)] = copy.deepcopy(plan)

    def forget_trust(self, trust_ods: str) -> int:
        before = self._count()
        self.programmes = {i: p for i, p in self.programmes.items() if p.trust_ods != trust_ods}
        self.enrolments = {i: e for i, e in self.enrolments.items() if e.trust_ods != trust_ods}
        self.check_ins = [c for c in self.check_ins if c.trust_ods != trust_ods]
        self.plans = {k: p for k, p in self.plans.items() if k[1] != trust_ods}
        self.assignments = {i: a for i, a in self.assignments.items() if a.trust_ods != trust_ods}
        return before - self._count()

    def _count(self) -> int:
        stores: tuple[Sized, ...] = (self.programmes, self.enrolments, self.check_ins, self.plans, self.assignments)
        return sum(len(store) for store in stores)

    def erase_leader(self, leader_id: str) -> None:
        self.enrolments = {i: e for i, e in self.enrolments.items() if e.leader_id != leader_id}
        self.check_ins = [c for c in self.check_ins if c.leader_id != leader_id]
        self.plans = {k: p for k, p in self.plans.items() if k[0] != leader_id}
        self.assignments = {i: a for i, a in self.assignments.items() if a.leader_id != leader_id}
        for i, a in self.assignments.items():
            if a.buddy_leader_id == leader_id:
                self.assignments[i] = replace(a, buddy_leader_id=None)


class FakeAudit(AuditLog):
    def __init__(self) -> None:
        self.entries: list[AuditEntry] = []

    def record(
        self,
        principal_kind: str,
        principal: str,
        trust_ods: str | None,
        method: str,
        reads: Mapping[str, tuple[str, ...]],
    ) -> None:
        for leader_id, fields in reads.items():
            if fields:
                self.entries.append(
                    AuditEntry(AUDIT_AT, principal_kind, principal, trust_ods, method, leader_id, tuple(fields))
                )

    def list(
        self, leader_id: str, trust_ods: str | None, after_id: int, updated_since: datetime | None, limit: int
    ) -> list[tuple[int, AuditEntry]]:
        found = [
            (i, e)
            for i, e in enumerate(self.entries, 1)
            if e.leader_id == leader_id and trust_ods in (None, e.trust_ods) and i > after_id
        ]
        return found[:limit]


class FakeHistory(ChangeHistory):
    def __init__(self) -> None:
        self.entries: list[ChangeEntry] = []

    def record(self, actor: Actor, changes: list[Change]) -> None:
        for change in changes:
            self.entries.append(ChangeEntry(len(self.entries) + 1, AUDIT_AT, actor, change.leader_id, change.fields))

    def list(
        self, leader_id: str | None, trust_ods: str | None, after_id: int, updated_since: datetime | None, limit: int
    ) -> list[ChangeEntry]:
        found = [
            e
            for e in self.entries
            if e.entry_id > after_id and leader_id in (None, e.leader_id) and trust_ods in (None, e.actor.trust_ods)
        ]
        return found[:limit]

    def blank_personal(self, leader_id: str) -> int:
        blanked = [
            i for i, e in enumerate(self.entries) if e.leader_id == leader_id and (e.actor.reason or e.actor.evidence)
        ]
        for i in blanked:
            entry = self.entries[i]
            self.entries[i] = replace(entry, actor=replace(entry.actor, reason="", evidence=""))
        return len(blanked)


class FakeKnownDetails(KnownDetailsStore):
    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], KnownDetails] = {}

    def get(self, trust_ods: str, leader_id: str) -> KnownDetails | None:
        return self.rows.get((trust_ods, leader_id))

    def of_trust(self, trust_ods: str, leader_ids: list[str]) -> dict[str, KnownDetails]:
        return {i: self.rows[(trust_ods, i)] for i in leader_ids if (trust_ods, i) in self.rows}

    def of_leader(self, leader_id: str) -> list[KnownDetails]:
        return [d for (_, i), d in sorted(self.rows.items()) if i == leader_id]

    def put_many(self, many: list[KnownDetails]) -> None:
        self.rows.update(((d.trust_ods, d.leader_id), d) for d in many)

    def erase(self, leader_id: str) -> None:
        self.rows = {k: d for k, d in self.rows.items() if k[1] != leader_id}

    def forget_trust(self, trust_ods: str) -> None:
        self.rows = {k: d for k, d in self.rows.items() if k[0] != trust_ods}


class FakeEmailChanges(EmailChanges):
    def __init__(self) -> None:
        self.rows: dict[str, EmailChange] = {}

    def add(self, change: EmailChange) -> None:
        self.rows[change.change_id] = change

    def by_token(self, token_sha256: str) -> EmailChange | None:
        return next((c for c in self.rows.values() if c.token_sha256 == token_sha256), None)

    def discard(self, leader_id: str) -> int:
        mine = [i for i, c in self.rows.items() if c.leader_id == leader_id]
        for change_id in mine:
            del self.rows[change_id]
        return len(mine)


class FakeTaxonomy(Taxonomy):
    def __init__(self) -> None:
        super().__init__()
        self.terms: list[Term] = list(GLOBAL_TERMS)

    @staticmethod
    def term_id(term: Term) -> str:
        return f"{term.trust_ods or '*'}/{term.kind}/{term.code}"

    def exists(self, kind: str, code: str) -> bool:
        return any((t.kind, t.code) == (kind, code) for t in self.terms)

    def usable_by(self, trust_ods: str) -> set[tuple[str, str]]:
        return {(t.kind, t.code) for t in self.terms if t.trust_ods in (None, trust_ods)}

    def list(self, kind: str | None) -> list[Term]:
        return [t for t in self.terms if kind is None or t.kind == kind]

    def _insert(self, term: Term) -> str | None:
        if self.exists(term.kind, term.code):
            return None
        self.terms.append(term)
        return self.term_id(term)

    def _delete_trust_terms(self, trust_ods: str) -> Sequence[tuple[str, Term]]:
        removed = [t for t in self.terms if t.trust_ods == trust_ods]
        self.terms = [t for t in self.terms if t.trust_ods != trust_ods]
        return [(self.term_id(t), t) for t in removed]


class FakeEquality(EqualityStore):
    def __init__(self, affiliations: FakeAffiliations) -> None:
        self.answers: dict[str, dict[str, str]] = {}
        self.affiliations = affiliations

    def submit(self, leader_id: str, answers: Mapping[str, str], now: datetime) -> None:
        self.answers[leader_id] = dict(answers)

    def answers_of(self, leader_id: str) -> dict[str, str] | None:
        return self.answers.get(leader_id)

    def for_trust_report(self, trust_ods: str) -> list[dict[str, str]]:
        active = {a.leader_id for a in self.affiliations.rows.values() if a.trust_ods == trust_ods and a.active}
        return [answers for leader_id, answers in self.answers.items() if leader_id in active]

    def erase(self, leader_id: str) -> None:
        self.answers.pop(leader_id, None)


class FakeIdempotency(InMemoryIdempotencyKeys, IdempotencyKeys):
    def __init__(self) -> None:
        super().__init__()
        self.forgotten: list[tuple[str, list[tuple[str, str]]]] = []

    def forget_consent_answers(self, leader_id: str, staff_evidence: Iterable[tuple[str, str]]) -> int:
        self.forgotten.append((leader_id, list(staff_evidence)))
        return 0


class FakeImports(LeaderImportStore):
    """Reads what the fake repositories hold, as the SQL store reads their tables."""

    def __init__(self, leaders: FakeLeaders, affiliations: FakeAffiliations) -> None:
        self.leaders, self.affiliations = leaders, affiliations
        self.fingerprints: set[tuple[str, str]] = set()
        self.fingerprint_leaders: dict[tuple[str, str], str] = {}

    def fingerprints_seen(self, trust_ods: str, fingerprints: list[str]) -> dict[str, str | None]:
        return {
            f: self.fingerprint_leaders.get((trust_ods, f)) for f in fingerprints if (trust_ods, f) in self.fingerprints
        }

    def leaders_by_email(self, email_keys: list[str]) -> dict[str, str]:
        return {x.email_key: i for i, x in self.leaders.rows.items() if x.email_key in email_keys}

    def affiliations_of(self, trust_ods: str, leader_ids: list[str]) -> dict[str, Affiliation]:
        return {
            a.leader_id: copy.deepcopy(a)
            for a in self.affiliations.rows.values()
            if a.trust_ods == trust_ods and a.leader_id in leader_ids
        }

    def add_fingerprints(self, trust_ods: str, fingerprints: list[tuple[str, str]], now: datetime) -> None:
        self.fingerprints.update((trust_ods, f) for f, _ in fingerprints)
        self.fingerprint_leaders.update({(trust_ods, f): leader_id for f, leader_id in fingerprints})

    def forget_leader(self, leader_id: str) -> int:
        gone = {key for key, owner in self.fingerprint_leaders.items() if owner == leader_id}
        self.fingerprints -= gone
        for key in gone:
            del self.fingerprint_leaders[key]
        return len(gone)


class FakeTrustHoldings(TrustHoldings):
    def __init__(self, affiliations: FakeAffiliations, idempotency: FakeIdempotency, imports: FakeImports) -> None:
        self.affiliations, self.idempotency, self.imports = affiliations, idempotency, imports

    def affiliation_ids(self, trust_ods: str) -> list[str]:
        found = [a for a in self.affiliations.rows.values() if a.trust_ods == trust_ods]
        return [a.affiliation_id for a in sorted(found, key=lambda a: (a.created_at, a.affiliation_id))]

    def forget_idempotency_keys(self, trust_ods: str) -> int:
        gone = [k for k, v in self.idempotency.keys.items() if v[1] == trust_ods]
        for k in gone:
            del self.idempotency.keys[k]
        self.imports.fingerprints = {f for f in self.imports.fingerprints if f[0] != trust_ods}
        return len(gone)


class FakeNetworks(NetworkRepository):
    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, Network] = {}

    def _get(self, network_id: str, lock: bool) -> Network | None:
        return _loaded(self.rows.get(network_id))

    def _add(self, network: Network) -> bool:
        if network.network_id in self.rows:
            return False
        self.rows[network.network_id] = stored(network)
        return True

    def save(self, network: Network, expected_version: int) -> None:
        _check_version(self.rows, network.network_id, expected_version, "network")
        self.rows[network.network_id] = stored(network)

    def list(self, trust_ods: str | None = None) -> list[Network]:
        found = [self.rows[i] for i in sorted(self.rows)]
        return [copy.deepcopy(n) for n in found if trust_ods is None or trust_ods in n.trusts]


class FakeNetworkCandidates(NetworkCandidates):
    def __init__(self, leaders: FakeLeaders) -> None:
        self.leaders = leaders

    def find(self, where: CandidateFilter, after_leader_id: str, limit: int) -> list[Candidate]:
        found = []
        for leader_id in sorted(i for i in self.leaders.rows if i > after_leader_id):
            leader = self.leaders.rows[leader_id]
            shared = tuple(
                n for n in where.network_ids if is_granted(leader.consents, Purpose.SHARE_PROFILE_WITH_NETWORK, n)
            )
            profile = leader.profile
            if (
                shared
                and leader.status == "active"
                and leader.erased_at is None
                and where.skill in ("", *profile.skills)
                and where.interest in ("", *profile.interests)
                and where.postcode_district.upper() in ("", outward_code(profile.postcode))
            ):
                district = outward_code(profile.postcode)
                found.append(
                    Candidate(leader_id, district, profile.skills, profile.interests, profile.availability, shared)
                )
        return found[:limit]

    def is_candidate(self, leader_id: str, network_ids: tuple[str, ...]) -> bool:
        return any(
            c.leader_id == leader_id for c in self.find(CandidateFilter(network_ids), "", len(self.leaders.rows))
        )


class FakeInvitations(InvitationRepository):
    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, Invitation] = {}

    def _get(self, invitation_id: str, lock: bool) -> Invitation | None:
        return _loaded(self.rows.get(invitation_id))

    def _pending(self, trust_ods: str, target_key: str) -> Invitation | None:
        found = [
            i for i in self.rows.values() if (i.trust_ods, i.target_key, i.status) == (trust_ods, target_key, SENT)
        ]
        return _loaded(found[0]) if found else None

    def _add(self, invitation: Invitation) -> None:
        if self._pending(invitation.trust_ods, invitation.target_key) is not None:
            raise ConcurrentChange()  # the partial unique index, as the table has it
        self.rows[invitation.invitation_id] = stored(invitation)

    def save(self, invitation: Invitation, expected_version: int) -> None:
        _check_version(self.rows, invitation.invitation_id, expected_version, "invitation")
        self.rows[invitation.invitation_id] = stored(invitation)

    def page(self, after: tuple[datetime, str] | None, limit: int) -> list[Invitation]:
        return [copy.deepcopy(i) for i in self.rows.values()][:limit]

    def erase_leader(self, leader_id: str) -> int:
        return self._delete(lambda i: leader_id in (i.leader_id, i.named_by_id))

    def forget_trust(self, trust_ods: str) -> int:
        return self._delete(lambda i: i.trust_ods == trust_ods)

    def _delete(self, which: Callable[[Invitation], bool]) -> int:
        gone = [k for k, i in self.rows.items() if which(i)]
        for key in gone:
            del self.rows[key]
        return len(gone)


class FakeOffboardExports(OffboardExports):
    def __init__(self) -> None:
        self.rows: dict[str, OffboardExport] = {}

    def get(self, trust_ods: str, *, lock: bool = False) -> OffboardExport | None:
        return copy.deepcopy(self.rows.get(trust_ods))

    def add(self, export: OffboardExport) -> bool:
        if export.trust_ods in self.rows:
            return False
        self.rows[export.trust_ods] = copy.deepcopy(export)
        return True

    def save(self, export: OffboardExport) -> None:
        self.rows[export.trust_ods] = copy.deepcopy(export)

    def discard_unconfirmed(self, trust_ods: str) -> bool:
        held = self.rows.get(trust_ods)
        if held is None or not held.awaiting_confirmation:
            return False
        del self.rows[trust_ods]
        return True


class FakeUnitOfWork(UnitOfWork):
    """Commits write the collected events, as CloudEvents, to ``outbox``; a rollback keeps what was
    saved (the fakes write at once): tests look at ``committed`` and the outbox for what took effect."""

    trusts: FakeTrustRepository
    leaders: FakeLeaders
    affiliations: FakeAffiliations
    checks: FakeChecks
    development: FakeDevelopment
    staff: FakeStaff
    audit: FakeAudit
    history: FakeHistory
    known: FakeKnownDetails
    email_changes: FakeEmailChanges
    taxonomy: FakeTaxonomy
    equality: FakeEquality
    idempotency: FakeIdempotency
    imports: FakeImports
    trust_holdings: FakeTrustHoldings
    offboard_exports: FakeOffboardExports
    networks: FakeNetworks
    network_candidates: FakeNetworkCandidates
    invitations: FakeInvitations

    def __init__(self, scope: TenantScope | None = None) -> None:
        self.scope = scope or TenantScope.platform_wide()
        self.trusts = FakeTrustRepository()
        self.leaders = FakeLeaders()
        self.affiliations = FakeAffiliations()
        self.checks = FakeChecks()
        self.development = FakeDevelopment()
        self.staff = FakeStaff()
        self.audit = FakeAudit()
        self.history = FakeHistory()
        self.known = FakeKnownDetails()
        self.email_changes = FakeEmailChanges()
        self.taxonomy = FakeTaxonomy()
        self.equality = FakeEquality(self.affiliations)
        self.idempotency = FakeIdempotency()
        self.imports = FakeImports(self.leaders, self.affiliations)
        self.trust_holdings = FakeTrustHoldings(self.affiliations, self.idempotency, self.imports)
        self.offboard_exports = FakeOffboardExports()
        self.networks = FakeNetworks()
        self.network_candidates = FakeNetworkCandidates(self.leaders)
        self.invitations = FakeInvitations()
        self.committed = 0
        self.outbox: list[CloudEvent] = []

    def __enter__(self) -> FakeUnitOfWork:
        for name in self.repositories:
            getattr(self, name).seen = []
        return self

    def commit(self) -> None:
        self.outbox.extend(to_cloudevent(e, self.correlation_id) for e in self.collect_new_events())
        self.committed += 1

    def rollback(self) -> None:
        pass
