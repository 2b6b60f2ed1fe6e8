"""Trust B's key can neither read nor change trust A's leader, affiliation, consent, audit or export
through any LeaderService method. The methods are listed from the service descriptor; each request
is aimed at A's leader through the fields such requests use. A method may refuse (PERMISSION_DENIED,
NOT_FOUND) or answer B about B's own affairs; either way nothing of A's shows and nothing of A's
changes."""

from __future__ import annotations

import uuid

import grpc
import pytest
from google.protobuf import message_factory
from google.protobuf.descriptor import FieldDescriptor
from plr.registry.v1 import leaders_pb2 as lpb

from services.common.grpc_client import bearer
from services.registry.tests.integration.conftest import RegistryClient

pytestmark = pytest.mark.integration

SERVICE = lpb.DESCRIPTOR.services_by_name["LeaderService"]
METHODS = [m.name for m in SERVICE.methods]
REFUSED = {grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.NOT_FOUND}
CANARY = "Quixotica"


class TrustA:
    def __init__(self, registry: RegistryClient):
        self.key = registry.onboard("RSA", "Sweep Trust A").initial_key.key
        self.email = f"sweep-{uuid.uuid4().hex[:8]}@example.org"
        affiliation = registry.register(self.key, self.email, given=CANARY, phone="07700 900555", skills=["chairing"])
        registry.confirm(affiliation)
        self.leader_id = affiliation.leader_id
        self.affiliation_id = affiliation.affiliation_id
        registry.consent(self.leader_id, "contact_by_trust", "RSA")
        registry.consent(self.leader_id, "lived_experience_matching")


@pytest.fixture(scope="module")
def a(registry: RegistryClient) -> TrustA:
    return TrustA(registry)


@pytest.fixture(scope="module")
def b_key(registry: RegistryClient) -> str:
    return registry.onboard("RSB", "Sweep Trust B").initial_key.key


def aimed_at(method_name: str, a: TrustA, on_behalf: bool = False) -> object:
    method = SERVICE.methods_by_name[method_name]
    request = message_factory.GetMessageClass(method.input_type)()
    values = {
        "leader_id": a.leader_id,
        "affiliation_id": a.affiliation_id,
        "target": "RSA",
        "purpose": "contact_by_trust",
        "reason": "taken over",
        "wording_version": "1",
        "evidence": "none",
        "kind": "skill",
        "code": "sweep_term",
        "label": "Sweep",
        "until": "2099-01-01",
        "token": "A" * 43,  # a well-formed link code (VerifyEmailChange): the refusal is then who may call
    }
    for field in method.input_type.fields:
        if field.type == FieldDescriptor.TYPE_STRING and field.name in values:
            setattr(request, field.name, values[field.name])
        elif field.name == "expected_version":
            setattr(request, field.name, 1)
        elif field.name == "grant":
            setattr(request, field.name, False)
        elif field.name == "profile":
            request.profile.CopyFrom(lpb.LeaderProfile(given_name="Mallory", family_name="B", email=a.email))
        elif field.name == "on_behalf" and on_behalf:  # claiming to act for the person changes nothing either
            request.on_behalf.CopyFrom(lpb.OnBehalf(staff="Mallory", how_asked="they said so"))
    return request


def snapshot(registry: RegistryClient, a: TrustA) -> tuple[bytes, ...]:
    as_leader = registry.as_leader(a.leader_id)
    leader = registry.leaders.GetLeader(lpb.GetLeaderRequest(leader_id=a.leader_id), metadata=as_leader, timeout=10)
    consents = registry.leaders.ListConsents(
        lpb.ListConsentsRequest(leader_id=a.leader_id), metadata=as_leader, timeout=10
    )
    affiliations = registry.leaders.ListAffiliations(lpb.ListAffiliationsRequest(), metadata=bearer(a.key), timeout=10)
    return tuple(m.SerializeToString(deterministic=True) for m in (leader, consents, affiliations))


def test_the_sweep_covers_every_method() -> None:
    assert len(METHODS) >= 20 and {"GetLeader", "ExportLeaderData", "RecordConsent"} <= set(METHODS)


@pytest.mark.parametrize("on_behalf", [False, True], ids=["as_itself", "on_behalf"])
@pytest.mark.parametrize("method_name", METHODS)
def test_trust_b_cannot_read_or_change_trust_as_leader(
    registry: RegistryClient, a: TrustA, b_key: str, method_name: str, on_behalf: bool
) -> None:
    before = snapshot(registry, a)
    call = getattr(registry.leaders, method_name)
    try:
        response = call(aimed_at(method_name, a, on_behalf), metadata=bearer(b_key), timeout=10)
    except grpc.RpcError as error:
        assert error.code() in REFUSED, f"{method_name}: {error.code()} {error.details()}"
        assert CANARY not in (error.details() or "")
    else:
        shown = str(response)
        assert CANARY not in shown and "RSA" not in shown and a.affiliation_id not in shown, (method_name, shown)
        # the phone in any form; not its prefix alone, which a timestamp's nanoseconds may hold ("929077000")
        assert not any(phone in shown for phone in ("7700 900555", "7700900555")), shown
    assert snapshot(registry, a) == before, f"{method_name} changed trust A's leader"


def test_another_trust_s_private_term_is_answered_as_an_unknown_term_on_registration(
    registry: RegistryClient, a: TrustA, b_key: str
) -> None:
    private = f"rsa_private_{uuid.uuid4().hex[:6]}"
    registry.leaders.AddTerm(
        lpb.AddTermRequest(kind="skill", code=private, label="A's own"), metadata=bearer(a.key), timeout=10
    )

    def refusal(code: str) -> tuple[grpc.StatusCode, str]:
        email = f"probe-{uuid.uuid4().hex[:8]}@example.org"
        with pytest.raises(grpc.RpcError) as refused:
            registry.register(b_key, email, skills=["chairing", code])
        return refused.value.code(), (refused.value.details() or "").replace(code, "CODE")

    assert refusal(private) == refusal(f"rsa_nothing_{uuid.uuid4().hex[:6]}")
    assert refusal(private)[0] == grpc.StatusCode.INVALID_ARGUMENT
    assert registry.register(a.key, f"own-{uuid.uuid4().hex[:8]}@example.org", skills=[private]).status == "pending"
