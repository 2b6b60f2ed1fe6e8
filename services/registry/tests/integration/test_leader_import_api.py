"""ImportService through the API: good rows become pending affiliations with their events in the
outbox, bad rows are reported with row and column, a re-run adds nothing, every row gets a result with
plr's ids, and a trust imports its own register (the administrator any trust's, naming it)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import grpc
import pytest
import sqlalchemy as sa
from plr.registry.v1 import imports_pb2 as ipb
from plr.registry.v1 import imports_pb2_grpc
from plr.registry.v1 import leaders_pb2 as lpb

from services.common.db import scoped_transaction
from services.common.grpc_client import bearer
from services.common.platform_tables import outbox
from services.common.tenancy import TenantScope
from services.registry.adapters.tables import (
    affiliations,
    consent_recorders,
    consent_records,
    import_fingerprints,
    leaders,
)
from services.registry.tests.integration.conftest import RegistryClient
from tests.support.infra import PlrStack
from tests.support.register_csv import register

pytestmark = pytest.mark.integration


def request(ods: str, rows: list[dict[str, str]], first_row: int = 2) -> ipb.ImportLeadersRequest:
    return ipb.ImportLeadersRequest(
        trust_ods=ods,
        rows=[
            ipb.ImportRow(row_number=first_row + i, cells={k: v for k, v in r.items() if v}) for i, r in enumerate(rows)
        ],
    )


def imports(registry: RegistryClient) -> imports_pb2_grpc.ImportServiceStub:
    return imports_pb2_grpc.ImportServiceStub(registry.channel)


def counts(stack: PlrStack, ods: str) -> dict[str, int]:
    with scoped_transaction(stack.engine("registry"), TenantScope.platform_wide()) as connection:
        one = lambda query: int(connection.execute(query).scalar_one())  # noqa: E731
        return {
            "affiliations": one(
                sa.select(sa.func.count()).select_from(affiliations).where(affiliations.c.trust_ods == ods)
            ),
            "fingerprints": one(
                sa.select(sa.func.count())
                .select_from(import_fingerprints)
                .where(import_fingerprints.c.trust_ods == ods)
            ),
            "leaders": one(sa.select(sa.func.count()).select_from(leaders)),
            "outbox": one(sa.select(sa.func.count()).select_from(outbox)),
        }


def test_an_import_registers_good_rows_reports_bad_ones_and_a_rerun_adds_nothing(
    registry: RegistryClient, stack: PlrStack
) -> None:
    ods = "RIA"
    registry.onboard(ods, "Import Trust A")
    rows, expected = register(120, 8, uuid.uuid4().hex[:6])
    before = counts(stack, ods)

    first = imports(registry).ImportLeaders(request(ods, rows), metadata=registry.as_admin(), timeout=30)

    assert first.imported == 112 and first.unchanged == 0
    assert {p.row_number: p.field for p in first.problems} == expected
    assert all(p.reason for p in first.problems)
    after = counts(stack, ods)
    assert after["affiliations"] - before["affiliations"] == 112
    assert after["leaders"] - before["leaders"] == 112
    assert after["fingerprints"] - before["fingerprints"] == 112
    # leader.registered + leader.affiliated per row, and consent.granted + leader.updated for the
    # rows given with lived experience and its consent evidence
    with_lived_experience = sum(1 for n, r in enumerate(rows) if r["lived_experience"] and n + 2 not in expected)
    assert after["outbox"] - before["outbox"] == 2 * 112 + 2 * with_lived_experience

    again = imports(registry).ImportLeaders(request(ods, rows), metadata=registry.as_admin(), timeout=30)

    assert again.imported == 0 and again.unchanged == 112 and len(again.problems) == len(first.problems)
    assert counts(stack, ods) == after


def test_imported_people_follow_the_registration_rules(registry: RegistryClient, stack: PlrStack) -> None:
    key = registry.onboard("RIB", "Import Trust B").initial_key.key
    email = f"known-{uuid.uuid4().hex[:8]}@example.org"
    known = registry.register(key, email, given="Known")
    row = {"given_name": "Other", "family_name": "Name", "email": email.upper(), "skills": "chairing"}
    registry.onboard("RIC", "Import Trust C")

    response = imports(registry).ImportLeaders(request("RIC", [row]), metadata=registry.as_admin(), timeout=30)

    assert response.imported == 1
    # one person per email: the known person is affiliated (pending), not duplicated nor changed
    mine = registry.leaders.ListAffiliations(
        lpb.ListAffiliationsRequest(), metadata=registry.as_leader(known.leader_id), timeout=10
    ).affiliations
    assert {(a.trust_ods, a.status) for a in mine} == {("RIB", "pending"), ("RIC", "pending")}
    leader = registry.leaders.GetLeader(
        lpb.GetLeaderRequest(leader_id=known.leader_id), metadata=registry.as_leader(known.leader_id), timeout=10
    )
    assert leader.profile.given_name == "Known" and list(leader.profile.skills) == []


def test_lived_experience_with_evidence_is_recorded_as_staff_consent(registry: RegistryClient, stack: PlrStack) -> None:
    registry.onboard("RID", "Import Trust D")
    email = f"le-{uuid.uuid4().hex[:8]}@example.org"
    row = {
        "given_name": "Lived",
        "family_name": "Experience",
        "email": email,
        "lived_experience": "diabetes",
        "consent_evidence": "paper form 17, involvement office",
        "consent_wording_version": "2025-04",
    }
    response = imports(registry).ImportLeaders(request("RID", [row]), metadata=registry.as_admin(), timeout=30)
    assert response.imported == 1 and not response.problems
    with scoped_transaction(stack.engine("registry"), TenantScope.platform_wide()) as connection:
        leader = connection.execute(sa.select(leaders).where(leaders.c.email_key == email)).one()
        consent = connection.execute(
            sa.select(consent_records, consent_recorders)
            .join(consent_recorders, consent_recorders.c.record_id == consent_records.c.record_id)
            .where(consent_records.c.leader_id == leader.leader_id)
        ).one()
    assert leader.profile["lived_experience"] == ["diabetes"] and leader.version == 3
    assert (consent.purpose, consent.granted, consent.recorded_by_kind, consent.recorder_trust) == (
        "lived_experience_matching",
        True,
        "staff",
        "RID",
    )
    assert consent.evidence == "paper form 17, involvement office"


def test_neither_a_leader_nor_another_trust_may_import_for_a_trust(registry: RegistryClient, stack: PlrStack) -> None:
    registry.onboard("RIE", "Import Trust E")
    other = registry.onboard("RIE2", "Import Trust E2").initial_key.key
    row = {"given_name": "A", "family_name": "B", "email": f"x-{uuid.uuid4().hex[:8]}@example.org"}
    before = counts(stack, "RIE")
    for metadata in (bearer(other), registry.as_leader(str(uuid.uuid4())), bearer(registry.portal_token)):
        with pytest.raises(grpc.RpcError) as refused:
            imports(registry).ImportLeaders(request("RIE", [row]), metadata=metadata, timeout=10)
        assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert counts(stack, "RIE") == before


def test_a_trust_imports_its_own_register_and_gets_plrs_ids_for_every_row(
    registry: RegistryClient, stack: PlrStack
) -> None:
    """Issue 15 §2: a 20-row register with the trust's own references; one row is someone another
    trust holds (the answer's shape is the same), one is bad; a re-run gives the same ids."""
    key = registry.onboard("RIOWN", "Own Register Trust").initial_key.key
    elsewhere = registry.onboard("RIOTH", "Other Register Trust").initial_key.key
    tag = uuid.uuid4().hex[:8]
    known = f"known-{tag}@example.org"
    registry.confirm(registry.register(elsewhere, known))
    rows = [
        {"given_name": f"P{i}", "family_name": "Own", "email": f"own-{tag}-{i}@example.org", "reference": f"REG-{i:03}"}
        for i in range(18)
    ]
    rows += [
        {"given_name": "K", "family_name": "Known", "email": known, "reference": "REG-KNOWN"},
        {"given_name": "B", "family_name": "Bad", "email": "not-an-email", "reference": "REG-BAD"},
    ]
    answer = imports(registry).ImportLeaders(request("", rows), metadata=bearer(key), timeout=30)
    assert (answer.imported, answer.unchanged) == (19, 0)
    assert [(r.row_number, r.reference, r.outcome) for r in answer.results] == [
        *[(i + 2, f"REG-{i:03}", "imported") for i in range(18)],
        (20, "REG-KNOWN", "imported"),
        (21, "REG-BAD", "refused"),
    ]
    assert [(p.row_number, p.reference, p.field) for p in answer.problems] == [(21, "REG-BAD", "email")]
    assert answer.results[-1].affiliation_id == "" and answer.results[-1].leader_id == ""
    # the ids are the trust's pending affiliations, as ListAffiliations will show them once confirmed
    with scoped_transaction(stack.engine("registry"), TenantScope.trust("RIOWN")) as connection:
        held = {
            str(r.affiliation_id): (str(r.leader_id), r.status)
            for r in connection.execute(
                sa.select(affiliations.c.affiliation_id, affiliations.c.leader_id, affiliations.c.status)
            )
        }
    for result in answer.results[:19]:
        assert held[result.affiliation_id] == (result.leader_id, "pending")
    again = imports(registry).ImportLeaders(request("RIOWN", rows), metadata=bearer(key), timeout=30)
    assert (again.imported, again.unchanged) == (0, 19)
    assert [(r.affiliation_id, r.outcome) for r in again.results[:19]] == [
        (r.affiliation_id, "unchanged") for r in answer.results[:19]
    ]


@pytest.mark.parametrize(
    ("ods", "rows", "code", "named"),
    [
        ("rx", [], grpc.StatusCode.INVALID_ARGUMENT, "trust_ods"),
        ("RIZZZ", [], grpc.StatusCode.NOT_FOUND, "RIZZZ"),
        ("RIA", [ipb.ImportRow(row_number=0)], grpc.StatusCode.INVALID_ARGUMENT, "rows"),
        ("RIA", [ipb.ImportRow(row_number=2), ipb.ImportRow(row_number=2)], grpc.StatusCode.INVALID_ARGUMENT, "rows"),
        ("RIA", [ipb.ImportRow(row_number=n + 2) for n in range(2001)], grpc.StatusCode.INVALID_ARGUMENT, "rows"),
    ],
)
def test_a_bad_request_is_refused_naming_the_field(
    registry: RegistryClient, ods: str, rows: list[ipb.ImportRow], code: grpc.StatusCode, named: str
) -> None:
    registry.onboard("RIA", "Import Trust A")
    with pytest.raises(grpc.RpcError) as refused:
        imports(registry).ImportLeaders(
            ipb.ImportLeadersRequest(trust_ods=ods, rows=rows), metadata=registry.as_admin(), timeout=10
        )
    assert refused.value.code() == code and named in (refused.value.details() or "")


def test_a_suspended_trust_gets_no_import(registry: RegistryClient) -> None:
    from plr.registry.v1 import registry_pb2 as pb

    registry.onboard("RIS", "Import Trust S")
    registry.stub.SuspendTrust(pb.SuspendTrustRequest(ods="RIS"), metadata=registry.as_admin(), timeout=10)
    row = {"given_name": "A", "family_name": "B", "email": f"s-{uuid.uuid4().hex[:8]}@example.org"}
    with pytest.raises(grpc.RpcError) as refused:
        imports(registry).ImportLeaders(request("RIS", [row]), metadata=registry.as_admin(), timeout=10)
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION


def test_an_ended_affiliation_is_asked_again_by_a_changed_row(registry: RegistryClient, stack: PlrStack) -> None:
    key = registry.onboard("RIF", "Import Trust F").initial_key.key
    email = f"ended-{uuid.uuid4().hex[:8]}@example.org"
    row = {"given_name": "Ended", "family_name": "Before", "email": email, "reference": "REG-ENDED"}
    first = imports(registry).ImportLeaders(request("RIF", [row]), metadata=registry.as_admin(), timeout=30)
    assert first.imported == 1
    (affiliation,) = registry.leaders.ListAffiliations(
        lpb.ListAffiliationsRequest(), metadata=bearer(key), timeout=10
    ).affiliations
    registry.confirm(affiliation)
    registry.leaders.EndAffiliation(
        lpb.EndAffiliationRequest(leader_id=affiliation.leader_id, reason="moved away"),
        metadata=bearer(key),
        timeout=10,
    )

    same = imports(registry).ImportLeaders(request("RIF", [row]), metadata=registry.as_admin(), timeout=30)
    changed = imports(registry).ImportLeaders(
        request("RIF", [{**row, "phone": "07700 900777"}]), metadata=registry.as_admin(), timeout=30
    )

    # the same row asks nothing again (the person may have withdrawn), and says why, by row and reference
    assert (same.imported, same.unchanged) == (0, 0)
    [result] = same.results
    assert (result.outcome, result.reference, result.affiliation_id) == (
        "ended",
        "REG-ENDED",
        affiliation.affiliation_id,
    )
    [problem] = same.problems
    assert (problem.row_number, problem.reference, problem.field) == (2, "REG-ENDED", "email")
    assert problem.reason.startswith(
        f"the affiliation with this person ended on {datetime.now(UTC).date().isoformat()}: "
    )
    assert "RegisterLeader" in problem.reason
    assert changed.imported == 1  # a new row for the person: the trust asks again (pending), as RegisterLeader does
    (again,) = registry.leaders.ListAffiliations(
        lpb.ListAffiliationsRequest(), metadata=bearer(key), timeout=10
    ).affiliations
    assert (again.affiliation_id, again.status) == (affiliation.affiliation_id, "pending")


def test_the_documented_example_file_imports_cleanly(registry: RegistryClient) -> None:
    from services.registry.entrypoints.leader_import_cli import read_register
    from tests.support.infra import ROOT

    registry.onboard("RIX", "Import Example Trust")
    rows, local = read_register(ROOT / "docs" / "examples" / "leaders-import.csv")
    response = imports(registry).ImportLeaders(
        ipb.ImportLeadersRequest(trust_ods="RIX", rows=[ipb.ImportRow(row_number=n, cells=c) for n, c in rows]),
        metadata=registry.as_admin(),
        timeout=30,
    )
    assert local == [] and list(response.problems) == [] and response.imported == len(rows) == 3


def test_offboarding_a_trust_forgets_its_import_fingerprints(registry: RegistryClient, stack: PlrStack) -> None:

    registry.onboard("RIO", "Import Trust O")
    row = {"given_name": "Off", "family_name": "Boarded", "email": f"off-{uuid.uuid4().hex[:8]}@example.org"}
    imports(registry).ImportLeaders(request("RIO", [row]), metadata=registry.as_admin(), timeout=30)
    assert counts(stack, "RIO")["fingerprints"] == 1
    registry.offboard("RIO")
    assert counts(stack, "RIO")["fingerprints"] == 0


def test_erasing_an_imported_person_deletes_their_row_fingerprint_and_a_re_import_registers_them_anew(
    registry: RegistryClient, stack: PlrStack
) -> None:
    registry.onboard("RIE", "Import Trust E")
    erased = {
        "given_name": "Erased",
        "family_name": "Person",
        "email": f"erased-{uuid.uuid4().hex[:8]}@example.org",
        "lived_experience": "diabetes",
        "consent_evidence": "paper form 9",
        "consent_wording_version": "2025-04",
    }
    kept = {"given_name": "Kept", "family_name": "Person", "email": f"kept-{uuid.uuid4().hex[:8]}@example.org"}
    imports(registry).ImportLeaders(request("RIE", [erased, kept]), metadata=registry.as_admin(), timeout=30)
    with scoped_transaction(stack.engine("registry"), TenantScope.platform_wide()) as connection:
        leader_id = str(
            connection.execute(
                sa.select(leaders.c.leader_id).where(leaders.c.email_key == erased["email"])
            ).scalar_one()
        )
    registry.leaders.EraseLeader(lpb.EraseLeaderRequest(leader_id=leader_id), metadata=registry.as_admin(), timeout=10)
    with scoped_transaction(stack.engine("registry"), TenantScope.platform_wide()) as connection:
        left = connection.execute(
            sa.select(import_fingerprints.c.fingerprint, import_fingerprints.c.leader_id).where(
                import_fingerprints.c.trust_ods == "RIE"
            )
        ).all()
    assert len(left) == 1 and str(left[0].leader_id) != leader_id
    again = imports(registry).ImportLeaders(request("RIE", [erased, kept]), metadata=registry.as_admin(), timeout=30)
    assert (again.imported, again.unchanged, list(again.problems)) == (1, 1, [])
    with scoped_transaction(stack.engine("registry"), TenantScope.platform_wide()) as connection:
        anew = connection.execute(sa.select(leaders.c.leader_id).where(leaders.c.email_key == erased["email"])).all()
    assert [str(r.leader_id) for r in anew] != [leader_id] and len(anew) == 1
