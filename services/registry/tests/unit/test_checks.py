"""Checks, the placement question and the expiry scan, without a database (a fake clock)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from services.common.errors import InvalidInput, PreconditionFailed
from services.common.events import default_registry
from services.registry.adapters.event_mapping import to_cloudevent
from services.registry.domain.checks import (
    Check,
    CheckAcceptor,
    CheckType,
    DbsLevel,
    HeldCheck,
    Requirement,
    Threshold,
    placement_blockers,
)
from services.registry.domain.consent import ConsentRecord, Purpose
from services.registry.domain.leader import Leader
from services.registry.domain.profile import LeaderProfile
from services.registry.service_layer.checks import scan_check_expiry
from services.registry.tests.unit.fakes import FakeChecks, FakeUnitOfWork

NOW = datetime(2026, 11, 26, 10, tzinfo=UTC)
TODAY = NOW.date()
LEADER_ID = "8c1f4f7e-3a52-4d2b-9b61-2f0e6f4f1a10"
CANARY_DBS = "DBS-CANARY-Zanzibar-001122334455"


def dbs(
    check_id: str = "3b9d2c10-6e1a-4f7b-8a2d-5c4e3f2a1b00", expires: date | None = date(2029, 11, 1), **kw: object
) -> Check:
    values: dict[str, object] = dict(
        check_id=check_id,
        leader_id=LEADER_ID,
        trust_ods="RXX",
        check_type=CheckType.DBS,
        dbs_level="enhanced",
        evidence="certificate seen by the volunteer lead",
        dbs_details=CANARY_DBS,
        verified_by="plrk_x/jo",
        issued_on=date(2026, 11, 1),
        expires_on=expires,
        now=NOW,
    )
    values.update(kw)
    return Check.verify(**values)  # type: ignore[arg-type]


class FakeClock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, days: int) -> None:
        self.now += timedelta(days=days)


# --- recording ----------------------------------------------------------------------------------


def test_a_verified_check_emits_a_thin_event_without_evidence_or_dbs_content() -> None:
    check = dbs()
    [event] = check.pending_events
    cloud = to_cloudevent(event)
    default_registry().validate(cloud.to_dict())
    assert cloud.type == "plr.registry.check.verified.v1" and cloud.trust_ods == "RXX"
    assert cloud.data["dbs_level"] == "enhanced" and cloud.data["expires_on"] == "2029-11-01"
    assert CANARY_DBS not in cloud.to_json().decode() and "certificate seen" not in cloud.to_json().decode()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"dbs_level": ""}, "dbs_level"),
        ({"dbs_level": "extreme"}, "dbs_level"),
        ({"check_type": CheckType.IDENTITY, "dbs_details": ""}, "dbs_level"),
        ({"check_type": CheckType.IDENTITY, "dbs_level": ""}, "dbs_details"),
        ({"evidence": "  "}, "evidence"),
        ({"evidence": "x" * 501}, "evidence"),
        ({"dbs_details": "\x00"}, "dbs_details"),
        ({"issued_on": TODAY + timedelta(days=1)}, "issued_on"),
        ({"expires": date(2026, 10, 1)}, "expires_on"),
    ],
)
def test_bad_checks_are_refused_naming_the_field(changes: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        dbs(**changes)  # type: ignore[arg-type]
    assert field in refused.value.fields


def test_every_bad_field_of_a_check_is_named_at_once() -> None:
    with pytest.raises(InvalidInput) as refused:
        dbs(dbs_level="", evidence="", issued_on=TODAY + timedelta(days=1), expires=TODAY)
    assert set(refused.value.fields) == {"dbs_level", "evidence", "issued_on", "expires_on"}
    assert refused.value.fields["dbs_level"].startswith("is required for a dbs check")


def test_a_check_expires_on_its_expiry_date() -> None:
    check = dbs(expires=date(2027, 1, 10))
    assert check.valid_on(date(2027, 1, 9)) and not check.valid_on(date(2027, 1, 10))
    assert not check.valid_on(date(2026, 10, 31))  # before it was issued


def test_accepting_records_who_when_and_on_whose_verification() -> None:
    check = dbs()
    check.pending_events.clear()
    accepted = check.accept("7d2e1f00-1a2b-4c3d-8e4f-5a6b7c8d9e00", "RYY", "plrk_y/sam", NOW)
    assert (accepted.verifying_trust, accepted.accepting_trust, accepted.accepted_by) == ("RXX", "RYY", "plrk_y/sam")
    [event] = check.pending_events
    cloud = to_cloudevent(event)
    default_registry().validate(cloud.to_dict())
    assert cloud.type == "plr.registry.check.accepted.v1" and cloud.trust_ods == "RYY"
    assert cloud.aggregate_version == 2


def test_a_trust_cannot_accept_its_own_check_or_an_expired_one() -> None:
    with pytest.raises(PreconditionFailed):
        dbs().accept("a", "RXX", "x", NOW)
    with pytest.raises(PreconditionFailed):
        dbs(expires=date(2026, 11, 20), issued_on=date(2026, 1, 1)).accept("a", "RYY", "x", NOW)


# --- the placement question ---------------------------------------------------------------------


def held(kind: CheckType, level: DbsLevel | None = None, expires: date | None = None) -> HeldCheck:
    return HeldCheck(kind, level, date(2026, 1, 1), expires)


def test_placement_is_allowed_when_every_requirement_is_met() -> None:
    checks = [held(CheckType.DBS, DbsLevel.ENHANCED), held(CheckType.IDENTITY)]
    requirements = [Requirement(CheckType.DBS, DbsLevel.STANDARD), Requirement(CheckType.IDENTITY)]
    assert placement_blockers(requirements, checks, TODAY) == []


def test_placement_gives_one_reason_per_unmet_requirement() -> None:
    checks = [held(CheckType.DBS, DbsLevel.BASIC), held(CheckType.REFERENCES, expires=date(2026, 11, 26))]
    requirements = [
        Requirement(CheckType.DBS, DbsLevel.ENHANCED),
        Requirement(CheckType.REFERENCES),
        Requirement(CheckType.OCCUPATIONAL_HEALTH),
    ]
    problems = {(b.check_type, b.problem) for b in placement_blockers(requirements, checks, TODAY)}
    assert problems == {
        (CheckType.DBS, "insufficient_level"),
        (CheckType.REFERENCES, "expired"),
        (CheckType.OCCUPATIONAL_HEALTH, "missing"),
    }


# --- the expiry scan ------------------------------------------------------------------------------


def scan_world(*checks: Check) -> tuple[FakeChecks, FakeUnitOfWork]:
    uow = FakeUnitOfWork()
    for check in checks:
        check.pending_events.clear()
        uow.checks.rows[check.check_id] = check
    return uow.checks, uow


def emitted(uow: FakeUnitOfWork) -> list[tuple[str, str]]:
    return [(e.type.split(".")[3], e.aggregate_id) for e in uow.outbox]


def test_the_scan_emits_each_threshold_once() -> None:
    clock = FakeClock(NOW)
    check = dbs("00000000-0000-4000-8000-000000000001", expires=TODAY + timedelta(days=40))
    repository, uow = scan_world(check)
    assert scan_check_expiry(lambda: uow, clock) == 0
    clock.advance(10)  # 30 days ahead
    assert scan_check_expiry(lambda: uow, clock) == 1
    clock.advance(1)
    assert scan_check_expiry(lambda: uow, clock) == 0  # not again
    clock.advance(29)  # the day it expires
    assert scan_check_expiry(lambda: uow, clock) == 1
    clock.advance(5)
    assert scan_check_expiry(lambda: uow, clock) == 0
    assert emitted(uow) == [("expiring", check.check_id), ("expired", check.check_id)]
    for event in uow.outbox:
        default_registry().validate(event.to_dict())
    assert [e.aggregate_version for e in uow.outbox] == [2, 3]
    assert repository.rows[check.check_id].expired_noticed_at == clock.now - timedelta(days=5)


def test_a_notice_goes_to_the_verifier_and_to_each_acceptor_as_its_own_valid_event() -> None:
    check = dbs(expires=TODAY + timedelta(days=10))
    check.pending_events.clear()
    check.notice(Threshold.EXPIRING, NOW, [CheckAcceptor("RYY", "00000000-0000-4000-8000-0000000000aa")])
    events = [to_cloudevent(e) for e in check.pending_events]
    assert [(e.trust_ods, e.aggregate_version) for e in events] == [("RXX", 2), ("RYY", 3)]
    assert "acceptance_id" not in events[0].data
    assert (events[1].data["ods"], events[1].data["verifying_ods"]) == ("RYY", "RXX")
    for event in events:
        default_registry().validate(event.to_dict())


def test_after_downtime_an_expired_check_is_reported_once_without_a_late_expiring() -> None:
    clock = FakeClock(NOW)
    lapsed = dbs("00000000-0000-4000-8000-000000000002", expires=TODAY + timedelta(days=50))
    soon = dbs("00000000-0000-4000-8000-000000000003", expires=TODAY + timedelta(days=100))
    _, uow = scan_world(lapsed, soon)
    clock.advance(80)  # the system was down for 80 days
    assert scan_check_expiry(lambda: uow, clock) == 2
    assert sorted(emitted(uow)) == sorted([("expired", lapsed.check_id), ("expiring", soon.check_id)])
    assert scan_check_expiry(lambda: uow, clock) == 0


def test_the_scan_works_through_more_than_one_batch() -> None:
    clock = FakeClock(NOW)
    many = [dbs(f"00000000-0000-4000-8000-{i:012d}", expires=TODAY) for i in range(7)]
    _, uow = scan_world(*many)
    assert scan_check_expiry(lambda: uow, clock, batch=3) == 7
    assert {kind for kind, _ in emitted(uow)} == {"expired"}
    assert uow.committed == 3


def test_a_check_without_expiry_is_never_noticed() -> None:
    assert dbs(expires=None).due_threshold(date(2099, 1, 1)) is None
    assert dbs(expires=TODAY).due_threshold(TODAY) is Threshold.EXPIRED


# --- the sharing consent ---------------------------------------------------------------------------


def test_sharing_and_unsharing_the_record_are_leader_events() -> None:
    leader = Leader.register(LEADER_ID, LeaderProfile(given_name="A", family_name="B", email="a@b.org"), NOW)
    leader.pending_events.clear()
    for granted in (True, False):
        leader.record_consent(
            ConsentRecord(Purpose.SHARE_RECORD_WITH_TRUST, "RYY", granted, "1", "leader", "leader", None, "", NOW)
        )
    types = [to_cloudevent(e) for e in leader.pending_events]
    for event in types:
        default_registry().validate(event.to_dict())
    assert [(e.type, e.aggregate_version, e.trust_ods) for e in types] == [
        ("plr.registry.consent.granted.v1", 2, "RYY"),
        ("plr.registry.record.shared.v1", 3, "RYY"),
        ("plr.registry.consent.withdrawn.v1", 4, "RYY"),
        ("plr.registry.record.unshared.v1", 5, "RYY"),
    ]


def test_the_worker_runs_extra_timers_and_survives_their_failure() -> None:
    from services.common.worker import build_worker_service
    from services.registry.manifest import CHECK_SCAN_INTERVAL_S, MANIFEST

    calls: list[str] = []

    def failing() -> None:
        calls.append("ran")
        raise RuntimeError("database away")

    worker = build_worker_service("registry_worker", {}, None, 1.0, timers={"scan_check_expiry": (60.0, failing)})
    worker().scan_check_expiry()  # logged, not raised: the next tick tries again
    assert calls == ["ran"] and hasattr(worker, "relay_outbox")
    timers = {timer.name: timer.interval_s for timer in MANIFEST.timers}
    assert timers == {"scan_check_expiry": CHECK_SCAN_INTERVAL_S, "resume_due_leaders": CHECK_SCAN_INTERVAL_S}
