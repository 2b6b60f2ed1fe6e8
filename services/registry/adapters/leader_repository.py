"""Leaders and affiliations: rows to domain objects and back, with optimistic concurrency on version."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import date, datetime
from typing import Any

import psycopg2.errors
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection

from services.common.db import PreparedQuery, taken_concurrently
from services.common.errors import PreconditionFailed
from services.common.platform_tables import outbox
from services.registry.adapters.bulk import (
    AFFILIATION_COLUMNS,
    LEADER_COLUMNS,
    affiliation_rows,
    leader_rows,
    write_rows,
)
from services.registry.adapters.tables import (
    affiliations,
    changes_on_behalf,
    consent_recorders,
    consent_records,
    known_details,
    leaders,
)
from services.registry.domain.affiliation import Affiliation
from services.registry.domain.authority import TRUSTS_MAY_NOT_ACT, ChangeOnBehalf
from services.registry.domain.consent import ConsentRecord, Purpose
from services.registry.domain.known_details import KNOWN_FIELDS, KnownDetails
from services.registry.domain.leader import EmailTaken, Leader
from services.registry.domain.profile import Availability, LeaderProfile, hidden_from_trust
from services.registry.service_layer.leaders import AUDITED_WHEN_NOTHING_SHOWN
from services.registry.service_layer.ports import AffiliationRepository, LeaderRepository

PROFILE_COLUMNS = ("given_name", "family_name", "email", "phone", "postcode")


def profile_to_row(profile: LeaderProfile) -> dict[str, Any]:
    extra = {k: v for k, v in asdict(profile).items() if k not in PROFILE_COLUMNS}
    extra = {k: list(v) if isinstance(v, tuple) else v for k, v in extra.items()}
    extra["availability"] = {k: list(v) if isinstance(v, tuple) else v for k, v in extra["availability"].items()}
    row = {name: getattr(profile, name) or None for name in PROFILE_COLUMNS}
    row["profile"] = extra
    return row


def profile_from_row(row: Any) -> LeaderProfile:
    extra = dict(row.profile or {})
    availability = extra.pop("availability", {}) or {}
    values: dict[str, Any] = {name: getattr(row, name) or "" for name in PROFILE_COLUMNS}
    values.update({k: tuple(v) if isinstance(v, list) else v for k, v in extra.items()})
    return LeaderProfile(
        **values,
        availability=Availability(
            hours_per_month=availability.get("hours_per_month", 0),
            days=tuple(availability.get("days", ())),
            modes=tuple(availability.get("modes", ())),
        ),
    )


def consent_from_row(row: Any) -> ConsentRecord:
    return ConsentRecord(
        purpose=Purpose(row.purpose),
        target=row.target,
        granted=row.granted,
        wording_version=row.wording_version,
        recorded_by_kind=row.recorded_by_kind,
        # no recorder row readable (another trust's staff recorded it): shown as the service layer does
        recorded_by=row.recorded_by or "",
        recorder_trust=row.recorder_trust,
        evidence=row.evidence or "",
        recorded_at=row.recorded_at,
    )


def insert_consents(connection: Connection, made: list[tuple[str, ConsentRecord]]) -> None:
    """Each (leader id, record): the record, then who recorded it and on what evidence, apart."""
    if not made:
        return
    ids = connection.execute(
        consent_records.insert().returning(consent_records.c.record_id, sort_by_parameter_order=True),
        [
            {
                "leader_id": leader_id,
                "purpose": c.purpose.value,
                "target": c.target,
                "granted": c.granted,
                "wording_version": c.wording_version,
                "recorded_by_kind": c.recorded_by_kind,
                "recorded_at": c.recorded_at,
            }
            for leader_id, c in made
        ],
    ).scalars()
    connection.execute(
        consent_recorders.insert(),
        [
            {
                "record_id": record_id,
                "leader_id": leader_id,
                "recorded_by": c.recorded_by,
                "recorder_trust": c.recorder_trust,
                "evidence": c.evidence,
            }
            for record_id, (leader_id, c) in zip(ids, made, strict=True)
        ],
    )


_RECORDER_COLUMNS = (consent_recorders.c.recorded_by, consent_recorders.c.recorder_trust, consent_recorders.c.evidence)
_WITH_RECORDERS = consent_records.outerjoin(
    consent_recorders, consent_recorders.c.record_id == consent_records.c.record_id
)


class _Prefixed:
    """A row's columns under a prefix, as attributes without it (for consent_from_row and the like)."""

    __slots__ = ("_row", "_prefix")

    def __init__(self, row: Any, prefix: str):
        self._row = row
        self._prefix = prefix

    def __getattr__(self, name: str) -> Any:
        return getattr(self._row, self._prefix + name)


_consent_columns = [c.label(f"c_{c.name}") for c in (*consent_records.c, *_RECORDER_COLUMNS)]
_affiliation_columns = [c.label(f"a_{c.name}") for c in affiliations.c]
_known_columns = [c.label(f"k_{c.name}") for c in known_details.c]
_LEADER_WITH_AFFILIATION = (
    sa.select(leaders, *_consent_columns, *_affiliation_columns, *_known_columns)
    .select_from(
        leaders.outerjoin(_WITH_RECORDERS, consent_records.c.leader_id == leaders.c.leader_id)
        .outerjoin(
            affiliations,
            sa.and_(
                affiliations.c.leader_id == leaders.c.leader_id,
                affiliations.c.trust_ods == sa.bindparam("trust_ods"),
            ),
        )
        .outerjoin(
            known_details,
            sa.and_(
                known_details.c.leader_id == leaders.c.leader_id,
                known_details.c.trust_ods == sa.bindparam("trust_ods"),
            ),
        )
    )
    .where(leaders.c.leader_id == sa.bindparam("leader_id"))
    .order_by(consent_records.c.record_id)
)
# the hot read (GetLeader as a trust): planning it, row security's policies of four tables included,
# cost more than running it, so each connection plans it once (docs/performance.md)
_PREPARED_LEADER_WITH_AFFILIATION = PreparedQuery("plr_leader_with_affiliation", _LEADER_WITH_AFFILIATION)


def _fields_shown_sql() -> str:
    """The audit row's fields of a trust's read, in SQL, from the same definitions as the view
    (``view_for``, ``LeaderView.fields_audited``): each profile field, in order, that is not empty
    and not hidden from the trust (``hidden_from_trust`` of its two consents), else the status."""
    blank = LeaderProfile()

    def filled(name: str) -> str:
        if name in PROFILE_COLUMNS:
            return f"coalesce(leaders.{name}, '') <> ''"
        if getattr(blank, name) == "":
            return f"coalesce(leaders.profile ->> '{name}', '') <> ''"
        if getattr(blank, name) == ():
            return f"jsonb_array_length(coalesce(leaders.profile -> '{name}', '[]')) > 0"
        return "true"  # never blank (availability)

    def hidden(name: str) -> str:
        combinations = [(contact, lived) for contact in (True, False) for lived in (True, False)]
        cases = " OR ".join(
            f"(consented.contact IS {contact} AND consented.lived_experience IS {lived})"
            for contact, lived in combinations
            if name in hidden_from_trust(contact, lived)
        )
        return f"NOT ({cases})" if cases else "true"

    names = ", ".join(
        f"CASE WHEN {filled(name)} AND {hidden(name)} THEN '{name}' END" for name in LeaderProfile.field_names()
    )
    nothing = ", ".join(f"'{name}'" for name in AUDITED_WHEN_NOTHING_SHOWN)
    return f"coalesce(nullif(array_remove(ARRAY[{names}]::text[], NULL), '{{}}'), ARRAY[{nothing}]::text[])"


def _audited_leader_read_sql() -> str:
    """One statement: the audit row of a trust's read of one leader (when the trust may see them:
    its affiliation active, the person neither withdrawn nor erased, as ``visible_leader``), inserted
    in a data-modifying CTE, and the rows of ``_LEADER_WITH_AFFILIATION`` with the fields it named.
    Row security applies to every table read and to the insert, in the statement's scope."""
    read = _PREPARED_LEADER_WITH_AFFILIATION.prepare_sql.removeprefix(
        f"PREPARE {_PREPARED_LEADER_WITH_AFFILIATION.name} AS "
    )
    trust, leader = "$1", "$2"  # as the read's own parameters are numbered (trust_ods, leader_id)
    assert read.count("$1") == 2 and read.count("$2::UUID") == 1, read
    may_not_act = ", ".join(f"'{status}'" for status in TRUSTS_MAY_NOT_ACT)
    latest = (
        f"SELECT DISTINCT ON (purpose, target) purpose, target, granted FROM consent_records "
        f"WHERE leader_id = {leader}::uuid ORDER BY purpose, target, record_id DESC"
    )
    consented = (
        f"SELECT coalesce(bool_or(granted) FILTER (WHERE purpose = '{Purpose.CONTACT_BY_TRUST.value}' "
        f"AND target = {trust}), false) AS contact, coalesce(bool_or(granted) FILTER (WHERE purpose = "
        f"'{Purpose.LIVED_EXPERIENCE_MATCHING.value}' AND target = ''), false) AS lived_experience FROM latest"
    )
    audited = (
        "INSERT INTO audit_log (principal_kind, principal, trust_ods, method, leader_id, fields) "
        f"SELECT $3, $4, {trust}, $5, leaders.leader_id, {_fields_shown_sql()} "
        f"FROM leaders JOIN affiliations ON affiliations.leader_id = leaders.leader_id "
        f"AND affiliations.trust_ods = {trust} AND affiliations.status = 'active', consented "
        f"WHERE leaders.leader_id = {leader}::uuid AND leaders.status NOT IN ({may_not_act}) "
        "AND leaders.erased_at IS NULL RETURNING fields"
    )
    with_audit = read.replace("SELECT ", "SELECT (SELECT fields FROM audited) AS audited_fields, ", 1)
    return f"WITH latest AS ({latest}), consented AS ({consented}), audited AS ({audited}) {with_audit}"


_AUDITED_LEADER_READ = PreparedQuery.of_sql(
    "plr_audited_leader_read",
    _audited_leader_read_sql(),
    ("trust_ods", "leader_id", "principal_kind", "principal", "method"),
    [sa.column("audited_fields", postgresql.ARRAY(sa.Text)), *_LEADER_WITH_AFFILIATION.selected_columns],
)


class SqlLeaderRepository(LeaderRepository):
    def __init__(self, connection: Connection):
        super().__init__()
        self.connection = connection
        self._stored_consents: dict[str, int] = {}

    def _from_row(self, row: Any, consents: list[ConsentRecord]) -> Leader:
        self._stored_consents[row.leader_id] = len(consents)
        return Leader(
            leader_id=row.leader_id,
            profile=profile_from_row(row),
            version=row.version,
            status=row.status,
            paused_until=row.paused_until,
            consents=consents,
            created_at=row.created_at,
            updated_at=row.updated_at,
            erased_at=row.erased_at,
            shared_version=row.shared_version,
            shared_updated_at=row.shared_updated_at,
        )

    def _consents(self, leader_ids: list[str]) -> dict[str, list[ConsentRecord]]:
        found: dict[str, list[ConsentRecord]] = {i: [] for i in leader_ids}
        if leader_ids:
            rows = self.connection.execute(
                sa.select(consent_records, *_RECORDER_COLUMNS)
                .select_from(_WITH_RECORDERS)
                .where(consent_records.c.leader_id.in_(leader_ids))
                .order_by(consent_records.c.record_id)
            )
            for row in rows:
                found[row.leader_id].append(consent_from_row(row))
        return found

    def get_with_affiliation(
        self, leader_id: str, trust_ods: str
    ) -> tuple[Leader | None, Affiliation | None, KnownDetails | None]:
        """The leader, their consents, the trust's affiliation with them and its own record of how it
        knows them, in one query (a read: the affiliation is not seen by the affiliation repository).
        Row-level security applies to each table of the join as it does to each in a query of its own."""
        rows = _PREPARED_LEADER_WITH_AFFILIATION.rows(self.connection, {"leader_id": leader_id, "trust_ods": trust_ods})
        return self.leader_from_joined_rows(rows)

    def get_with_affiliation_audited(
        self, leader_id: str, trust_ods: str, principal_kind: str, principal: str, method: str
    ) -> tuple[Leader | None, Affiliation | None, KnownDetails | None, tuple[str, ...] | None]:
        """``get_with_affiliation``, and in the same statement the audit row of the read when the trust
        may see the person (``_AUDITED_LEADER_READ``): the fields that row named, or None if it wrote
        none. Run in an audited read, the row is committed when this returns."""
        parameters = {
            "leader_id": leader_id,
            "trust_ods": trust_ods,
            "principal_kind": principal_kind,
            "principal": principal,
            "method": method,
        }
        rows = _AUDITED_LEADER_READ.rows(self.connection, parameters)
        leader, affiliation, known = self.leader_from_joined_rows(rows)
        audited = rows[0].audited_fields if rows else None
        return leader, affiliation, known, (tuple(audited) if audited is not None else None)

    def leader_from_joined_rows(
        self, rows: Sequence[Any]
    ) -> tuple[Leader | None, Affiliation | None, KnownDetails | None]:
        if not rows:
            return None, None, None
        first = rows[0]
        consents = [consent_from_row(_Prefixed(r, "c_")) for r in rows if r.c_record_id is not None]
        leader = self._from_row(first, consents)
        self.seen.append(leader)
        affiliation = affiliation_from_row(_Prefixed(first, "a_")) if first.a_affiliation_id is not None else None
        known = None
        if first.k_leader_id is not None:
            known = KnownDetails(
                trust_ods=first.k_trust_ods,
                leader_id=str(first.k_leader_id),
                updated_at=first.k_updated_at,
                **{name: getattr(first, f"k_{name}") for name in KNOWN_FIELDS},
            )
        return leader, affiliation, known

    def _get(self, leader_id: str, lock: bool) -> Leader | None:
        query = sa.select(leaders).where(leaders.c.leader_id == leader_id)
        if lock:
            query = query.with_for_update()
        row = self.connection.execute(query).first()
        if row is None:
            return None
        return self._from_row(row, self._consents([leader_id])[leader_id])

    def _add(self, leader: Leader) -> None:
        with taken_concurrently():
            self.connection.execute(
                leaders.insert().values(
                    leader_id=leader.leader_id,
                    version=leader.version,
                    status=leader.status,
                    paused_until=leader.paused_until,
                    email_key=leader.email_key or None,
                    created_at=leader.created_at,
                    updated_at=leader.updated_at,
                    shared_version=leader.shared_version,
                    shared_updated_at=leader.shared_updated_at,
                    **profile_to_row(leader.profile),
                )
            )
        self._stored_consents[leader.leader_id] = 0
        self._save_consents(leader)

    def _add_many(self, new: list[Leader]) -> None:
        write_rows(self.connection, leaders, LEADER_COLUMNS, leader_rows(new))
        insert_consents(self.connection, [(leader.leader_id, c) for leader in new for c in leader.consents])
        self._stored_consents.update((leader.leader_id, len(leader.consents)) for leader in new)

    def find_by_email_key(self, email_key: str) -> str | None:
        found = self.connection.execute(sa.select(leaders.c.leader_id).where(leaders.c.email_key == email_key)).first()
        return None if found is None else str(found.leader_id)

    def save(self, leader: Leader, expected_version: int) -> None:
        values = dict(
            version=leader.version,
            status=leader.status,
            paused_until=leader.paused_until,
            updated_at=leader.updated_at,
            erased_at=leader.erased_at,
            shared_version=leader.shared_version,
            shared_updated_at=leader.shared_updated_at,
            email_key=leader.email_key or None,
            **profile_to_row(leader.profile),
        )
        try:
            changed = self.connection.execute(
                leaders.update()
                .where(leaders.c.leader_id == leader.leader_id, leaders.c.version == expected_version)
                .values(**values)
            ).rowcount
        except sa.exc.IntegrityError as error:
            # the one unique key an update can collide on: the address, held by someone the scope
            # cannot see (only the person changes their own address)
            if isinstance(error.orig, psycopg2.errors.UniqueViolation):
                raise EmailTaken() from None
            raise
        if changed != 1:
            raise PreconditionFailed(f"leader {leader.leader_id} changed concurrently; re-read and try again")
        self._save_consents(leader)

    def _save_consents(self, leader: Leader) -> None:
        stored = self._stored_consents.get(leader.leader_id, 0)
        insert_consents(self.connection, [(leader.leader_id, c) for c in leader.consents[stored:]])
        self._stored_consents[leader.leader_id] = len(leader.consents)

    def remove_consent_evidence(self, leader_id: str) -> int:
        return int(
            self.connection.execute(
                consent_recorders.update()
                .where(consent_recorders.c.leader_id == leader_id, consent_recorders.c.evidence != "")
                .values(evidence="")
            ).rowcount
        )

    def record_change_on_behalf(self, change: ChangeOnBehalf) -> None:
        self.connection.execute(
            changes_on_behalf.insert().values(
                change_id=change.change_id,
                leader_id=change.leader_id,
                trust_ods=change.trust_ods,
                fields=list(change.fields),
                staff=change.on_behalf.staff,
                how_asked=change.on_behalf.how_asked,
                recorded_by=change.recorded_by,
                recorded_at=change.recorded_at,
            )
        )

    def forget_changes_on_behalf(self, leader_id: str) -> int:
        deleted = self.connection.execute(changes_on_behalf.delete().where(changes_on_behalf.c.leader_id == leader_id))
        return int(deleted.rowcount)

    def delete_published_events(self, leader_id: str) -> int:
        # the events about a leader are those of the leader aggregate (consent events included) and
        # of their affiliations: found through the outbox's (aggregate type, id, version) index, not
        # by scanning every payload; the outbox has no row-level security (platform infrastructure)
        ids = sa.select(sa.cast(affiliations.c.affiliation_id, sa.Text)).where(affiliations.c.leader_id == leader_id)
        return int(
            self.connection.execute(
                outbox.delete().where(
                    outbox.c.published_at.is_not(None),
                    sa.or_(
                        sa.and_(outbox.c.aggregate_type == "leader", outbox.c.aggregate_id == leader_id),
                        sa.and_(outbox.c.aggregate_type == "affiliation", outbox.c.aggregate_id.in_(ids)),
                    ),
                )
            ).rowcount
        )

    def paused_until_due(self, today: date, limit: int) -> list[str]:
        rows = self.connection.execute(
            sa.select(leaders.c.leader_id)
            .where(leaders.c.status == "paused", leaders.c.paused_until <= today)
            .order_by(leaders.c.paused_until, leaders.c.leader_id)
            .limit(limit)
        )
        return [str(r.leader_id) for r in rows]

    def list_visible(
        self, trust_ods: str, after: tuple[datetime, str] | None, updated_since: datetime | None, limit: int
    ) -> list[Leader]:
        # row-level security limits this to what the transaction's scope may see; ordered by when the
        # trust's view last changed (``Leader.as_seen_by_trust``), computed here as it is there
        own_consents = (
            sa.select(sa.func.max(consent_records.c.recorded_at))
            .where(consent_records.c.leader_id == leaders.c.leader_id, consent_records.c.target == trust_ods)
            .scalar_subquery()
        )
        seen_at = sa.func.greatest(leaders.c.shared_updated_at, own_consents)
        query = sa.select(leaders).where(leaders.c.erased_at.is_(None))
        if updated_since is not None:
            query = query.where(seen_at >= updated_since)
        if after is not None:
            query = query.where(
                sa.tuple_(seen_at, leaders.c.leader_id)
                > sa.tuple_(sa.literal(after[0]), sa.cast(sa.literal(after[1]), leaders.c.leader_id.type))
            )
        rows = self.connection.execute(query.order_by(seen_at, leaders.c.leader_id).limit(limit)).all()
        consents = self._consents([r.leader_id for r in rows])
        found = [self._from_row(r, consents[r.leader_id]) for r in rows]
        self.seen.extend(found)
        return found


def affiliation_from_row(row: Any) -> Affiliation:
    return Affiliation(
        affiliation_id=row.affiliation_id,
        leader_id=row.leader_id,
        trust_ods=row.trust_ods,
        status=row.status,
        version=row.version,
        created_at=row.created_at,
        confirmed_at=row.confirmed_at,
        ended_at=row.ended_at,
        end_reason=row.end_reason,
        updated_at=row.updated_at,
        paused_at=row.paused_at,
        paused_until=row.paused_until,
        ended_by_change=row.ended_by_change,
    )


class SqlAffiliationRepository(AffiliationRepository):
    def __init__(self, connection: Connection):
        super().__init__()
        self.connection = connection

    def _get(self, affiliation_id: str) -> Affiliation | None:
        row = self.connection.execute(
            sa.select(affiliations).where(affiliations.c.affiliation_id == affiliation_id)
        ).first()
        return None if row is None else affiliation_from_row(row)

    def _for_trust(self, trust_ods: str, leader_id: str) -> Affiliation | None:
        row = self.connection.execute(
            sa.select(affiliations).where(affiliations.c.trust_ods == trust_ods, affiliations.c.leader_id == leader_id)
        ).first()
        return None if row is None else affiliation_from_row(row)

    def _add(self, affiliation: Affiliation) -> None:
        with taken_concurrently():
            self.connection.execute(
                affiliations.insert().values(
                    affiliation_id=affiliation.affiliation_id,
                    leader_id=affiliation.leader_id,
                    trust_ods=affiliation.trust_ods,
                    status=affiliation.status,
                    version=affiliation.version,
                    created_at=affiliation.created_at,
                    confirmed_at=affiliation.confirmed_at,
                    ended_at=affiliation.ended_at,
                    end_reason=affiliation.end_reason,
                    updated_at=affiliation.updated_at,
                )
            )

    def _add_many(self, new: list[Affiliation]) -> None:
        write_rows(self.connection, affiliations, AFFILIATION_COLUMNS, affiliation_rows(new))

    def save(self, affiliation: Affiliation, expected_version: int) -> None:
        changed = self.connection.execute(
            affiliations.update()
            .where(
                affiliations.c.affiliation_id == affiliation.affiliation_id,
                affiliations.c.version == expected_version,
            )
            .values(
                status=affiliation.status,
                version=affiliation.version,
                confirmed_at=affiliation.confirmed_at,
                ended_at=affiliation.ended_at,
                end_reason=affiliation.end_reason,
                updated_at=affiliation.updated_at,
                paused_at=affiliation.paused_at,
                paused_until=affiliation.paused_until,
                ended_by_change=affiliation.ended_by_change,
            )
        ).rowcount
        if changed != 1:
            raise PreconditionFailed(f"affiliation {affiliation.affiliation_id} changed concurrently; try again")

    def page(
        self,
        after: tuple[datetime, str] | None,
        updated_since: datetime | None,
        limit: int,
        leader_id: str | None = None,
    ) -> list[Affiliation]:
        query = sa.select(affiliations)
        if leader_id is not None:
            query = query.where(affiliations.c.leader_id == leader_id)
        if updated_since is not None:
            query = query.where(affiliations.c.updated_at >= updated_since)
        if after is not None:
            query = query.where(
                sa.tuple_(affiliations.c.updated_at, affiliations.c.affiliation_id)
                > sa.tuple_(sa.literal(after[0]), sa.cast(sa.literal(after[1]), affiliations.c.affiliation_id.type))
            )
        rows = self.connection.execute(
            query.order_by(affiliations.c.updated_at, affiliations.c.affiliation_id).limit(limit)
        )
        return [affiliation_from_row(r) for r in rows]

    def paused_until_due(self, today: date, limit: int) -> list[str]:
        rows = self.connection.execute(
            sa.select(affiliations.c.affiliation_id)
            .where(affiliations.c.paused_at.is_not(None), affiliations.c.paused_until <= today)
            .order_by(affiliations.c.paused_until, affiliations.c.affiliation_id)
            .limit(limit)
        )
        return [str(r.affiliation_id) for r in rows]

    def of_leader(self, leader_id: str) -> list[Affiliation]:
        rows = self.connection.execute(sa.select(affiliations).where(affiliations.c.leader_id == leader_id))
        return [affiliation_from_row(r) for r in rows]
