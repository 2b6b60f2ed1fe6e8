"""Use cases of equality monitoring: the leader gives their answers, and a trust reads the aggregate.

Equality answers are read in two places only: the aggregate report (which returns no leader id) and
the leader's own export. They never reach an event, a log line, a trust's read or a trust's export.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.common.errors import NotFound
from services.common.principals import Principal
from services.registry.domain import commands
from services.registry.domain.equality import Characteristic, report, validate_answers
from services.registry.service_layer.leaders import Clock, utc_now
from services.registry.service_layer.unit_of_work import UnitOfWork


def submit_equality_monitoring(
    cmd: commands.SubmitEqualityMonitoring, uow: UnitOfWork, principal: Principal, clock: Clock = utc_now
) -> None:
    """The leader gives (or replaces) their answers; giving none takes back any given before.
    Runs in the leader's own scope: the table admits only the leader and the platform."""
    kept = validate_answers(cmd.answers)  # a bad answer is named, whoever asks
    leader_id = principal.require_leader()
    with uow:
        leader = uow.leaders.get(leader_id)
        if leader is None or leader.erased_at is not None:
            raise NotFound(f"no leader {leader_id}")
        if kept:
            uow.equality.submit(leader_id, kept, clock())
        else:
            uow.equality.erase(leader_id)
        uow.note_change(leader_id, "equality_monitoring")
        uow.commit()


@dataclass(frozen=True)
class EqualityReport:
    trust_ods: str
    characteristics: tuple[Characteristic, ...]
    generated_at: datetime


def equality_report(
    cmd: commands.GetEqualityReport, uow: UnitOfWork, principal: Principal, clock: Clock = utc_now
) -> EqualityReport:
    """The aggregate of the answers of the leaders actively affiliated with the caller's trust, with
    statistical disclosure control. Runs in the platform scope (no trust can read an answer), and
    the query returns answers without leader ids."""
    trust = principal.require_trust()
    with uow:
        answer_sets = uow.equality.for_trust_report(trust)
    return EqualityReport(trust, report(answer_sets), clock())
