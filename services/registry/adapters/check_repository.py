"""Checks and the acceptances of checks: the abstract repository (the use cases' view) and SQL."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from services.common.errors import PreconditionFailed
from services.registry.adapters.tables import affiliations, check_acceptances, checks, leaders
from services.registry.domain.checks import (
    EXPIRING_NOTICE_DAYS,
    AcceptedCheck,
    Check,
    CheckAcceptor,
    CheckType,
    DbsLevel,
)
from services.registry.service_layer.ports import CheckRepository


def check_from_row(row: Any) -> Check:
    return Check(
        check_id=row.check_id,
        leader_id=row.leader_id,
        trust_ods=row.trust_ods,
        check_type=CheckType(row.check_type),
        dbs_level=DbsLevel(row.dbs_level) if row.dbs_level else None,
        evidence=row.evidence,
        dbs_details=row.dbs_details,
        verified_by=row.verified_by,
        verified_at=row.verified_at,
        issued_on=row.issued_on,
        expires_on=row.expires_on,
        version=row.version,
        expiring_noticed_at=row.expiring_noticed_at,
        expired_noticed_at=row.expired_noticed_at,
    )


def acceptance_from_row(row: Any) -> AcceptedCheck:
    return AcceptedCheck(
        acceptance_id=row.acceptance_id,
        check_id=row.check_id,
        leader_id=row.leader_id,
        check_type=CheckType(row.check_type),
        dbs_level=DbsLevel(row.dbs_level) if row.dbs_level else None,
        verifying_trust=row.verifying_trust,
        verified_at=row.verified_at,
        issued_on=row.issued_on,
        expires_on=row.expires_on,
        accepting_trust=row.trust_ods,
        accepted_by=row.accepted_by,
        accepted_at=row.accepted_at,
    )


class SqlCheckRepository(CheckRepository):
    def __init__(self, connection: Connection):
        super().__init__()
        self.connection = connection

    def _get(self, check_id: str, lock: bool) -> Check | None:
        query = sa.select(checks).where(checks.c.check_id == check_id)
        row = self.connection.execute(query.with_for_update() if lock else query).first()
        return None if row is None else check_from_row(row)

    def _add(self, check: Check) -> None:
        self.connection.execute(
            checks.insert().values(
                check_id=check.check_id,
                leader_id=check.leader_id,
                trust_ods=check.trust_ods,
                check_type=check.check_type.value,
                dbs_level=check.dbs_level.value if check.dbs_level else None,
                evidence=check.evidence,
                dbs_details=check.dbs_details,
                verified_by=check.verified_by,
                verified_at=check.verified_at,
                issued_on=check.issued_on,
                expires_on=check.expires_on,
                version=check.version,
            )
        )

    def save(self, check: Check, expected_version: int) -> None:
        changed = self.connection.execute(
            checks.update()
            .where(checks.c.check_id == check.check_id, checks.c.version == expected_version)
            .values(
                version=check.version,
                expiring_noticed_at=check.expiring_noticed_at,
                expired_noticed_at=check.expired_noticed_at,
            )
        ).rowcount
        if changed != 1:
            raise PreconditionFailed(f"check {check.check_id} changed concurrently; try again")

    def _notices_due(self, today: date, limit: int) -> list[Check]:
        horizon = today + timedelta(days=EXPIRING_NOTICE_DAYS)
        query = (
            sa.select(checks)
            .join(leaders, leaders.c.leader_id == checks.c.leader_id)
            .where(
                leaders.c.erased_at.is_(None),
                checks.c.expires_on.is_not(None),
                checks.c.expired_noticed_at.is_(None),
                sa.or_(
                    checks.c.expires_on <= today,
                    sa.and_(checks.c.expiring_noticed_at.is_(None), checks.c.expires_on <= horizon),
                ),
            )
            .order_by(checks.c.expires_on, checks.c.check_id)
            .limit(limit)
            .with_for_update(of=checks, skip_locked=True)
        )
        return [check_from_row(row) for row in self.connection.execute(query)]

    def of_leader(self, leader_id: str, verifying_trust: str | None) -> list[Check]:
        query = sa.select(checks).where(checks.c.leader_id == leader_id)
        if verifying_trust is not None:
            query = query.where(checks.c.trust_ods == verifying_trust)
        rows = self.connection.execute(query.order_by(checks.c.verified_at, checks.c.check_id))
        return [check_from_row(row) for row in rows]

    def add_acceptance(self, accepted: AcceptedCheck) -> None:
        self.connection.execute(
            check_acceptances.insert().values(
                acceptance_id=accepted.acceptance_id,
                check_id=accepted.check_id,
                leader_id=accepted.leader_id,
                trust_ods=accepted.accepting_trust,
                check_type=accepted.check_type.value,
                dbs_level=accepted.dbs_level.value if accepted.dbs_level else None,
                verifying_trust=accepted.verifying_trust,
                verified_at=accepted.verified_at,
                issued_on=accepted.issued_on,
                expires_on=accepted.expires_on,
                accepted_by=accepted.accepted_by,
                accepted_at=accepted.accepted_at,
            )
        )

    def acceptances(self, leader_id: str, accepting_trust: str) -> list[AcceptedCheck]:
        rows = self.connection.execute(
            sa.select(check_acceptances)
            .where(check_acceptances.c.leader_id == leader_id, check_acceptances.c.trust_ods == accepting_trust)
            .order_by(check_acceptances.c.accepted_at)
        )
        return [acceptance_from_row(row) for row in rows]

    def acceptances_of_leader(self, leader_id: str) -> list[AcceptedCheck]:
        rows = self.connection.execute(
            sa.select(check_acceptances)
            .where(check_acceptances.c.leader_id == leader_id)
            .order_by(check_acceptances.c.accepted_at, check_acceptances.c.acceptance_id)
        )
        return [acceptance_from_row(row) for row in rows]

    def erase_leader(self, leader_id: str) -> int:
        """Erasure: the evidence and the DBS content (criminal offence data) go at once; the fact that
        a check of a type was verified, by whom and for which dates stays as the trusts' record."""
        return self.connection.execute(
            checks.update()
            .where(checks.c.leader_id == leader_id, sa.or_(checks.c.evidence != "", checks.c.dbs_details != ""))
            .values(evidence="", dbs_details="")
        ).rowcount

    def acceptors(self, check_id: str) -> list[CheckAcceptor]:
        rows = self.connection.execute(
            sa.select(check_acceptances.c.trust_ods, check_acceptances.c.acceptance_id)
            .join(
                affiliations,
                sa.and_(
                    affiliations.c.leader_id == check_acceptances.c.leader_id,
                    affiliations.c.trust_ods == check_acceptances.c.trust_ods,
                ),
            )
            # a paused relationship still holds the person; a pending or ended one does not
            .where(check_acceptances.c.check_id == check_id, affiliations.c.status.not_in(("pending", "ended")))
            .order_by(check_acceptances.c.trust_ods, check_acceptances.c.acceptance_id)
        )
        return [CheckAcceptor(row.trust_ods, row.acceptance_id) for row in rows]

    def forget_trust(self, trust_ods: str) -> int:
        self.connection.execute(check_acceptances.delete().where(check_acceptances.c.trust_ods == trust_ods))
        return self.connection.execute(checks.delete().where(checks.c.trust_ods == trust_ods)).rowcount
