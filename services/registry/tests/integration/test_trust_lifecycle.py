"""Suspend, resume and offboard a trust through the gRPC API, on real PostgreSQL.

A suspended trust's key is refused by every method of every registry service (listed from the
descriptors, so a method added later is covered); resuming brings back its unrevoked keys; other
services' trust directories, fed the registry's own outbox rows, refuse the key too. Offboarding
returns the export, ends the trust's affiliations, erases whom only it held, and cannot be undone.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import grpc
import pytest
import sqlalchemy as sa
from google.protobuf import message_factory
from plr.registry.v1 import leaders_pb2 as lpb
from plr.registry.v1 import registry_pb2 as pb

from services.common.authentication import Authenticator
from services.common.db import scoped_transaction
from services.common.errors import Unauthenticated
from services.common.events import CloudEvent
from services.common.grpc_client import bearer
from services.common.inbox import InboxConsumer
from services.common.platform_tables import outbox
from services.common.principals import NewApiKey
from services.common.tenancy import TenantScope
from services.common.trust_directory import projection_handlers
from services.registry.adapters.tables import affiliations, leaders, terms
from services.registry.tests.integration.conftest import RegistryClient
from tests.support.infra import PlrStack

pytestmark = pytest.mark.integration

SERVICES = [
    (pb.DESCRIPTOR.services_by_name["RegistryService"], "stub"),
    (lpb.DESCRIPTOR.services_by_name["LeaderService"], "leaders"),
]
EVERY_METHOD = [(service.full_name, method.name) for service, _ in SERVICES for method in service.methods]


def call(registry: RegistryClient, service_name: str, method_name: str, credential: str) -> object:
    for service, attribute in SERVICES:
        if service.full_name == service_name:
            method = service.methods_by_name[method_name]
            request = message_factory.GetMessageClass(method.input_type)()
            stub = getattr(registry, attribute)
            return getattr(stub, method_name)(request, metadata=bearer(credential), timeout=5)
    raise LookupError(service_name)


def code_of(error: pytest.ExceptionInfo[grpc.RpcError]) -> grpc.StatusCode:
    return error.value.code()  # type: ignore[no-any-return]


def registry_events(stack: PlrStack, aggregate_id: str) -> list[tuple[str, int]]:
    with scoped_transaction(stack.engine("registry"), TenantScope.platform_wide()) as connection:
        rows = connection.execute(
            sa.select(outbox.c.event_type, outbox.c.aggregate_version)
            .where(outbox.c.aggregate_id == aggregate_id)
            .order_by(outbox.c.aggregate_version)
        )
        return [(r.event_type, r.aggregate_version) for r in rows]


def canaries(stack: PlrStack) -> dict[str, int]:
    """Rows of the registry's database that hold "Canary" (as text, or as bytes in a bytea column)."""
    found = {}
    with scoped_transaction(stack.engine("registry"), TenantScope.platform_wide()) as connection:
        for table in (
            "leaders",
            "consent_records",
            "consent_recorders",
            "idempotency_keys",
            "outbox",
            "audit_log",
            "affiliations",
        ):
            count = connection.execute(
                sa.text(f"SELECT count(*) FROM {table} t WHERE t::text LIKE '%Canary%' OR t::text LIKE :hex"),
                {"hex": "%" + b"Canary".hex() + "%"},
            ).scalar_one()
            if count:
                found[table] = int(count)
    return found


@pytest.fixture(scope="module")
def suspended(registry: RegistryClient) -> Iterator[tuple[pb.CreateTrustResponse, lpb.Affiliation]]:
    """LCS1, with a leader, suspended for the module's sweep (and resumed at the end)."""
    made = registry.onboard("LCS1", "Suspended NHS Trust")
    affiliation = registry.register(made.initial_key.key, "suspended-trust-leader@example.org")
    trust = registry.stub.SuspendTrust(
        pb.SuspendTrustRequest(ods="LCS1", reason="contract paused"), metadata=registry.as_admin(), timeout=5
    )
    assert trust.status == "suspended"
    yield made, affiliation
    registry.stub.ResumeTrust(pb.ResumeTrustRequest(ods="LCS1"), metadata=registry.as_admin(), timeout=5)


def test_the_sweep_covers_both_services() -> None:
    names = {m for _, m in EVERY_METHOD}
    assert {"GetTrust", "SuspendTrust", "OffboardTrust", "GetLeader", "RegisterLeader", "ExportLeaderData"} <= names


@pytest.mark.parametrize(("service_name", "method_name"), EVERY_METHOD)
def test_a_suspended_trusts_key_is_refused_by_every_method(
    registry: RegistryClient,
    suspended: tuple[pb.CreateTrustResponse, lpb.Affiliation],
    service_name: str,
    method_name: str,
) -> None:
    made, _ = suspended
    with pytest.raises(grpc.RpcError) as refused:
        response = call(registry, service_name, method_name, made.initial_key.key)
        pytest.fail(f"{method_name} answered a suspended trust: {response}")
    assert code_of(refused) == grpc.StatusCode.UNAUTHENTICATED, refused.value.details()
    assert "suspended" in refused.value.details()


def test_suspending_keeps_the_data_and_resuming_brings_back_only_unrevoked_keys(
    registry: RegistryClient, stack: PlrStack
) -> None:
    made = registry.onboard("LCR1")
    first = made.initial_key.key
    affiliation = registry.register(first, "resumed-trust-leader@example.org")
    second = registry.stub.IssueTrustKey(
        pb.IssueTrustKeyRequest(ods="LCR1"), metadata=registry.as_admin(), timeout=5
    ).key
    admin = registry.as_admin()
    suspended = registry.stub.SuspendTrust(pb.SuspendTrustRequest(ods="LCR1"), metadata=admin, timeout=5)
    assert (suspended.status, suspended.version) == ("suspended", 4)
    again = registry.stub.SuspendTrust(pb.SuspendTrustRequest(ods="LCR1"), metadata=admin, timeout=5)
    assert again.version == 4  # a no-op
    for key in (first, second.key):
        with pytest.raises(grpc.RpcError) as refused:
            registry.stub.GetTrust(pb.GetTrustRequest(), metadata=bearer(key), timeout=5)
        assert code_of(refused) == grpc.StatusCode.UNAUTHENTICATED
    # revoked while suspended: it stays revoked after the trust is resumed
    registry.stub.RevokeTrustKey(pb.RevokeTrustKeyRequest(ods="LCR1", key_id=second.key_id), metadata=admin, timeout=5)
    resumed = registry.stub.ResumeTrust(pb.ResumeTrustRequest(ods="LCR1"), metadata=admin, timeout=5)
    assert (resumed.status, resumed.version) == ("active", 6)
    assert registry.stub.GetTrust(pb.GetTrustRequest(), metadata=bearer(first), timeout=5).status == "active"
    with pytest.raises(grpc.RpcError) as refused:
        registry.stub.GetTrust(pb.GetTrustRequest(), metadata=bearer(second.key), timeout=5)
    assert code_of(refused) == grpc.StatusCode.UNAUTHENTICATED
    listed = registry.leaders.ListAffiliations(lpb.ListAffiliationsRequest(), metadata=bearer(first), timeout=5)
    assert [a.affiliation_id for a in listed.affiliations] == [affiliation.affiliation_id]
    assert registry_events(stack, "LCR1") == [
        ("plr.registry.trust.onboarded.v1", 1),
        ("plr.registry.trust.key_issued.v1", 2),
        ("plr.registry.trust.key_issued.v1", 3),
        ("plr.registry.trust.suspended.v1", 4),
        ("plr.registry.trust.key_revoked.v1", 5),
        ("plr.registry.trust.resumed.v1", 6),
    ]


@pytest.fixture(scope="module")
def lcp1(registry: RegistryClient) -> pb.CreateTrustResponse:
    return registry.onboard("LCP1")


@pytest.mark.parametrize("credential", ["trust", "portal"])
@pytest.mark.parametrize("method_name", ["SuspendTrust", "ResumeTrust", "OffboardTrust"])
def test_only_the_administrator_changes_a_trusts_lifecycle(
    registry: RegistryClient, stack: PlrStack, lcp1: pb.CreateTrustResponse, credential: str, method_name: str
) -> None:
    key = lcp1.initial_key.key if credential == "trust" else stack.env["PLR_REGISTRY_PORTAL_TOKEN"]
    request = {
        "SuspendTrust": pb.SuspendTrustRequest(ods="LCP1"),
        "ResumeTrust": pb.ResumeTrustRequest(ods="LCP1"),
        "OffboardTrust": pb.OffboardTrustRequest(ods="LCP1", confirm_ods="LCP1"),
    }[method_name]
    with pytest.raises(grpc.RpcError) as refused:
        getattr(registry.stub, method_name)(request, metadata=bearer(key), timeout=5)
    assert code_of(refused) == grpc.StatusCode.PERMISSION_DENIED
    trust = registry.stub.GetTrust(pb.GetTrustRequest(ods="LCP1"), metadata=registry.as_admin(), timeout=5)
    assert (trust.status, trust.version) == ("active", 2)


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (pb.OffboardTrustRequest(ods="LCV1"), "confirm_ods"),
        (pb.OffboardTrustRequest(ods="LCV1", confirm_ods="LCV2"), "confirm_ods"),
        (pb.OffboardTrustRequest(ods="LCV1", confirm_ods="lcv1"), "confirm_ods"),
        (pb.OffboardTrustRequest(ods="lcv1", confirm_ods="lcv1"), "ods"),
    ],
)
def test_offboarding_needs_the_code_stated_twice(
    registry: RegistryClient, request_: pb.OffboardTrustRequest, field: str
) -> None:
    registry.onboard("LCV1")
    with pytest.raises(grpc.RpcError) as refused:
        registry.stub.OffboardTrust(request_, metadata=registry.as_admin(), timeout=5)
    assert code_of(refused) == grpc.StatusCode.INVALID_ARGUMENT
    assert refused.value.details().startswith(f"{field}:")
    trust = registry.stub.GetTrust(pb.GetTrustRequest(ods="LCV1"), metadata=registry.as_admin(), timeout=5)
    assert trust.status == "active"


def test_bad_lifecycle_requests_name_the_field(registry: RegistryClient) -> None:
    admin = registry.as_admin()
    cases = [
        (registry.stub.SuspendTrust, pb.SuspendTrustRequest(ods="nope"), "ods"),
        (registry.stub.SuspendTrust, pb.SuspendTrustRequest(ods="LCV1", reason="x" * 501), "reason"),
        (registry.stub.SuspendTrust, pb.SuspendTrustRequest(ods="LCV1", reason="bad\x07bell"), "reason"),
        (registry.stub.ResumeTrust, pb.ResumeTrustRequest(ods=""), "ods"),
    ]
    for method, request, field in cases:
        with pytest.raises(grpc.RpcError) as refused:
            method(request, metadata=admin, timeout=5)
        assert code_of(refused) == grpc.StatusCode.INVALID_ARGUMENT
        assert refused.value.details().startswith(f"{field}:"), refused.value.details()
    with pytest.raises(grpc.RpcError) as missing:
        registry.stub.SuspendTrust(pb.SuspendTrustRequest(ods="LCZZ9"), metadata=admin, timeout=5)
    assert code_of(missing) == grpc.StatusCode.NOT_FOUND


def test_other_services_refuse_a_suspended_trusts_key_once_they_hear_of_it(
    registry: RegistryClient, stack: PlrStack
) -> None:
    """The matching database's trust directory, fed the registry's own outbox rows (as its worker
    would be), in order and then with a stale event arriving late."""
    made = registry.onboard("LCD1")
    admin = registry.as_admin()
    engine = stack.engine("matching")
    consumer = InboxConsumer(
        name="matching.trust-directory.lifecycle-test", engine=engine, handlers=projection_handlers()
    )
    authenticator = Authenticator(engine, None)
    delivered: set[str] = set()

    def deliver_new() -> list[CloudEvent]:
        with scoped_transaction(stack.engine("registry"), TenantScope.platform_wide()) as connection:
            payloads = connection.execute(
                sa.select(outbox.c.event_id, outbox.c.payload)
                .where(outbox.c.aggregate_id == "LCD1")
                .order_by(outbox.c.aggregate_version)
            ).all()
        events = [CloudEvent.from_dict(json.loads(p.payload)) for p in payloads if str(p.event_id) not in delivered]
        for event in events:
            consumer.process(event.to_json())
            delivered.add(event.id)
        return events

    def works() -> bool:
        try:
            return authenticator.authenticate({"authorization": f"Bearer {made.initial_key.key}"}).trust_ods == "LCD1"
        except Unauthenticated:
            return False

    deliver_new()
    assert works()
    registry.stub.SuspendTrust(pb.SuspendTrustRequest(ods="LCD1"), metadata=admin, timeout=5)
    [suspended_event] = deliver_new()
    assert not works()
    registry.stub.ResumeTrust(pb.ResumeTrustRequest(ods="LCD1"), metadata=admin, timeout=5)
    deliver_new()
    assert works()
    # the suspension again, late, as a new delivery (a replay from a dead-letter queue): older, so ignored
    consumer.process(
        CloudEvent.from_dict({**suspended_event.to_dict(), "id": "6f1d9a86-0000-4000-8000-000000000001"}).to_json()
    )
    assert works()
    registry.offboard("LCD1")
    deliver_new()
    assert not works()
    with scoped_transaction(engine, TenantScope.platform_wide()) as connection:
        status = connection.execute(sa.text("SELECT status FROM trusts WHERE trust_ods = 'LCD1'")).scalar_one()
    assert status == "offboarded"


def test_other_services_know_each_key_s_scopes_and_a_key_from_before_scopes_has_the_default(
    registry: RegistryClient, stack: PlrStack
) -> None:
    """The matching database's directory, fed a key's event as the registry emits it now (with its
    scopes) and one as it was emitted before scopes existed (without): the latter's key keeps working
    with read, people and checks."""
    made = registry.onboard("LCK1", key_scopes=("read",))
    engine = stack.engine("matching")
    consumer = InboxConsumer(name="matching.trust-directory.scopes-test", engine=engine, handlers=projection_handlers())
    with scoped_transaction(stack.engine("registry"), TenantScope.platform_wide()) as connection:
        payloads = connection.execute(
            sa.select(outbox.c.payload).where(outbox.c.aggregate_id == "LCK1").order_by(outbox.c.aggregate_version)
        ).scalars()
        events = [CloudEvent.from_dict(json.loads(p)) for p in payloads]
    for event in events:
        consumer.process(event.to_json())
    authenticator = Authenticator(engine, None)
    key = made.initial_key.key
    assert authenticator.authenticate({"authorization": f"Bearer {key}"}).scopes == {"read"}
    [issued] = [e for e in events if e.type == "plr.registry.trust.key_issued.v1"]
    old = NewApiKey("plrk_0ldkey0000000000", "o" * 43)
    before_scopes = {k: v for k, v in issued.data.items() if k != "scopes"}
    consumer.process(
        CloudEvent.from_dict(
            {
                **issued.to_dict(),
                "id": "6f1d9a86-0000-4000-8000-000000000002",
                "aggregateversion": 3,
                "data": {**before_scopes, "key_id": old.key_id, "secret_sha256": old.secret_sha256},
            }
        ).to_json()
    )
    principal = authenticator.authenticate({"authorization": f"Bearer {old.presented}"})
    assert (principal.trust_ods, principal.scopes) == ("LCK1", {"read", "people", "checks"})


def test_offboarding_exports_then_erases_what_only_the_trust_held(registry: RegistryClient, stack: PlrStack) -> None:
    gone = registry.onboard("LCO1", "Leaving NHS Trust")
    stays = registry.onboard("LCO2", "Staying NHS Trust")
    gone_key, stays_key = gone.initial_key.key, stays.initial_key.key
    # only LCO1's, confirmed, contactable by LCO1
    only = registry.confirm(registry.register(gone_key, "only-lco1@example.org", "CanaryOnly", "Person"))
    registry.consent(only.leader_id, "contact_by_trust", "LCO1")
    registry.leaders.RecordConsent(
        lpb.RecordConsentRequest(
            idempotency_key="lco1-consent-1",
            leader_id=only.leader_id,
            purpose="lived_experience_matching",
            grant=True,
            wording_version="2026-11",
            evidence="CanaryEvidence form",
            on_behalf=lpb.OnBehalf(staff="CanaryStaff", how_asked="CanaryAsked by phone"),  # the person's own
        ),
        metadata=bearer(gone_key),
        timeout=5,
    )
    # only LCO1's, never confirmed
    pending = registry.register(gone_key, "pending-lco1@example.org", "CanaryPending", "Person")
    # both trusts'
    shared = registry.confirm(registry.register(gone_key, "shared@example.org", "Shared", "Person"))
    registry.confirm(registry.register(stays_key, "shared@example.org", "Shared", "Person"))
    registry.leaders.AddTerm(
        lpb.AddTermRequest(kind="skill", code="lco1_board", label="LCO1 board"), metadata=bearer(gone_key), timeout=5
    )

    assert {"leaders", "consent_recorders", "idempotency_keys"} <= set(canaries(stack))  # the probe finds them

    response = registry.offboard("LCO1")

    assert response.trust.status == "offboarded"
    assert (response.leaders_erased, response.affiliations_ended) == (2, 3)
    document = json.loads(response.export_document)
    assert document["trust"]["ods"] == "LCO1" and document["trust"]["name"] == "Leaving NHS Trust"
    assert {a["leader_id"]: a["status"] for a in document["affiliations"]} == {
        only.leader_id: "active",
        pending.leader_id: "pending",
        shared.leader_id: "active",
    }
    exported = {entry["leader_id"]: entry for entry in document["leaders"]}
    assert set(exported) == {only.leader_id, shared.leader_id}
    assert exported[only.leader_id]["profile"]["given_name"] == "CanaryOnly"
    assert exported[only.leader_id]["profile"]["email"] == "only-lco1@example.org"
    assert "email" not in exported[shared.leader_id]["profile"]  # no consent to contact: as LCO1 saw them
    assert document["terms"] == [{"kind": "skill", "code": "lco1_board", "label": "LCO1 board"}]
    assert "CanaryPending" not in response.export_document

    # the trust is gone for good: keys revoked and refused, no way back
    keys = registry.stub.ListTrustKeys(pb.ListTrustKeysRequest(ods="LCO1"), metadata=registry.as_admin(), timeout=5)
    assert all(k.HasField("revoked_at") for k in keys.keys)
    with pytest.raises(grpc.RpcError) as refused:
        registry.stub.GetTrust(pb.GetTrustRequest(), metadata=bearer(gone_key), timeout=5)
    assert code_of(refused) == grpc.StatusCode.UNAUTHENTICATED
    for method, request in (
        (registry.stub.ResumeTrust, pb.ResumeTrustRequest(ods="LCO1")),
        (registry.stub.SuspendTrust, pb.SuspendTrustRequest(ods="LCO1")),
    ):
        with pytest.raises(grpc.RpcError) as refused:
            method(request, metadata=registry.as_admin(), timeout=5)
        assert code_of(refused) == grpc.StatusCode.FAILED_PRECONDITION

    # the other trust still has the shared leader, whole
    seen = registry.leaders.GetLeader(
        lpb.GetLeaderRequest(leader_id=shared.leader_id), metadata=bearer(stays_key), timeout=5
    )
    assert seen.profile.given_name == "Shared" and seen.status == "active"

    with scoped_transaction(stack.engine("registry"), TenantScope.platform_wide()) as connection:
        people = {
            r.leader_id: r
            for r in connection.execute(
                sa.select(leaders).where(leaders.c.leader_id.in_([only.leader_id, pending.leader_id, shared.leader_id]))
            )
        }
        ended = connection.execute(
            sa.select(affiliations.c.status, affiliations.c.end_reason).where(affiliations.c.trust_ods == "LCO1")
        ).all()
        own_terms = connection.execute(sa.select(terms).where(terms.c.trust_ods == "LCO1")).all()
    for erased in (only.leader_id, pending.leader_id):
        row = people[erased]
        assert row.erased_at is not None and row.status == "erased"
        assert (row.given_name, row.family_name, row.email, row.email_key, row.phone) == (None,) * 5
        assert "Canary" not in json.dumps(row.profile)
    assert people[shared.leader_id].given_name == "Shared" and people[shared.leader_id].erased_at is None
    # nothing of the erased people is left anywhere in the registry's database
    assert canaries(stack) == {}
    assert {(r.status, r.end_reason) for r in ended} == {("ended", "trust offboarded")} and len(ended) == 3
    assert own_terms == []

    assert registry_events(stack, "LCO1")[-1][0] == "plr.registry.trust.offboarded.v1"
    for erased in (only.leader_id, pending.leader_id):
        assert registry_events(stack, erased)[-1][0] == "plr.registry.leader.erased.v1"
    assert "plr.registry.leader.erased.v1" not in [t for t, _ in registry_events(stack, shared.leader_id)]

    # the erased person's email is free again: registering it makes a new person
    again = registry.register(stays_key, "only-lco1@example.org", "New", "Person")
    assert again.leader_id != only.leader_id

    # offboarding again changes nothing
    repeat = registry.stub.OffboardTrust(
        pb.OffboardTrustRequest(ods="LCO1", confirm_ods="LCO1"), metadata=registry.as_admin(), timeout=10
    )
    assert (repeat.trust.version, repeat.leaders_erased, repeat.affiliations_ended) == (response.trust.version, 0, 0)


def test_offboarding_keeps_the_export_and_erases_only_when_its_digest_is_confirmed(
    registry: RegistryClient, stack: PlrStack
) -> None:
    key = registry.onboard("LCX1").initial_key.key
    person = registry.confirm(registry.register(key, "lcx1@example.org", "Confirmed", "Later"))
    taken = registry.stub.OffboardTrust(
        pb.OffboardTrustRequest(ods="LCX1", confirm_ods="LCX1"), metadata=registry.as_admin(), timeout=30
    )
    assert taken.trust.status == "suspended" and (taken.leaders_erased, taken.affiliations_ended) == (0, 0)
    assert "Confirmed" in taken.export_document
    with pytest.raises(grpc.RpcError) as refused:
        registry.stub.ConfirmOffboardExport(
            pb.ConfirmOffboardExportRequest(ods="LCX1", export_sha256="0" * 64),
            metadata=registry.as_admin(),
            timeout=10,
        )
    assert code_of(refused) == grpc.StatusCode.INVALID_ARGUMENT
    assert refused.value.details().startswith("export_sha256:")
    seen = registry.leaders.GetLeader(
        lpb.GetLeaderRequest(leader_id=person.leader_id), metadata=registry.as_leader(person.leader_id), timeout=5
    )
    assert seen.profile.given_name == "Confirmed"  # nothing erased

    confirm = pb.ConfirmOffboardExportRequest(ods="LCX1", export_sha256=taken.export_sha256)
    done = registry.stub.ConfirmOffboardExport(confirm, metadata=registry.as_admin(), timeout=30)
    assert done.trust.status == "offboarded" and (done.leaders_erased, done.affiliations_ended) == (1, 1)
    again = registry.stub.ConfirmOffboardExport(confirm, metadata=registry.as_admin(), timeout=30)
    assert (again.trust.version, again.leaders_erased) == (done.trust.version, 1)  # erased once
    assert [t for t, _ in registry_events(stack, "LCX1")].count("plr.registry.trust.offboarded.v1") == 1
    with pytest.raises(grpc.RpcError) as refused:
        registry.stub.ConfirmOffboardExport(
            pb.ConfirmOffboardExportRequest(ods="LCX2", export_sha256=taken.export_sha256),
            metadata=bearer(key),
            timeout=10,
        )
    assert code_of(refused) in (grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.UNAUTHENTICATED)
