"""Equality monitoring and a leader's data protection rights through the gRPC API, on the real
PostgreSQL: answers given only by the leader and reported only in aggregate; an export of
everything held (all of it for the leader, only its own view for a trust); erasure across the
registry, outbox included."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import grpc
import pytest
import sqlalchemy as sa
from plr.registry.v1 import leaders_pb2 as lpb

from services.common.db import scoped_transaction
from services.common.grpc_client import bearer
from services.common.platform_tables import outbox
from services.common.tenancy import TenantScope
from services.registry.adapters.tables import (
    affiliations,
    consent_recorders,
    consent_records,
    equality_answers,
    idempotency_keys,
    leaders,
)
from services.registry.domain.retention import ERASURE_RETENTION
from services.registry.tests.integration.conftest import RegistryClient
from tests.support.infra import PlrStack

pytestmark = pytest.mark.integration

Metadata = tuple[tuple[str, str], ...]


class Trusts:
    """Trusts of this module, onboarded once: their keys by ODS code."""

    def __init__(self, registry: RegistryClient):
        self.registry = registry
        self.keys: dict[str, str] = {}

    def key(self, ods: str) -> Metadata:
        if ods not in self.keys:
            made = self.registry.onboard(ods)
            assert made.initial_key.key, f"{ods} was onboarded before this module"
            self.keys[ods] = made.initial_key.key
        return bearer(self.keys[ods])


@pytest.fixture(scope="module")
def trusts(registry: RegistryClient) -> Trusts:
    return Trusts(registry)


def email() -> str:
    return f"dr-{uuid.uuid4().hex[:12]}@example.org"


def leader_of(
    registry: RegistryClient,
    trusts: Trusts,
    ods: str,
    *,
    address: str | None = None,
    confirm: bool = True,
    contact: bool = True,
    **profile: Any,
) -> str:
    """A new person registered by `ods`, the affiliation confirmed and contact consented by default."""
    trusts.key(ods)
    affiliation = registry.register(trusts.keys[ods], address or email(), **profile)
    if confirm:
        registry.confirm(affiliation)
    if contact:
        registry.consent(affiliation.leader_id, "contact_by_trust", ods)
    return affiliation.leader_id


def affiliate(registry: RegistryClient, trusts: Trusts, ods: str, leader_email: str, confirm: bool = True) -> None:
    trusts.key(ods)
    affiliation = registry.register(trusts.keys[ods], leader_email)
    if confirm:
        registry.confirm(affiliation)


def refused(call: Callable[[], object]) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as caught:
        answer = call()
        pytest.fail(f"answered: {answer}")
    return caught.value


def submit(registry: RegistryClient, leader_id: str, **answers: str) -> lpb.SubmitEqualityMonitoringResponse:
    return registry.leaders.SubmitEqualityMonitoring(
        lpb.SubmitEqualityMonitoringRequest(**answers), metadata=registry.as_leader(leader_id), timeout=10
    )


def report(registry: RegistryClient, metadata: Metadata) -> dict[str, tuple[dict[str, int | None], int | None]]:
    made = registry.leaders.GetEqualityReport(lpb.GetEqualityReportRequest(), metadata=metadata, timeout=10)
    return {
        c.characteristic: (
            {cell.category: (cell.count if cell.HasField("count") else None) for cell in c.cells},
            c.total if c.HasField("total") else None,
        )
        for c in made.characteristics
    }


def export(registry: RegistryClient, leader_id: str, metadata: Metadata) -> dict[str, Any]:
    answer = registry.leaders.ExportLeaderData(
        lpb.ExportLeaderDataRequest(leader_id=leader_id), metadata=metadata, timeout=10
    )
    document: dict[str, Any] = json.loads(answer.document)
    return document


def erase(registry: RegistryClient, leader_id: str, metadata: Metadata, reason: str = "") -> lpb.EraseLeaderResponse:
    return registry.leaders.EraseLeader(
        lpb.EraseLeaderRequest(leader_id=leader_id, reason=reason), metadata=metadata, timeout=10
    )


def rows(stack: PlrStack, query: sa.sql.Select[Any]) -> list[Any]:
    with scoped_transaction(stack.engine("registry"), TenantScope.platform_wide()) as connection:
        return list(connection.execute(query).all())


def outbox_rows(stack: PlrStack, leader_id: str) -> list[Any]:
    return rows(
        stack,
        sa.select(outbox.c.id, outbox.c.event_type, outbox.c.payload, outbox.c.published_at)
        .where(sa.func.strpos(outbox.c.payload, leader_id) > 0)
        .order_by(outbox.c.id),
    )


# --- equality monitoring ------------------------------------------------------------------------


def test_a_leader_gives_equality_answers_stored_apart_and_in_no_event(
    registry: RegistryClient, trusts: Trusts, stack: PlrStack
) -> None:
    leader_id = leader_of(registry, trusts, "DRA1")
    before = len(outbox_rows(stack, leader_id))
    submit(registry, leader_id, religion="buddhist", age_band="65_74", carer="prefer_not_to_say")
    stored = rows(stack, sa.select(equality_answers.c.answers).where(equality_answers.c.leader_id == leader_id))
    assert stored == [({"religion": "buddhist", "age_band": "65_74", "carer": "prefer_not_to_say"},)]
    assert len(outbox_rows(stack, leader_id)) == before
    # a leader-level read, by the trust or by the leader, has no place for them and holds none
    for metadata in (trusts.key("DRA1"), registry.as_leader(leader_id)):
        read = registry.leaders.GetLeader(lpb.GetLeaderRequest(leader_id=leader_id), metadata=metadata, timeout=10)
        assert "buddhist" not in str(read) and "65_74" not in str(read)


def test_new_answers_replace_the_old_and_giving_none_takes_them_back(
    registry: RegistryClient, trusts: Trusts, stack: PlrStack
) -> None:
    leader_id = leader_of(registry, trusts, "DRA1")
    submit(registry, leader_id, sex="female", disability="yes")
    submit(registry, leader_id, sex="male")
    query = sa.select(equality_answers.c.answers).where(equality_answers.c.leader_id == leader_id)
    assert rows(stack, query) == [({"sex": "male"},)]
    submit(registry, leader_id)
    assert rows(stack, query) == []


@pytest.mark.parametrize(
    "answers, field",
    [({"ethnicity": "martian"}, "ethnicity"), ({"age_band": "16-24"}, "age_band"), ({"sex": "x\x00"}, "sex")],
)
def test_a_bad_equality_answer_is_refused_naming_the_question_and_not_echoed(
    registry: RegistryClient, trusts: Trusts, stack: PlrStack, answers: dict[str, str], field: str
) -> None:
    leader_id = leader_of(registry, trusts, "DRA1")
    error = refused(lambda: submit(registry, leader_id, carer="yes", **answers))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field in error.details() and answers[field] not in error.details()
    assert rows(stack, sa.select(equality_answers).where(equality_answers.c.leader_id == leader_id)) == []


def test_only_the_leader_gives_equality_answers(registry: RegistryClient, trusts: Trusts) -> None:
    for metadata in (trusts.key("DRA1"), registry.as_admin(), bearer(registry.portal_token)):
        error = refused(
            lambda m=metadata: registry.leaders.SubmitEqualityMonitoring(  # type: ignore[misc]
                lpb.SubmitEqualityMonitoringRequest(sex="female"), metadata=m, timeout=10
            )
        )
        assert error.code() == grpc.StatusCode.PERMISSION_DENIED


def test_the_report_counts_only_the_leaders_actively_affiliated_with_the_calling_trust(
    registry: RegistryClient, trusts: Trusts
) -> None:
    # DRR1: 8 female and 6 male, active; 6 female pending; 3 male ended. DRR2: 9 male, active.
    for _ in range(8):
        submit(registry, leader_of(registry, trusts, "DRR1", contact=False), sex="female")
    for _ in range(6):
        submit(registry, leader_of(registry, trusts, "DRR1", contact=False), sex="male")
    for _ in range(6):
        submit(registry, leader_of(registry, trusts, "DRR1", confirm=False, contact=False), sex="female")
    for _ in range(3):
        leader_id = leader_of(registry, trusts, "DRR1", contact=False)
        submit(registry, leader_id, sex="male")
        registry.leaders.EndAffiliation(
            lpb.EndAffiliationRequest(leader_id=leader_id, reason="moved away"), metadata=trusts.key("DRR1"), timeout=10
        )
    for _ in range(9):
        submit(registry, leader_of(registry, trusts, "DRR2", contact=False), sex="male")
    made = report(registry, trusts.key("DRR1"))
    assert made["sex"] == ({"female": 10, "male": 5, "prefer_not_to_say": 0}, 15)
    assert made["age_band"] == ({c: 0 for c in made["age_band"][0]}, 0)
    assert report(registry, trusts.key("DRR2"))["sex"] == ({"female": 0, "male": 10, "prefer_not_to_say": 0}, 10)


def test_one_leader_s_answers_cannot_be_read_off_a_small_trust_s_report(
    registry: RegistryClient, trusts: Trusts
) -> None:
    leader_id = leader_of(registry, trusts, "DRS1")
    submit(registry, leader_id, sex="female", religion="jewish", sexual_orientation="bisexual", carer="yes")
    made = report(registry, trusts.key("DRS1"))
    for name in ("sex", "religion", "sexual_orientation", "carer"):
        cells, total = made[name]
        assert set(cells.values()) == {None} and total is None, name


def test_the_report_is_for_a_trust_s_key_only(registry: RegistryClient, trusts: Trusts) -> None:
    leader_id = leader_of(registry, trusts, "DRA1")
    for metadata in (registry.as_leader(leader_id), registry.as_admin(), bearer(registry.portal_token)):
        error = refused(lambda m=metadata: report(registry, m))  # type: ignore[misc]
        assert error.code() == grpc.StatusCode.PERMISSION_DENIED


# --- export ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shared_leader(registry: RegistryClient, trusts: Trusts) -> dict[str, str]:
    """A leader of DRX1 (active, contact consented, read once), pending with DRY1 and active with
    DRZ1, with equality answers and a consent DRX1's staff recorded with evidence."""
    address = email()
    leader_id = leader_of(
        registry, trusts, "DRX1", address=address, given="Grace", family="Hopper", phone="0117 496 0000"
    )
    affiliate(registry, trusts, "DRY1", address, confirm=False)
    affiliate(registry, trusts, "DRZ1", address)
    registry.consent(leader_id, "share_record_with_trust", "DRZ1")
    registry.leaders.RecordConsent(
        lpb.RecordConsentRequest(
            leader_id=leader_id,
            purpose="lived_experience_matching",
            grant=True,
            wording_version="2026-11",
            evidence="signed form DRX1-0042",
            idempotency_key="consent-form-0042",
            on_behalf=lpb.OnBehalf(staff="j.bloggs", how_asked="in person, on the signed form"),  # the person's own
        ),
        metadata=trusts.key("DRX1"),
        timeout=10,
    )
    submit(registry, leader_id, ethnicity="mixed", religion="hindu")
    registry.leaders.GetLeader(lpb.GetLeaderRequest(leader_id=leader_id), metadata=trusts.key("DRZ1"), timeout=10)
    registry.leaders.GetLeader(lpb.GetLeaderRequest(leader_id=leader_id), metadata=trusts.key("DRX1"), timeout=10)
    return {"leader_id": leader_id, "email": address}


def test_the_leader_s_export_holds_everything_held_about_them(
    registry: RegistryClient, shared_leader: dict[str, str]
) -> None:
    leader_id = shared_leader["leader_id"]
    document = export(registry, leader_id, registry.as_leader(leader_id))
    assert document["format"] == "plr.registry.leader-export.v1"
    assert document["leader"]["leader_id"] == leader_id and document["leader"]["status"] == "active"
    profile = document["leader"]["profile"]
    assert (profile["given_name"], profile["family_name"], profile["email"]) == (
        "Grace",
        "Hopper",
        shared_leader["email"],
    )
    assert profile["phone"] == "0117 496 0000"
    assert {(a["trust_ods"], a["status"]) for a in document["affiliations"]} == {
        ("DRX1", "active"),
        ("DRY1", "pending"),
        ("DRZ1", "active"),
    }
    purposes = {(c["purpose"], c["target"]) for c in document["consents"]["current"]}
    assert purposes == {
        ("contact_by_trust", "DRX1"),
        ("share_record_with_trust", "DRZ1"),
        ("lived_experience_matching", ""),
    }
    assert "signed form DRX1-0042" in {c["evidence"] for c in document["consents"]["history"]}
    assert document["equality_monitoring"] == {"ethnicity": "mixed", "religion": "hindu"}
    readers = {(e["trust_ods"], e["method"]) for e in document["access_audit"]["entries"]}
    assert {("DRX1", "GetLeader"), ("DRZ1", "GetLeader")} <= readers
    assert document["access_audit"]["complete"] is True


def test_a_trust_s_export_holds_only_what_that_trust_may_see(
    registry: RegistryClient, trusts: Trusts, shared_leader: dict[str, str]
) -> None:
    leader_id = shared_leader["leader_id"]
    text = registry.leaders.ExportLeaderData(
        lpb.ExportLeaderDataRequest(leader_id=leader_id), metadata=trusts.key("DRZ1"), timeout=10
    ).document
    document = json.loads(text)
    # no contact consent for DRZ1: no contact details; its own affiliation only; no other trust named
    assert document["leader"]["profile"]["given_name"] == "Grace"
    assert document["leader"]["profile"]["email"] == "" and document["leader"]["profile"]["phone"] == ""
    # its own record of how it knows the person holds the address it gave itself, and nothing else
    (own,) = document.pop("known_details")
    assert (own["trust_ods"], own["email"], own["phone"]) == ("DRZ1", shared_leader["email"], "")
    text = json.dumps(document)
    assert shared_leader["email"] not in text and "0117" not in text
    assert [a["trust_ods"] for a in document["affiliations"]] == ["DRZ1"]
    assert "DRX1" not in text and "DRY1" not in text
    # the consents that concern DRZ1; lived experience recorded by DRX1's staff, without who or why
    assert {(c["purpose"], c["target"]) for c in document["consents"]["current"]} == {
        ("share_record_with_trust", "DRZ1"),
        ("lived_experience_matching", ""),
    }
    assert "signed form" not in text
    # never equality data; only its own staff's audit entries
    assert "equality_monitoring" not in document and "mixed" not in text and "hindu" not in text
    assert {e["trust_ods"] for e in document["access_audit"]["entries"]} == {"DRZ1"}


def test_every_export_is_audited_with_the_field_names(
    registry: RegistryClient, trusts: Trusts, shared_leader: dict[str, str]
) -> None:
    leader_id = shared_leader["leader_id"]
    export(registry, leader_id, trusts.key("DRX1"))
    export(registry, leader_id, registry.as_leader(leader_id))
    entries = registry.leaders.ListAuditEntries(
        lpb.ListAuditEntriesRequest(leader_id=leader_id, page_size=500),
        metadata=registry.as_leader(leader_id),
        timeout=10,
    ).entries
    exports = [e for e in entries if e.method == "ExportLeaderData"]
    by_trust = [e for e in exports if e.trust_ods == "DRX1"]
    assert by_trust and {"given_name", "email", "phone", "consents", "affiliations"} <= set(by_trust[-1].fields)
    by_leader = [e for e in exports if e.principal_kind == "leader"]
    assert by_leader and "equality_monitoring" in by_leader[-1].fields
    assert "Grace" not in str(entries) and "hindu" not in str(entries)


def test_the_administrator_exports_the_full_view_without_equality_answers(
    registry: RegistryClient, shared_leader: dict[str, str]
) -> None:
    document = export(registry, shared_leader["leader_id"], registry.as_admin())
    assert document["leader"]["profile"]["email"] == shared_leader["email"]
    assert len(document["affiliations"]) == 3
    assert "equality_monitoring" not in document


def test_an_export_is_not_found_for_a_trust_without_an_active_affiliation_or_another_leader(
    registry: RegistryClient, trusts: Trusts, shared_leader: dict[str, str]
) -> None:
    leader_id = shared_leader["leader_id"]
    other = leader_of(registry, trusts, "DRA1")
    for metadata in (trusts.key("DRY1"), trusts.key("DRA1"), registry.as_leader(other)):
        error = refused(lambda m=metadata: export(registry, leader_id, m))  # type: ignore[misc]
        # a trust whose own registration awaits the person is told so; anyone else, not found
        awaiting = "has not yet confirmed your trust's affiliation" in error.details()
        assert error.code() == (grpc.StatusCode.FAILED_PRECONDITION if awaiting else grpc.StatusCode.NOT_FOUND)
        assert "Grace" not in error.details()
    error = refused(lambda: export(registry, leader_id, bearer(registry.portal_token)))
    assert error.code() == grpc.StatusCode.PERMISSION_DENIED


@pytest.mark.parametrize("leader_id", ["", "not-an-id", uuid.uuid4().hex, "\x00"])
def test_a_bad_leader_id_is_invalid_argument_naming_it(
    registry: RegistryClient, trusts: Trusts, leader_id: str
) -> None:
    for call in (
        lambda: export(registry, leader_id, trusts.key("DRA1")),
        lambda: erase(registry, leader_id, registry.as_admin()),
    ):
        error = refused(call)
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT and "leader_id" in error.details()


# --- erasure --------------------------------------------------------------------------------------


def test_erasure_removes_the_person_everywhere_in_the_registry_and_names_what_is_kept(
    registry: RegistryClient, trusts: Trusts, stack: PlrStack
) -> None:
    address = email()
    leader_id = leader_of(registry, trusts, "DRE1", address=address, given="Alan", family="Turing", access_needs="ramp")
    affiliate(registry, trusts, "DRE2", address, confirm=False)
    registry.leaders.RecordConsent(
        lpb.RecordConsentRequest(
            leader_id=leader_id,
            purpose="contact_by_trust",
            target="DRE1",
            grant=True,
            wording_version="2026-11",
            evidence="phoned Alan on 3 Nov",
            idempotency_key="dre1-phone-consent",
        ),
        metadata=trusts.key("DRE1"),
        timeout=10,
    )
    submit(registry, leader_id, sex="male", sexual_orientation="gay_or_lesbian")

    answer = erase(registry, leader_id, registry.as_leader(leader_id), reason="I am leaving")
    assert answer.leader_id == leader_id
    assert [(r.name, r.reason, r.period, r.kept) for r in answer.retained] == [
        (r.name, r.reason, r.period, r.kept) for r in ERASURE_RETENTION
    ]

    (row,) = rows(stack, sa.select(leaders).where(leaders.c.leader_id == leader_id))
    assert row.status == "erased" and row.erased_at is not None
    assert (row.given_name, row.family_name, row.email, row.email_key, row.phone, row.postcode) == (None,) * 6
    assert "ramp" not in json.dumps(row.profile)
    assert rows(stack, sa.select(equality_answers).where(equality_answers.c.leader_id == leader_id)) == []
    consents = rows(stack, sa.select(consent_records).where(consent_records.c.leader_id == leader_id))
    recorders = rows(stack, sa.select(consent_recorders).where(consent_recorders.c.leader_id == leader_id))
    assert len(recorders) == len(consents) and {r.evidence for r in recorders} == {""}
    assert {c.purpose for c in consents} == {"contact_by_trust"}  # the rest of each record is kept
    ended = rows(stack, sa.select(affiliations).where(affiliations.c.leader_id == leader_id))
    assert {(a.trust_ods, a.status, a.end_reason) for a in ended} == {
        ("DRE1", "ended", "leader erased"),
        ("DRE2", "ended", "leader erased"),
    }
    stored = rows(stack, sa.select(idempotency_keys.c.response).where(idempotency_keys.c.method == "RecordConsent"))
    assert not any(b"phoned Alan" in bytes(r.response or b"") for r in stored)
    events = [r.event_type for r in outbox_rows(stack, leader_id)]
    assert "plr.registry.leader.erased.v1" in events
    assert events.count("plr.registry.leader.affiliation_ended.v1") == 2
    assert not any(
        "Alan" in r.payload or "Turing" in r.payload or address in r.payload for r in outbox_rows(stack, leader_id)
    )


def test_after_erasure_every_read_of_the_leader_is_not_found(registry: RegistryClient, trusts: Trusts) -> None:
    leader_id = leader_of(registry, trusts, "DRE1", given="Ida")
    erase(registry, leader_id, registry.as_admin())
    stub = registry.leaders
    for metadata in (trusts.key("DRE1"), registry.as_leader(leader_id), registry.as_admin()):
        for call in (
            lambda m=metadata: stub.GetLeader(lpb.GetLeaderRequest(leader_id=leader_id), metadata=m, timeout=10),
            lambda m=metadata: stub.ListConsents(lpb.ListConsentsRequest(leader_id=leader_id), metadata=m, timeout=10),
            lambda m=metadata: export(registry, leader_id, m),
        ):
            error = refused(call)  # type: ignore[arg-type]
            assert error.code() == grpc.StatusCode.NOT_FOUND
    listed = stub.ListLeaders(lpb.ListLeadersRequest(page_size=500), metadata=trusts.key("DRE1"), timeout=10)
    assert leader_id not in {leader.leader_id for leader in listed.leaders}
    error = refused(lambda: submit(registry, leader_id, sex="female"))
    assert error.code() == grpc.StatusCode.NOT_FOUND


def test_the_erased_address_can_register_again_as_a_new_person(registry: RegistryClient, trusts: Trusts) -> None:
    address = email()
    leader_id = leader_of(registry, trusts, "DRE1", address=address)
    erase(registry, leader_id, registry.as_leader(leader_id))
    again = registry.register(trusts.keys["DRE1"], address)
    assert again.leader_id != leader_id and again.status == "pending"


def test_erasure_deletes_the_published_events_about_the_leader_and_keeps_the_unpublished(
    registry: RegistryClient, trusts: Trusts, stack: PlrStack
) -> None:
    leader_id = leader_of(registry, trusts, "DRE1")
    bystander = leader_of(registry, trusts, "DRE1")
    # as if the relay had published everything so far (no relay runs in these tests)
    with scoped_transaction(stack.engine("registry"), TenantScope.platform_wide()) as connection:
        connection.execute(
            outbox.update()
            .where(sa.or_(*(sa.func.strpos(outbox.c.payload, i) > 0 for i in (leader_id, bystander))))
            .values(published_at=sa.func.now())
        )
    registry.consent(leader_id, "share_record_with_trust", "DRE2")  # unpublished when the erasure comes
    published_of_bystander = len(outbox_rows(stack, bystander))
    erase(registry, leader_id, registry.as_leader(leader_id))
    left = outbox_rows(stack, leader_id)
    assert [r.published_at for r in left] == [None] * len(left)
    assert [r.event_type for r in left] == [
        "plr.registry.consent.granted.v1",
        "plr.registry.record.shared.v1",
        "plr.registry.leader.erased.v1",
        "plr.registry.leader.affiliation_ended.v1",
    ]
    assert len(outbox_rows(stack, bystander)) == published_of_bystander


def test_erasing_twice_is_a_success_that_changes_nothing(
    registry: RegistryClient, trusts: Trusts, stack: PlrStack
) -> None:
    leader_id = leader_of(registry, trusts, "DRE1")
    first = erase(registry, leader_id, registry.as_leader(leader_id))
    events = outbox_rows(stack, leader_id)
    (before,) = rows(stack, sa.select(leaders).where(leaders.c.leader_id == leader_id))
    second = erase(registry, leader_id, registry.as_admin())
    assert second == first
    assert outbox_rows(stack, leader_id) == events  # nothing published yet: nothing deleted, nothing new
    assert rows(stack, sa.select(leaders).where(leaders.c.leader_id == leader_id)) == [before]


def test_only_the_leader_or_the_administrator_erases(registry: RegistryClient, trusts: Trusts, stack: PlrStack) -> None:
    leader_id = leader_of(registry, trusts, "DRE1", given="Mary")
    other = leader_of(registry, trusts, "DRE1")
    for metadata, code in (
        (trusts.key("DRE1"), grpc.StatusCode.PERMISSION_DENIED),
        (bearer(registry.portal_token), grpc.StatusCode.PERMISSION_DENIED),
        (registry.as_leader(other), grpc.StatusCode.NOT_FOUND),
    ):
        error = refused(lambda m=metadata: erase(registry, leader_id, m))  # type: ignore[misc]
        assert error.code() == code
    (row,) = rows(stack, sa.select(leaders.c.status, leaders.c.given_name).where(leaders.c.leader_id == leader_id))
    assert tuple(row) == ("active", "Mary")
    error = refused(lambda: erase(registry, str(uuid.uuid4()), registry.as_admin()))
    assert error.code() == grpc.StatusCode.NOT_FOUND


@pytest.mark.parametrize("reason", ["x" * 501, "line\nbreak", "nul\x00"])
def test_a_bad_erasure_reason_is_invalid_argument_and_erases_nothing(
    registry: RegistryClient, trusts: Trusts, stack: PlrStack, reason: str
) -> None:
    leader_id = leader_of(registry, trusts, "DRE1")
    error = refused(lambda: erase(registry, leader_id, registry.as_leader(leader_id), reason=reason))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT and "reason" in error.details()
    assert rows(stack, sa.select(leaders.c.status).where(leaders.c.leader_id == leader_id)) == [("active",)]
