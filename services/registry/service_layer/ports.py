"""The ports of the registry: every repository and store its use cases may open through the unit of
work, as abstract classes. They import no SQLAlchemy, so the service layer and the domain load without
it (``tests/unit/test_layers.py`` checks); the SQL implementations are in ``adapters/`` (``Sql...``,
one module per table group) and the in-memory fakes in ``tests/unit/fakes.py``.

A repository of aggregates that record events (leaders, affiliations, checks, enrolments, support
assignments) keeps in ``seen`` what it loaded or added, for the unit of work to collect.
"""

from __future__ import annotations

import abc
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol, TypeVar

from services.common import idempotency
from services.common.mail import OutgoingMail
from services.registry.domain.affiliation import Affiliation
from services.registry.domain.authority import ChangeOnBehalf
from services.registry.domain.checks import AcceptedCheck, Check, CheckAcceptor
from services.registry.domain.development import (
    CheckIn,
    DevelopmentPlan,
    Enrolment,
    Programme,
    SupportAssignment,
)
from services.registry.domain.email_change import EmailChange
from services.registry.domain.history import Actor, Change, ChangeEntry
from services.registry.domain.invitation import Invitation
from services.registry.domain.known_details import KnownDetails
from services.registry.domain.leader import Leader
from services.registry.domain.network import Network
from services.registry.domain.offboarding import OffboardExport
from services.registry.domain.profile import Availability
from services.registry.domain.staff import StaffMember
from services.registry.domain.taxonomy import Term, TermEntry
from services.registry.domain.trust import Trust

_Seen = TypeVar("_Seen", Enrolment, SupportAssignment)


class TrustRepository(abc.ABC):
    def __init__(self) -> None:
        self.seen: list[Trust] = []

    def get(self, ods: str) -> Trust | None:
        trust = self._get(ods)
        if trust is not None:
            self.seen.append(trust)
        return trust

    def add(self, trust: Trust) -> bool:
        """Add a new trust; False if one with that code exists already (nothing changes)."""
        added = self._add(trust)
        if added:
            self.seen.append(trust)
        return added

    @abc.abstractmethod
    def _get(self, ods: str) -> Trust | None: ...

    @abc.abstractmethod
    def _add(self, trust: Trust) -> bool: ...

    @abc.abstractmethod
    def save(self, trust: Trust, expected_version: int) -> None: ...

    @abc.abstractmethod
    def list(self, after_ods: str, limit: int, updated_since: datetime | None = None) -> list[Trust]: ...


class LeaderRepository(abc.ABC):
    def __init__(self) -> None:
        self.seen: list[Leader] = []

    def get(self, leader_id: str, *, lock: bool = False) -> Leader | None:
        leader = self._get(leader_id, lock)
        if leader is not None:
            self.seen.append(leader)
        return leader

    def add(self, leader: Leader) -> None:
        self._add(leader)
        self.seen.append(leader)

    def add_many(self, new: list[Leader]) -> None:
        """New leaders (and their consents) in bulk: set-based, for an import."""
        self._add_many(new)
        self.seen.extend(new)

    @abc.abstractmethod
    def _get(self, leader_id: str, lock: bool) -> Leader | None: ...

    @abc.abstractmethod
    def _add(self, leader: Leader) -> None: ...

    @abc.abstractmethod
    def _add_many(self, new: list[Leader]) -> None: ...

    @abc.abstractmethod
    def find_by_email_key(self, email_key: str) -> str | None: ...

    @abc.abstractmethod
    def save(self, leader: Leader, expected_version: int) -> None: ...

    @abc.abstractmethod
    def paused_until_due(self, today: date, limit: int) -> list[str]:
        """Ids of paused leaders whose return date has come (a platform-scoped read)."""

    @abc.abstractmethod
    def list_visible(
        self, trust_ods: str, after: tuple[datetime, str] | None, updated_since: datetime | None, limit: int
    ) -> list[Leader]:
        """The leaders a trust sees, in the order its view of each last changed (``as_seen_by_trust``)."""

    # erasure: what the registry holds about a leader beyond the leader's own row

    @abc.abstractmethod
    def remove_consent_evidence(self, leader_id: str) -> int:
        """Keeps each consent record minimal: the evidence text goes, the rest stays (retention)."""

    @abc.abstractmethod
    def record_change_on_behalf(self, change: ChangeOnBehalf) -> None:
        """Keeps the evidence of an assisted-digital change (readable by the recording trust and the leader)."""

    @abc.abstractmethod
    def forget_changes_on_behalf(self, leader_id: str) -> int:
        """Erasure: the evidence of changes made on the leader's behalf (free text about them) goes."""

    @abc.abstractmethod
    def delete_published_events(self, leader_id: str) -> int:
        """Deletes the outbox rows already published about the leader (theirs and their
        affiliations'); unpublished ones stay, so that every consumer still hears of what happened
        (erasure included)."""


class AffiliationRepository(abc.ABC):
    def __init__(self) -> None:
        self.seen: list[Affiliation] = []

    def get(self, affiliation_id: str) -> Affiliation | None:
        found = self._get(affiliation_id)
        if found is not None:
            self.seen.append(found)
        return found

    def for_trust(self, trust_ods: str, leader_id: str) -> Affiliation | None:
        found = self._for_trust(trust_ods, leader_id)
        if found is not None:
            self.seen.append(found)
        return found

    def add(self, affiliation: Affiliation) -> None:
        self._add(affiliation)
        self.seen.append(affiliation)

    def add_many(self, new: list[Affiliation]) -> None:
        """New affiliations in bulk: set-based, for an import."""
        self._add_many(new)
        self.seen.extend(new)

    @abc.abstractmethod
    def _add_many(self, new: list[Affiliation]) -> None: ...

    @abc.abstractmethod
    def _get(self, affiliation_id: str) -> Affiliation | None: ...

    @abc.abstractmethod
    def _for_trust(self, trust_ods: str, leader_id: str) -> Affiliation | None: ...

    @abc.abstractmethod
    def _add(self, affiliation: Affiliation) -> None: ...

    @abc.abstractmethod
    def save(self, affiliation: Affiliation, expected_version: int) -> None: ...

    @abc.abstractmethod
    def page(
        self,
        after: tuple[datetime, str] | None,
        updated_since: datetime | None,
        limit: int,
        leader_id: str | None = None,
    ) -> list[Affiliation]: ...

    @abc.abstractmethod
    def of_leader(self, leader_id: str) -> list[Affiliation]: ...

    @abc.abstractmethod
    def paused_until_due(self, today: date, limit: int) -> list[str]:
        """Ids of affiliations whose trust's pause has reached its return date (a platform-scoped read)."""


class CheckRepository(abc.ABC):
    def __init__(self) -> None:
        self.seen: list[Check] = []

    def get(self, check_id: str, *, lock: bool = False) -> Check | None:
        check = self._get(check_id, lock)
        if check is not None:
            self.seen.append(check)
        return check

    def add(self, check: Check) -> None:
        self._add(check)
        self.seen.append(check)

    def notices_due(self, today: date, limit: int) -> list[Check]:
        """Checks owed an expiry notice today, locked for this transaction (others skip them); never
        a check of an erased person (after erasure no event names them)."""
        due = self._notices_due(today, limit)
        self.seen.extend(due)
        return due

    @abc.abstractmethod
    def _get(self, check_id: str, lock: bool) -> Check | None: ...

    @abc.abstractmethod
    def _add(self, check: Check) -> None: ...

    @abc.abstractmethod
    def _notices_due(self, today: date, limit: int) -> list[Check]: ...

    @abc.abstractmethod
    def save(self, check: Check, expected_version: int) -> None: ...

    @abc.abstractmethod
    def of_leader(self, leader_id: str, verifying_trust: str | None) -> list[Check]:
        """A leader's checks, verified by one trust or (None) by any."""

    @abc.abstractmethod
    def add_acceptance(self, accepted: AcceptedCheck) -> None: ...

    @abc.abstractmethod
    def acceptances(self, leader_id: str, accepting_trust: str) -> list[AcceptedCheck]: ...

    @abc.abstractmethod
    def acceptances_of_leader(self, leader_id: str) -> list[AcceptedCheck]:
        """Every trust's acceptances of the leader's checks (the leader's and the administrator's export)."""

    @abc.abstractmethod
    def erase_leader(self, leader_id: str) -> int:
        """Blanks the evidence and DBS details of the leader's checks; returns how many were changed."""

    @abc.abstractmethod
    def acceptors(self, check_id: str) -> list[CheckAcceptor]:
        """The trusts that accepted the check and still hold the person (an active affiliation)."""

    @abc.abstractmethod
    def forget_trust(self, trust_ods: str) -> int:
        """Offboarding: deletes the checks the trust verified and its acceptances of others' checks
        (run in the platform scope, after the trust's export); returns how many checks went."""


class DevelopmentRepository(abc.ABC):
    """Every read runs in the unit of work's scope: row-level security limits it to the caller's trust
    (or the leader's own rows)."""

    def __init__(self) -> None:
        self.seen: list[Enrolment | SupportAssignment] = []

    def _saw(self, found: _Seen | None) -> _Seen | None:
        if found is not None:
            self.seen.append(found)
        return found

    def enrolment(self, enrolment_id: str, *, lock: bool = False) -> Enrolment | None:
        return self._saw(self._get_enrolment(enrolment_id, lock))

    def enrolment_in(self, programme_id: str, leader_id: str) -> Enrolment | None:
        return self._saw(self._get_enrolment_in(programme_id, leader_id))

    def add_enrolment(self, enrolment: Enrolment) -> None:
        self._add_enrolment(enrolment)
        self.seen.append(enrolment)

    def assignment(self, trust_ods: str, leader_id: str, *, lock: bool = False) -> SupportAssignment | None:
        return self._saw(self._get_assignment(trust_ods, leader_id, lock))

    def save_assignment(self, assignment: SupportAssignment, expected_version: int) -> None:
        """Expected version 0 adds the assignment."""
        self._save_assignment(assignment, expected_version)
        if expected_version == 0:
            self.seen.append(assignment)

    @abc.abstractmethod
    def _get_enrolment(self, enrolment_id: str, lock: bool) -> Enrolment | None: ...

    @abc.abstractmethod
    def _get_enrolment_in(self, programme_id: str, leader_id: str) -> Enrolment | None: ...

    @abc.abstractmethod
    def _add_enrolment(self, enrolment: Enrolment) -> None: ...

    @abc.abstractmethod
    def _get_assignment(self, trust_ods: str, leader_id: str, lock: bool) -> SupportAssignment | None: ...

    @abc.abstractmethod
    def _save_assignment(self, assignment: SupportAssignment, expected_version: int) -> None: ...

    @abc.abstractmethod
    def add_programme(self, programme: Programme) -> None: ...

    @abc.abstractmethod
    def programme(self, programme_id: str, *, lock: bool = False) -> Programme | None: ...

    @abc.abstractmethod
    def programmes_by_id(self, ids: set[str]) -> dict[str, Programme]: ...

    @abc.abstractmethod
    def save_programme(self, programme: Programme, expected_version: int, now: datetime) -> None: ...

    @abc.abstractmethod
    def list_programmes(self, offset: int, limit: int) -> list[Programme]: ...

    @abc.abstractmethod
    def enrolments_of(self, leader_id: str) -> list[Enrolment]: ...

    @abc.abstractmethod
    def save_enrolment(self, enrolment: Enrolment, expected_version: int, now: datetime) -> None: ...

    @abc.abstractmethod
    def assignments_of(self, leader_id: str) -> list[SupportAssignment]: ...

    @abc.abstractmethod
    def add_check_in(self, check_in: CheckIn) -> None: ...

    @abc.abstractmethod
    def check_ins_of(self, leader_id: str) -> list[CheckIn]: ...

    @abc.abstractmethod
    def plan(self, leader_id: str, trust_ods: str, *, lock: bool = False) -> DevelopmentPlan:
        """The plan, or an empty one (version 0) if none was ever written."""

    @abc.abstractmethod
    def plans_of(self, leader_id: str) -> list[DevelopmentPlan]:
        """The leader's plans that were ever written, by trust (the scope decides which trusts')."""

    @abc.abstractmethod
    def save_plan(self, plan: DevelopmentPlan, expected_version: int) -> None: ...

    @abc.abstractmethod
    def erase_leader(self, leader_id: str) -> None:
        """Everything held here about a leader (check-in notes included) goes; run in the platform scope."""

    @abc.abstractmethod
    def forget_trust(self, trust_ods: str) -> int:
        """Offboarding: every row the trust owns (programmes, enrolments, assignments, check-ins, plans)
        goes (run in the platform scope, after the trust's export); returns how many rows went."""


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    principal_kind: str
    principal: str
    trust_ods: str | None
    method: str
    leader_id: str
    fields: tuple[str, ...]


class AuditLog(abc.ABC):
    """Append-only: who read which fields of which leader, never the values."""

    @abc.abstractmethod
    def record(
        self,
        principal_kind: str,
        principal: str,
        trust_ods: str | None,
        method: str,
        reads: Mapping[str, tuple[str, ...]],
    ) -> None: ...

    @abc.abstractmethod
    def list(
        self, leader_id: str, trust_ods: str | None, after_id: int, updated_since: datetime | None, limit: int
    ) -> list[tuple[int, AuditEntry]]:
        """(entry id, entry) of the leader's entries, of one trust's principals or (None) of all."""


class KnownDetailsStore(abc.ABC):
    """Each trust's own record of how it knows a person (row security: the trust's own, the person's)."""

    @abc.abstractmethod
    def get(self, trust_ods: str, leader_id: str) -> KnownDetails | None: ...

    @abc.abstractmethod
    def of_trust(self, trust_ods: str, leader_ids: list[str]) -> dict[str, KnownDetails]: ...

    @abc.abstractmethod
    def of_leader(self, leader_id: str) -> list[KnownDetails]:
        """Every trust's record of the person that the scope may read."""

    def put(self, details: KnownDetails) -> None:
        self.put_many([details])

    @abc.abstractmethod
    def put_many(self, many: list[KnownDetails]) -> None: ...

    @abc.abstractmethod
    def erase(self, leader_id: str) -> None: ...

    @abc.abstractmethod
    def forget_trust(self, trust_ods: str) -> None:
        """Offboarding: the trust's records go (after its export holds them)."""


class ChangeHistory(abc.ABC):
    """Append-only: who changed which fields of which person (or of a trust's own things), why, and on
    what evidence; never the values. Erasure may only blank an entry's reason and evidence."""

    @abc.abstractmethod
    def record(self, actor: Actor, changes: list[Change]) -> None: ...

    @abc.abstractmethod
    def list(
        self, leader_id: str | None, trust_ods: str | None, after_id: int, updated_since: datetime | None, limit: int
    ) -> list[ChangeEntry]:
        """The entries about a person (``leader_id``; None: every entry the scope may read), of one
        trust's writes (``trust_ods``) or (None) of everyone's, oldest first after ``after_id``."""

    @abc.abstractmethod
    def blank_personal(self, leader_id: str) -> int:
        """Erasure: the reason and evidence of every entry about the person become empty."""


class Taxonomy(abc.ABC):
    """The terms; keeps in ``seen`` each term it added or retired in this unit of work, for their events."""

    def __init__(self) -> None:
        self.seen: list[TermEntry] = []

    @abc.abstractmethod
    def exists(self, kind: str, code: str) -> bool:
        """Whether the scope sees the term (the platform scope sees every trust's)."""

    @abc.abstractmethod
    def usable_by(self, trust_ods: str) -> set[tuple[str, str]]:
        """(kind, code) of the terms a trust may use, whatever the scope: the global ones and its own."""

    @abc.abstractmethod
    def list(self, kind: str | None) -> list[Term]: ...

    def add(self, term: Term) -> bool:
        """False if the term was there already (nothing added, nothing announced)."""
        term_id = self._insert(term)
        if term_id is not None:
            self.seen.append(TermEntry.added(term_id, term))
        return term_id is not None

    def remove_trust_terms(self, trust_ods: str) -> int:
        """Retires (removes) every term of the trust's own, each announced."""
        removed = self._delete_trust_terms(trust_ods)
        self.seen.extend(TermEntry.retired(term_id, term) for term_id, term in removed)
        return len(removed)

    @abc.abstractmethod
    def _insert(self, term: Term) -> str | None:
        """The new term's id; None if it was there already."""

    @abc.abstractmethod
    def _delete_trust_terms(self, trust_ods: str) -> Sequence[tuple[str, Term]]: ...


class EqualityStore(abc.ABC):
    @abc.abstractmethod
    def submit(self, leader_id: str, answers: Mapping[str, str], now: datetime) -> None: ...

    @abc.abstractmethod
    def answers_of(self, leader_id: str) -> dict[str, str] | None: ...

    @abc.abstractmethod
    def for_trust_report(self, trust_ods: str) -> list[dict[str, str]]:
        """The answers of leaders actively affiliated with the trust: only the aggregate report calls this,
        in the platform scope, and it returns no leader ids."""

    @abc.abstractmethod
    def erase(self, leader_id: str) -> None: ...


class IdempotencyKeys(idempotency.IdempotencyKeys):
    """The stored first results of creates (services/common/idempotency.py), and their erasure."""

    @abc.abstractmethod
    def forget_consent_answers(self, leader_id: str, staff_evidence: Iterable[tuple[str, str]]) -> int:
        """Erasure: deletes the stored answers of RecordConsent about the leader (they repeat the
        evidence text). The leader's own calls carry their id; a trust's carry no leader id, so they
        are found by the trust and the evidence text its staff gave."""


class LeaderImportStore(abc.ABC):
    @abc.abstractmethod
    def fingerprints_seen(self, trust_ods: str, fingerprints: list[str]) -> dict[str, str | None]:
        """The fingerprints the trust imported before, each with the leader its row imported (None for
        one stored before fingerprints named their leader)."""

    @abc.abstractmethod
    def leaders_by_email(self, email_keys: list[str]) -> dict[str, str]:
        """email key to leader id, of the people already registered (by any trust)."""

    @abc.abstractmethod
    def affiliations_of(self, trust_ods: str, leader_ids: list[str]) -> dict[str, Affiliation]:
        """The trust's affiliations with these leaders, by leader id (read only: a change is saved
        through the affiliation repository)."""

    @abc.abstractmethod
    def add_fingerprints(self, trust_ods: str, fingerprints: list[tuple[str, str]], now: datetime) -> None:
        """Stores (fingerprint, leader id) of the rows imported: the leader id lets erasure forget them."""

    @abc.abstractmethod
    def forget_leader(self, leader_id: str) -> int:
        """Erasure: deletes the fingerprints of the rows that imported the leader (hashes of their
        name, email and lived experience); returns how many there were."""


class TrustHoldings(abc.ABC):
    @abc.abstractmethod
    def affiliation_ids(self, trust_ods: str) -> list[str]:
        """Every affiliation of the trust, any status, oldest first."""

    @abc.abstractmethod
    def forget_idempotency_keys(self, trust_ods: str) -> int:
        """Delete the trust's stored create results (and its imports' row fingerprints: hashes of its
        register's rows); returns how many create results there were."""


class NetworkRepository(abc.ABC):
    """Networks are reference data every scope reads (no personal data); only the platform writes them."""

    def __init__(self) -> None:
        self.seen: list[Network] = []

    def get(self, network_id: str, *, lock: bool = False) -> Network | None:
        network = self._get(network_id, lock)
        if network is not None:
            self.seen.append(network)
        return network

    def add(self, network: Network) -> bool:
        """False if a network with that id exists already (nothing changes)."""
        added = self._add(network)
        if added:
            self.seen.append(network)
        return added

    @abc.abstractmethod
    def _get(self, network_id: str, lock: bool) -> Network | None: ...

    @abc.abstractmethod
    def _add(self, network: Network) -> bool: ...

    @abc.abstractmethod
    def save(self, network: Network, expected_version: int) -> None: ...

    @abc.abstractmethod
    def list(self, trust_ods: str | None = None) -> list[Network]:
        """Every network by id, or (with ``trust_ods``) those the trust belongs to."""


@dataclass(frozen=True)
class Candidate:
    """A person a network's trust may find: never a name or a contact detail."""

    leader_id: str
    postcode_district: str
    skills: tuple[str, ...]
    interests: tuple[str, ...]
    availability: Availability
    network_ids: tuple[str, ...]


@dataclass(frozen=True)
class CandidateFilter:
    network_ids: tuple[str, ...]
    skill: str = ""
    interest: str = ""
    postcode_district: str = ""


class NetworkCandidates(abc.ABC):
    """A platform-scoped read: the trust cannot see (so could not find) a person it does not hold."""

    @abc.abstractmethod
    def find(self, where: CandidateFilter, after_leader_id: str, limit: int) -> list[Candidate]:
        """Active, unerased people whose current consent shares their profile with one of the networks
        (their latest record for it a grant), matching the filter, by leader id after ``after_leader_id``."""

    @abc.abstractmethod
    def is_candidate(self, leader_id: str, network_ids: tuple[str, ...]) -> bool: ...


class InvitationRepository(abc.ABC):
    def __init__(self) -> None:
        self.seen: list[Invitation] = []

    def get(self, invitation_id: str, *, lock: bool = False) -> Invitation | None:
        found = self._get(invitation_id, lock)
        if found is not None:
            self.seen.append(found)
        return found

    def pending(self, trust_ods: str, target_key: str) -> Invitation | None:
        found = self._pending(trust_ods, target_key)
        if found is not None:
            self.seen.append(found)
        return found

    def add(self, invitation: Invitation) -> None:
        self._add(invitation)
        self.seen.append(invitation)

    @abc.abstractmethod
    def _get(self, invitation_id: str, lock: bool) -> Invitation | None: ...

    @abc.abstractmethod
    def _pending(self, trust_ods: str, target_key: str) -> Invitation | None: ...

    @abc.abstractmethod
    def _add(self, invitation: Invitation) -> None: ...

    @abc.abstractmethod
    def save(self, invitation: Invitation, expected_version: int) -> None: ...

    @abc.abstractmethod
    def page(self, after: tuple[datetime, str] | None, limit: int) -> list[Invitation]:
        """The scope's invitations (a trust's own, or a leader's own), by (created_at, id)."""

    @abc.abstractmethod
    def erase_leader(self, leader_id: str) -> int:
        """Erasure: the invitations that reached or named the person go."""

    @abc.abstractmethod
    def forget_trust(self, trust_ods: str) -> int:
        """Offboarding: the trust's invitations go (none can be accepted any more)."""


@dataclass(frozen=True)
class Recipient:
    email: str
    given_name: str


class Recipients(abc.ABC):
    """What the notifier reads (platform-wide: whoever the event concerns)."""

    @abc.abstractmethod
    def invited(self, invitation_id: str, version: int) -> str | None:
        """The leader a pending invitation reached, as of that version of it; None if it reached no one
        then, or has changed since (answered, or sent again to the person it reached later)."""

    @abc.abstractmethod
    def leader(self, leader_id: str) -> Recipient | None:
        """The person's address and given name; None if they have none, or were erased. A withdrawn
        person is still told (a withdrawal staff recorded for them is theirs to reverse)."""

    @abc.abstractmethod
    def trust_name(self, ods: str) -> str: ...

    @abc.abstractmethod
    def pending_affiliation(self, affiliation_id: str, version: int) -> str | None:
        """The leader a trust's affiliation asks to confirm it, while it is pending as of that version
        of it; None once it was confirmed, declined, ended or asked again since."""

    @abc.abstractmethod
    def email_change(self, change_id: str) -> EmailChange | None:
        """A change of address still waiting for confirmation and not yet out of date; None otherwise."""


class MailLedger(abc.ABC):
    """What the notifier keeps apart from the batch of events it is applying: each write is committed
    at once, so that a batch rolled back and retried after a failure never sends a message twice."""

    @abc.abstractmethod
    def was_sent(self, event_id: str, recipient: str) -> bool: ...

    @abc.abstractmethod
    def mark_sent(self, event_id: str, recipient: str) -> None: ...

    @abc.abstractmethod
    def keep_link(self, change_id: str, token_sha256: str) -> None:
        """The digest of the link just made for an email change (its token is in the message only); a
        link made before for it no longer works."""


class EmailChanges(abc.ABC):
    """Changes of the person's email address waiting for confirmation (``domain/email_change.py``)."""

    @abc.abstractmethod
    def add(self, change: EmailChange) -> None: ...

    @abc.abstractmethod
    def by_token(self, token_sha256: str) -> EmailChange | None: ...

    @abc.abstractmethod
    def discard(self, leader_id: str) -> int:
        """Every change waiting for the person: one confirmed (its link works once), or the person erased."""


class Mailer(Protocol):
    """Sends one message (services/common/mail.py's SmtpMailer); raises if it cannot."""

    def send(self, mail: OutgoingMail) -> None: ...


class StaffRepository(abc.ABC):
    """A trust's staff (``domain/staff.py``): what the scope lets the caller see."""

    def __init__(self) -> None:
        self.seen: list[StaffMember] = []

    def get(self, staff_id: str, *, lock: bool = False) -> StaffMember | None:
        member = self._get(staff_id, lock)
        if member is not None:
            self.seen.append(member)
        return member

    def add(self, member: StaffMember) -> None:
        self._add(member)
        self.seen.append(member)

    @abc.abstractmethod
    def _get(self, staff_id: str, lock: bool) -> StaffMember | None: ...

    @abc.abstractmethod
    def _add(self, member: StaffMember) -> None: ...

    @abc.abstractmethod
    def save(self, member: StaffMember, expected_version: int) -> None: ...

    @abc.abstractmethod
    def of_trust(self, trust_ods: str) -> list[StaffMember]:
        """Active ones first, by name; then those who left."""


class OffboardExports(abc.ABC):
    """The exports of offboardings, held until confirmed (platform scope only)."""

    @abc.abstractmethod
    def get(self, trust_ods: str, *, lock: bool = False) -> OffboardExport | None: ...

    @abc.abstractmethod
    def add(self, export: OffboardExport) -> bool:
        """False if the trust has one already (taken at the same moment by another call): nothing changes."""

    @abc.abstractmethod
    def save(self, export: OffboardExport) -> None: ...

    @abc.abstractmethod
    def discard_unconfirmed(self, trust_ods: str) -> bool:
        """Deletes the trust's export if it awaits confirmation (its offboarding is cancelled)."""
