"""Support and development through the gRPC API, on real PostgreSQL."""

from __future__ import annotations

import logging

import grpc
import pytest
import sqlalchemy as sa
from plr.registry.v1 import checks_pb2 as cpb
from plr.registry.v1 import checks_pb2_grpc
from plr.registry.v1 import development_pb2 as dpb

from services.common.db import scoped_transaction
from services.common.grpc_client import bearer
from services.common.platform_tables import outbox
from services.common.tenancy import TenantScope
from services.registry.adapters.development_repository import SqlDevelopmentRepository
from services.registry.adapters.tables import audit_log
from services.registry.domain.development import CompletedTraining
from services.registry.domain.development import completed_training as completions
from services.registry.tests.integration.conftest import RegistryClient
from services.registry.tests.integration.development_support import Trusts, claiming, development
from tests.support.infra import PlrStack

pytestmark = pytest.mark.integration
NOTE = "Canary-Marmalade-7731 felt unheard at the board"


def completed_training(connection: sa.Connection, leader_id: str) -> list[CompletedTraining]:
    """The leader's completed training as the connection's scope sees it (the portable record's read)."""
    store = SqlDevelopmentRepository(connection)
    enrolments = store.enrolments_of(leader_id)
    return completions(enrolments, store.programmes_by_id({e.programme_id for e in enrolments}))


@pytest.fixture(scope="module")
def trusts(registry: RegistryClient) -> Trusts:
    return Trusts(registry, "RDA", "RDB", NOTE)


def refused(call, *args, **kwargs) -> grpc.StatusCode:  # type: ignore[no-untyped-def]
    with pytest.raises(grpc.RpcError) as error:
        call(*args, **kwargs)
    return error.value.code()


def support(registry: RegistryClient, metadata: tuple[tuple[str, str], ...], leader_id: str) -> dpb.Support:
    return development(registry).GetSupport(dpb.GetSupportRequest(leader_id=leader_id), metadata=metadata, timeout=10)


def test_completing_every_module_completes_the_programme_and_emits_training_completed(
    registry: RegistryClient, trusts: Trusts, stack: PlrStack
) -> None:
    api = development(registry)
    first, second = trusts.programme.modules
    for module, on in ((first, "2026-10-01"), (second, "2026-11-03"), (second, "2026-11-04")):
        enrolment = api.CompleteTraining(
            dpb.CompleteTrainingRequest(
                enrolment_id=trusts.enrolment.enrolment_id, module_id=module.module_id, completed_on=on
            ),
            metadata=bearer(trusts.a_key),
            timeout=10,
        )
    assert enrolment.completed_on == "2026-11-03" and len(enrolment.completed_modules) == 2
    again = api.EnrolLeader(
        dpb.EnrolLeaderRequest(leader_id=trusts.leader_id, programme_id=trusts.programme.programme_id),
        metadata=bearer(trusts.a_key),
        timeout=10,
    )
    assert again.enrolment_id == trusts.enrolment.enrolment_id
    mine = api.ListEnrolments(
        dpb.ListEnrolmentsRequest(leader_id=trusts.leader_id), metadata=registry.as_leader(trusts.leader_id), timeout=10
    )
    assert [e.programme_title for e in mine.enrolments] == ["Patient leadership"]
    with scoped_transaction(stack.engine("registry"), TenantScope.platform_wide()) as connection:
        rows = connection.execute(
            sa.select(outbox.c.event_type, outbox.c.payload).where(
                outbox.c.aggregate_id == trusts.enrolment.enrolment_id
            )
        ).all()
        record = completed_training(connection, trusts.leader_id)
    assert [t for t, _ in rows].count("plr.registry.training.completed.v1") == 3
    assert "plr.registry.development.enrolled.v1" in {t for t, _ in rows}
    assert [(r.module, r.completed_on.isoformat()) for r in record] == [
        ("Listening", "2026-10-01"),
        ("Chairing", "2026-11-03"),
        ("", "2026-11-03"),
    ]
    assert {r.trust_ods for r in record} == {"RDA"} and record[-1].programme == "Patient leadership"
    with scoped_transaction(stack.engine("registry"), TenantScope.trust("RDB")) as connection:
        assert completed_training(connection, trusts.leader_id) == []


def test_notes_are_shown_to_the_facilitator_and_the_leader_only(registry: RegistryClient, trusts: Trusts) -> None:
    assert support(registry, trusts.as_a_facilitator, trusts.leader_id).check_ins[0].notes == NOTE
    assert support(registry, registry.as_leader(trusts.leader_id), trusts.leader_id).check_ins[0].notes == NOTE
    for metadata in (
        trusts.as_a_other,
        bearer(trusts.a_key),
        # a staff name (or even the facilitator's staff id) sent with the trust's key is a claim: nothing
        claiming(trusts.a_key, trusts.a_facilitator),
        claiming(trusts.a_key, "Sam Facilitator"),
    ):
        (seen,) = support(registry, metadata, trusts.leader_id).check_ins
        assert seen.notes == "" and seen.notes_withheld and seen.held_on == "2026-11-02"
    for metadata in (trusts.as_b_facilitator, claiming(trusts.b_key, trusts.a_facilitator)):
        assert list(support(registry, metadata, trusts.leader_id).check_ins) == []


def test_only_the_facilitator_records_a_check_in(registry: RegistryClient, trusts: Trusts) -> None:
    request = dpb.RecordCheckInRequest(leader_id=trusts.leader_id, notes="x")
    api = development(registry)
    for not_the_facilitator in (
        trusts.as_a_other,
        trusts.as_b_facilitator,
        bearer(trusts.a_key),
        claiming(trusts.a_key, trusts.a_facilitator),
    ):
        assert refused(api.RecordCheckIn, request, metadata=not_the_facilitator, timeout=10) == (
            grpc.StatusCode.FAILED_PRECONDITION
        )


def test_a_facilitator_is_an_active_member_of_the_trust_s_staff_with_that_role(
    registry: RegistryClient, trusts: Trusts
) -> None:
    recruiter = registry.add_staff(trusts.a_ods, "recruiter").staff_id
    for staff_id in (recruiter, trusts.b_facilitator, "11111111-1111-4111-8111-111111111111"):
        request = dpb.AssignFacilitatorRequest(leader_id=trusts.leader_id, facilitator_staff_id=staff_id)
        with pytest.raises(grpc.RpcError) as error:
            development(registry).AssignFacilitator(request, metadata=bearer(trusts.a_key), timeout=10)
        assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "facilitator_staff_id" in (error.value.details() or "")
    by_name = dpb.AssignFacilitatorRequest(leader_id=trusts.leader_id, facilitator="Sam Facilitator")
    with pytest.raises(grpc.RpcError) as error:
        development(registry).AssignFacilitator(by_name, metadata=bearer(trusts.a_key), timeout=10)
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "facilitator" in (error.value.details() or "")
    # the facilitator is still the one assigned by id
    (assignment,) = support(registry, bearer(trusts.a_key), trusts.leader_id).assignments
    assert assignment.facilitator_staff_id == trusts.a_facilitator and assignment.facilitator == ""


def test_a_buddy_must_be_a_leader_of_the_trust(registry: RegistryClient, trusts: Trusts) -> None:
    request = dpb.AssignFacilitatorRequest(
        leader_id=trusts.leader_id,
        facilitator_staff_id=trusts.a_facilitator,
        buddy_leader_id="11111111-1111-4111-8111-111111111111",
    )
    with pytest.raises(grpc.RpcError) as error:
        development(registry).AssignFacilitator(request, metadata=bearer(trusts.a_key), timeout=10)
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "buddy_leader_id" in (error.value.details() or "")


def test_the_plan_has_optimistic_concurrency_and_is_per_trust(registry: RegistryClient, trusts: Trusts) -> None:
    api = development(registry)
    as_leader = registry.as_leader(trusts.leader_id)
    plan = api.GetDevelopmentPlan(
        dpb.GetDevelopmentPlanRequest(leader_id=trusts.leader_id, trust_ods="RDA"), metadata=as_leader, timeout=10
    )
    assert plan.version == 0 and not plan.goals
    goal = dpb.Goal(title="Chair a patient panel", status="open", target_date="2027-06-30")
    plan = api.UpdateDevelopmentPlan(
        dpb.UpdateDevelopmentPlanRequest(leader_id=trusts.leader_id, trust_ods="RDA", expected_version=0, goals=[goal]),
        metadata=as_leader,
        timeout=10,
    )
    assert plan.version == 1 and plan.goals[0].goal_id
    achieved = dpb.Goal(goal_id=plan.goals[0].goal_id, title=goal.title, status="achieved")
    by_staff = api.UpdateDevelopmentPlan(
        dpb.UpdateDevelopmentPlanRequest(leader_id=trusts.leader_id, expected_version=1, goals=[achieved]),
        metadata=bearer(trusts.a_key),
        timeout=10,
    )
    assert by_staff.version == 2 and by_staff.goals[0].status == "achieved"
    stale = dpb.UpdateDevelopmentPlanRequest(leader_id=trusts.leader_id, expected_version=1, goals=[])
    with pytest.raises(grpc.RpcError) as error:
        api.UpdateDevelopmentPlan(stale, metadata=bearer(trusts.a_key), timeout=10)
    assert error.value.code() == grpc.StatusCode.FAILED_PRECONDITION and "version 2" in (error.value.details() or "")
    theirs = api.GetDevelopmentPlan(
        dpb.GetDevelopmentPlanRequest(leader_id=trusts.leader_id), metadata=bearer(trusts.b_key), timeout=10
    )
    assert theirs.version == 0 and not theirs.goals


def test_bad_fields_are_named(registry: RegistryClient, trusts: Trusts) -> None:
    api = development(registry)
    cases = [
        (api.CreateProgramme, dpb.CreateProgrammeRequest(title=""), "title"),
        (api.AddModule, dpb.AddModuleRequest(programme_id="nope", title="x"), "programme_id"),
        (api.RecordCheckIn, dpb.RecordCheckInRequest(leader_id=trusts.leader_id, held_on="26/11/2026"), "held_on"),
        (
            api.UpdateDevelopmentPlan,
            dpb.UpdateDevelopmentPlanRequest(leader_id=trusts.leader_id, goals=[dpb.Goal(title="t", status="won")]),
            "goals[0].status",
        ),
        (
            api.GetDevelopmentPlan,
            dpb.GetDevelopmentPlanRequest(leader_id=trusts.leader_id, trust_ods="rda"),
            "trust_ods",
        ),
    ]
    for call, request, field in cases:
        with pytest.raises(grpc.RpcError) as error:
            call(request, metadata=bearer(trusts.a_key), timeout=10)
        assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT and field in (error.value.details() or ""), field


def test_a_check_in_note_never_reaches_events_logs_the_audit_or_other_readers(
    registry: RegistryClient, stack: PlrStack, caplog: pytest.LogCaptureFixture
) -> None:
    canary = "Canary-Quince-40417 private support words"
    with caplog.at_level(logging.DEBUG):
        trusts = Trusts(registry, "RDC", "RDD", canary)
        readers = [trusts.as_a_other, bearer(trusts.a_key), trusts.as_b_facilitator]
        api = development(registry)
        for metadata in readers:
            shown = str(support(registry, metadata, trusts.leader_id))
            shown += str(api.ListEnrolments(dpb.ListEnrolmentsRequest(leader_id=trusts.leader_id), metadata=metadata))
            shown += str(
                api.GetDevelopmentPlan(dpb.GetDevelopmentPlanRequest(leader_id=trusts.leader_id), metadata=metadata)
            )
            assert canary not in shown
    assert canary not in caplog.text
    with scoped_transaction(stack.engine("registry"), TenantScope.platform_wide()) as connection:
        payloads = connection.execute(sa.select(outbox.c.payload)).scalars().all()
        audit = connection.execute(sa.select(audit_log.c.fields, audit_log.c.principal)).all()
    assert payloads and not any(canary in p for p in payloads)
    assert audit and not any(canary in str(row) for row in audit)
    assert trusts.check_in.notes == canary  # the facilitator who wrote it gets it back


def test_erasing_the_leader_erases_their_check_ins_and_training(registry: RegistryClient, stack: PlrStack) -> None:
    from plr.registry.v1 import leaders_pb2 as lpb

    trusts = Trusts(registry, "RDE", "RDF", "Canary-Erase-9090")
    registry.leaders.EraseLeader(
        lpb.EraseLeaderRequest(leader_id=trusts.leader_id), metadata=registry.as_leader(trusts.leader_id), timeout=10
    )
    with scoped_transaction(stack.engine("registry"), TenantScope.platform_wide()) as connection:
        left = connection.execute(
            sa.text("SELECT count(*) FROM check_ins WHERE notes = 'Canary-Erase-9090'")
        ).scalar_one()
        assert left == 0 and completed_training(connection, trusts.leader_id) == []


def test_another_trust_sees_a_completed_programme_in_the_shared_record(registry: RegistryClient) -> None:
    world = Trusts(registry, "RDP", "RDQ", "a note")
    api = development(registry)
    for module, on in zip(world.programme.modules, ("2026-10-01", "2026-11-03"), strict=True):
        api.CompleteTraining(
            dpb.CompleteTrainingRequest(
                enrolment_id=world.enrolment.enrolment_id, module_id=module.module_id, completed_on=on
            ),
            metadata=bearer(world.a_key),
            timeout=10,
        )
    registry.consent(world.leader_id, "share_record_with_trust", world.b_ods)
    record = checks_pb2_grpc.CheckServiceStub(registry.channel).GetSharedRecord(
        cpb.GetSharedRecordRequest(leader_id=world.leader_id), metadata=bearer(world.b_key), timeout=10
    )
    assert [(t.programme, t.module, t.completed_on, t.trust_ods) for t in record.training] == [
        ("Patient leadership", "Listening", "2026-10-01", "RDP"),
        ("Patient leadership", "Chairing", "2026-11-03", "RDP"),
        ("Patient leadership", "", "2026-11-03", "RDP"),
    ]
