"""Bulk import of a trust's existing register: one batch of rows per call, one transaction per batch.

Each row follows the rules of ``leaders.register_leader``: one person per email (a known person is
neither duplicated nor changed), and the trust gets a PENDING affiliation that the leader confirms or
declines. An imported register is the trust's claim that it works with these people, not the people's
own word, so it does not make them active: the leader confirms, as with any registration. The domain
objects make the events (leader.registered, leader.affiliated, and for lived experience given with
consent evidence consent.granted and leader.updated), which the unit of work writes to the outbox in
the batch's transaction, as for any other change. Only the storage is set-based (the repositories'
``add_many`` and the ``imports`` store: one statement per table per batch), for speed.

A trust's key imports its own register (the call names no other trust); the administrator may run an
import acting for the trust named in the call: the one place where the trust is not the caller's own
(documented in imports.proto). Every row gets a result: its number, the trust's own reference if the
row gave one, and, unless the row was refused, the affiliation (and so the person's id) it stands for.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

from services.common.errors import InvalidInput, NotFound, PermissionDenied, PreconditionFailed
from services.common.principals import Principal
from services.common.tenancy import ODS_CODE, ODS_CODE_RULE
from services.registry.domain import commands
from services.registry.domain.affiliation import Affiliation
from services.registry.domain.consent import ConsentRecord, Purpose
from services.registry.domain.known_details import KnownDetails
from services.registry.domain.leader import Leader
from services.registry.domain.leader_import import (
    MAX_ROWS_PER_BATCH,
    REFERENCE_COLUMN,
    ImportedRow,
    RowProblem,
    parse_row,
    reference_of,
    without_byte_order_mark,
)
from services.registry.domain.profile import LeaderProfile
from services.registry.service_layer.leaders import Clock, IdFactory, new_id, utc_now
from services.registry.service_layer.unit_of_work import UnitOfWork

IMPORTED, UNCHANGED, ENDED, REFUSED = "imported", "unchanged", "ended", "refused"
ENDED_PROBLEM = (
    "the affiliation with this person ended on {ended_on}: importing the same row again does not ask them "
    "again (they may have withdrawn); to ask again, register them (LeaderService.RegisterLeader): the "
    "affiliation turns pending until they confirm"
)


@dataclass(frozen=True)
class RowResult:
    """What became of one row: ``imported`` (it gave the trust an affiliation), ``unchanged`` (imported
    before, or the person is already affiliated with the trust), ``ended`` (imported before, and the
    affiliation has ended since: the row asks nothing again, see the problems) or ``refused`` (see the
    problems)."""

    row_number: int
    reference: str
    outcome: str
    affiliation_id: str = ""
    leader_id: str = ""


@dataclass
class ImportOutcome:
    imported: int = 0
    unchanged: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    results: list[RowResult] = field(default_factory=list)
    # the fresh rows' outcomes by fingerprint, as _affiliate decides them (a row seen before is unchanged)
    row_outcomes: dict[str, str] = field(default_factory=dict)


def import_leaders(
    cmd: commands.ImportLeaders,
    uow: UnitOfWork,
    principal: Principal,
    clock: Clock = utc_now,
    ids: IdFactory = new_id,
) -> ImportOutcome:
    """Imports one batch of (row number, cells) for the trust; bad rows are reported, not imported."""
    cmd = replace(cmd, rows=tuple((number, without_byte_order_mark(cells)) for number, cells in cmd.rows))
    _check_batch(cmd)
    trust_ods = _importing_trust(cmd, principal)
    now = clock()
    outcome = ImportOutcome()
    with uow:
        _require_active_trust(uow, trust_ods)
        known_terms = uow.taxonomy.usable_by(trust_ods)
        valid = _valid_rows(list(cmd.rows), lambda kind, code: (kind, code) in known_terms, outcome)
        seen = uow.imports.fingerprints_seen(trust_ods, [r.fingerprint for r in valid])
        fresh = [r for r in valid if r.fingerprint not in seen]
        outcome.unchanged += len(valid) - len(fresh)
        new_leaders, new_affiliations, imported = _affiliate(uow, principal, trust_ods, fresh, outcome, now, ids)
        uow.leaders.add_many(new_leaders)
        uow.affiliations.add_many(new_affiliations)
        uow.imports.add_fingerprints(trust_ods, imported, now)
        # each row is the trust's own record of how it knows the person, whoever else holds them
        uow.known.put_many(
            [KnownDetails.recorded(trust_ods, i, r.profile, now) for r, (_, i) in zip(fresh, imported, strict=True)]
        )
        outcome.results = _results(uow, trust_ods, list(cmd.rows), valid, imported, new_affiliations, seen, outcome)
        uow.commit()
    references = {number: reference_of(cells) for number, cells in cmd.rows}
    outcome.problems = [replace(p, reference=references.get(p.row_number, "")) for p in outcome.problems]
    return outcome


def _importing_trust(cmd: commands.ImportLeaders, principal: Principal) -> str:
    """A trust imports for itself (naming itself, or no trust); the administrator for the trust named."""
    if principal.kind == "trust":
        own = principal.require_trust()
        if cmd.trust_ods not in ("", own):
            raise PermissionDenied("a trust's key imports its own register only: leave trust_ods empty")
        return own
    principal.require_administrator()
    if not cmd.trust_ods:
        raise InvalidInput({"trust_ods": "is required: the trust the administrator imports for"})
    return cmd.trust_ods


def _results(
    uow: UnitOfWork,
    trust_ods: str,
    batch: list[tuple[int, Mapping[str, str]]],
    valid: list[ImportedRow],
    imported: list[tuple[str, str]],
    added: list[Affiliation],
    seen: Mapping[str, str | None],
    outcome: ImportOutcome,
) -> list[RowResult]:
    """One result per row of the batch, in its order: the affiliation each valid row stands for (the
    ones this batch added as added, the others read back in the batch's transaction: a reopened one
    as it now stands), or ``refused``."""
    leader_of = _leaders_of(uow, valid, imported, seen)
    held: dict[str, Affiliation] = {a.leader_id: a for a in added}
    held.update(uow.imports.affiliations_of(trust_ods, sorted({i for i in leader_of.values() if i and i not in held})))
    rows = {r.row_number: r for r in valid}
    results = []
    for number, cells in batch:
        good = rows.get(number)
        if good is None:
            results.append(RowResult(number, reference_of(cells), REFUSED))
            continue
        leader_id = leader_of[good.fingerprint]
        affiliation = held.get(leader_id)
        became = _ended(number, affiliation, outcome.row_outcomes.get(good.fingerprint, UNCHANGED), outcome)
        results.append(
            RowResult(
                number,
                good.reference,
                became,
                affiliation.affiliation_id if affiliation else "",
                leader_id if affiliation else "",
            )
        )
    return results


def _leaders_of(
    uow: UnitOfWork, valid: list[ImportedRow], imported: list[tuple[str, str]], seen: Mapping[str, str | None]
) -> dict[str, str]:
    """Each valid row's person (by fingerprint): imported now, recorded with the row's fingerprint, or
    else found by email; "" for none."""
    leader_of = {fingerprint: leader_id for fingerprint, leader_id in imported}
    unknown = [r.email_key for r in valid if r.fingerprint not in leader_of and not seen.get(r.fingerprint)]
    by_email = uow.imports.leaders_by_email(unknown)
    for row in valid:
        leader_of.setdefault(row.fingerprint, seen.get(row.fingerprint) or by_email.get(row.email_key, ""))
    return leader_of


def _ended(number: int, affiliation: Affiliation | None, became: str, outcome: ImportOutcome) -> str:
    """A row imported before whose affiliation has ended since is ``ended``, not ``unchanged``: it asks
    nothing again, and a problem says why."""
    if became != UNCHANGED or affiliation is None or affiliation.status != "ended":
        return became
    outcome.unchanged -= 1
    ended_on = affiliation.ended_at.date().isoformat() if affiliation.ended_at else "an earlier date"
    outcome.problems.append(RowProblem(number, "email", ENDED_PROBLEM.format(ended_on=ended_on)))
    return ENDED


def _check_batch(cmd: commands.ImportLeaders) -> None:
    if cmd.trust_ods and not ODS_CODE.fullmatch(cmd.trust_ods):
        raise InvalidInput({"trust_ods": ODS_CODE_RULE})
    if len(cmd.rows) > MAX_ROWS_PER_BATCH:
        raise InvalidInput({"rows": f"at most {MAX_ROWS_PER_BATCH} rows per call"})
    if any(number < 1 for number, _ in cmd.rows):
        raise InvalidInput({"rows": "row_number must be 1 or more (the header is row 1)"})
    if len({number for number, _ in cmd.rows}) != len(cmd.rows):
        raise InvalidInput(
            {"rows": "row_number must be different for every row of a batch (each row's result names it)"}
        )


def _require_active_trust(uow: UnitOfWork, trust_ods: str) -> None:
    trust = uow.trusts.get(trust_ods)
    if trust is None:
        raise NotFound(f"no trust {trust_ods}")
    if trust.status != "active":
        raise PreconditionFailed(f"trust {trust_ods} is {trust.status}: nothing can be imported for it")


def _affiliate(
    uow: UnitOfWork,
    principal: Principal,
    trust_ods: str,
    fresh: list[ImportedRow],
    outcome: ImportOutcome,
    now: datetime,
    ids: IdFactory,
) -> tuple[list[Leader], list[Affiliation], list[tuple[str, str]]]:
    """The new leaders and new affiliations of the fresh rows, to add in bulk, and each row's
    (fingerprint, leader id), so erasing the person also forgets the row; an ended affiliation
    reopens (saved at once: it was loaded, so its event goes out on commit)."""
    people = uow.imports.leaders_by_email([r.email_key for r in fresh])
    existing = uow.imports.affiliations_of(trust_ods, sorted(set(people.values())))
    new_leaders: list[Leader] = []
    new_affiliations: list[Affiliation] = []
    imported: list[tuple[str, str]] = []
    for row in fresh:
        leader_id = people.get(row.email_key)
        if leader_id is None:
            leader = _register(row, trust_ods, principal, now, ids)
            new_leaders.append(leader)
            leader_id = leader.leader_id
        imported.append((row.fingerprint, leader_id))
        affiliation = existing.get(leader_id)
        if affiliation is None:
            new_affiliations.append(Affiliation.request(ids(), leader_id, trust_ods, now))
        elif affiliation.status == "ended":
            _reopen(uow, affiliation.affiliation_id, now)
        became = UNCHANGED if affiliation is not None and affiliation.status != "ended" else IMPORTED
        outcome.row_outcomes[row.fingerprint] = became
        outcome.imported += became == IMPORTED
        outcome.unchanged += became == UNCHANGED
    return new_leaders, new_affiliations, imported


def _reopen(uow: UnitOfWork, affiliation_id: str, now: datetime) -> None:
    affiliation = uow.affiliations.get(affiliation_id)  # seen: its event goes out
    assert affiliation is not None
    expected = affiliation.version
    affiliation.reopen(now)
    uow.affiliations.save(affiliation, expected)


def _valid_rows(
    batch: list[tuple[int, Mapping[str, str]]], term_exists: Callable[[str, str], bool], outcome: ImportOutcome
) -> list[ImportedRow]:
    valid: list[ImportedRow] = []
    first_row_of: dict[str, int] = {}
    first_row_referenced: dict[str, int] = {}
    for number, cells in batch:
        parsed = parse_row(number, cells, term_exists)
        if isinstance(parsed, list):
            outcome.problems.extend(parsed)
            continue
        earlier = first_row_of.setdefault(parsed.email_key, number)
        if earlier != number:
            # two rows for one person in a batch: which of them holds the truth is for the trust to say
            outcome.problems.append(RowProblem(number, "email", f"is the same person as row {earlier}"))
            continue
        referenced = first_row_referenced.setdefault(parsed.reference, number) if parsed.reference else number
        if referenced != number:
            # the trust's own id names one person: two rows with it could not both be matched back
            outcome.problems.append(RowProblem(number, REFERENCE_COLUMN, f"is the reference of row {referenced} too"))
            continue
        valid.append(parsed)
    return valid


def _register(row: ImportedRow, trust_ods: str, principal: Principal, now: datetime, ids: IdFactory) -> Leader:
    leader = Leader.register(ids(), row.profile, now)
    if row.lived_experience:
        # held only with the leader's consent: recorded first, with the evidence the trust holds of it
        leader.record_consent(
            ConsentRecord(
                Purpose.LIVED_EXPERIENCE_MATCHING,
                "",
                True,
                row.consent_wording_version,
                "staff",
                f"{principal.audit_name} (import for {trust_ods})",
                trust_ods,
                row.consent_evidence,
                now,
            )
        )
        leader.update(LeaderProfile(lived_experience=row.lived_experience), ("lived_experience",), leader.version, now)
    return leader
