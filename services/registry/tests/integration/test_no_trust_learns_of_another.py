"""No trust learns of another through a write of identity or contact details: for every such write
method (RegisterLeader, UpdateLeader of each name and contact field, ImportLeaders), the answer is
byte-identical (apart from ids and times) whether or not another trust holds a person with the same
value. A trust's name and contact fields are its own record of how it knows the person
(``Leader.known_as``); the person's own details change only by the person, and the person's own
address colliding with someone's is INVALID_ARGUMENT naming ``email``, never INTERNAL."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable

import grpc
import pytest
import sqlalchemy as sa
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message
from plr.registry.v1 import imports_pb2, imports_pb2_grpc
from plr.registry.v1 import leaders_pb2 as lpb

from services.common.db import scoped_transaction
from services.common.grpc_client import bearer
from services.common.tenancy import TenantScope
from services.registry.adapters.tables import known_details
from services.registry.tests.integration.conftest import RegistryClient
from tests.support.infra import PlrStack

pytestmark = pytest.mark.integration

A, B = "NLA", "NLB"


def fresh(field: str) -> str:
    token = uuid.uuid4().hex[:8]
    return {
        "email": f"held-{token}@example.org",
        "phone": f"07700 {int(token, 16) % 1_000_000:06d}",
        "given_name": f"Given{token}",
        "family_name": f"Family{token}",
    }[field]


def without_times(message: Message) -> Message:
    made = type(message)()
    made.CopyFrom(message)
    _clear_times(made)
    return made


def _clear_times(message: Message) -> None:
    for field, value in list(message.ListFields()):
        if field.type != FieldDescriptor.TYPE_MESSAGE:
            continue
        if field.message_type.full_name == "google.protobuf.Timestamp":
            message.ClearField(field.name)
        elif field.is_repeated:
            for item in value:
                if isinstance(item, Message):
                    _clear_times(item)
        else:
            _clear_times(value)


def masked(message: Message, *names: str) -> bytes:
    """The answer, its times cleared and each named string (ids, the person's own address) replaced."""
    text = str(without_times(message))
    for i, name in enumerate(names):
        text = text.replace(name, f"<{i}>")
    return text.encode()


class Trusts:
    def __init__(self, registry: RegistryClient):
        self.registry = registry
        self.a = registry.onboard(A, "No Oracle Trust A").initial_key.key
        self.b = registry.onboard(B, "No Oracle Trust B").initial_key.key

    def person_of_a(self) -> tuple[str, str, str]:
        """(leader id, affiliation id, own email) of a person A holds and may contact."""
        email = fresh("email")
        affiliation = self.registry.register(self.a, email)
        self.registry.confirm(affiliation)
        self.registry.consent(affiliation.leader_id, "contact_by_trust", A)
        return affiliation.leader_id, affiliation.affiliation_id, email

    def b_holds(self, **profile: str) -> str:
        """B holds (actively) a person with these details."""
        email = profile.pop("email", fresh("email"))
        given, family = profile.pop("given_name", "Bea"), profile.pop("family_name", "Other")
        affiliation = self.registry.register(self.b, email, given, family, **profile)
        self.registry.confirm(affiliation)
        return affiliation.leader_id


@pytest.fixture(scope="module")
def trusts(registry: RegistryClient) -> Trusts:
    return Trusts(registry)


def answer(call: Callable[[], Message]) -> Message | tuple[grpc.StatusCode, str]:
    try:
        return call()
    except grpc.RpcError as error:
        return error.code(), error.details() or ""


def update(registry: RegistryClient, key: str, leader_id: str, field: str, value: str) -> Message:
    current = registry.leaders.GetLeader(lpb.GetLeaderRequest(leader_id=leader_id), metadata=bearer(key), timeout=10)
    request = lpb.UpdateLeaderRequest(
        leader_id=leader_id,
        expected_version=current.version,
        profile=lpb.LeaderProfile(**{field: value}),
        fields=[field],
    )
    made = answer(lambda: registry.leaders.UpdateLeader(request, metadata=bearer(key), timeout=10))
    assert isinstance(made, Message), f"UpdateLeader {field}: {made}"
    return made


@pytest.mark.parametrize("field", ["email", "phone", "given_name", "family_name"])
def test_a_trust_s_update_answers_alike_whether_or_not_another_trust_holds_the_value(
    registry: RegistryClient, trusts: Trusts, field: str
) -> None:
    value = fresh(field)
    alone, alone_affiliation, alone_email = trusts.person_of_a()
    first = update(registry, trusts.a, alone, field, value)  # nobody else holds the value
    trusts.b_holds(**{field: value})
    held, held_affiliation, held_email = trusts.person_of_a()
    second = update(registry, trusts.a, held, field, value)  # another trust's person holds it now
    assert masked(first, alone, alone_affiliation, alone_email) == masked(second, held, held_affiliation, held_email)
    assert getattr(second.known_as, field) == getattr(lpb.LeaderProfile(**{field: value}), field)


def test_a_trust_s_update_changes_its_own_record_never_the_person_s(registry: RegistryClient, trusts: Trusts) -> None:
    leader_id, _, own = trusts.person_of_a()
    taken = fresh("email")
    trusts.b_holds(email=taken)
    seen = update(registry, trusts.a, leader_id, "email", taken)
    assert seen.known_as.email == taken and seen.profile.email == own
    person = registry.leaders.GetLeader(
        lpb.GetLeaderRequest(leader_id=leader_id), metadata=registry.as_leader(leader_id), timeout=10
    )
    assert person.profile.email == own and not person.HasField("known_as")
    again = registry.leaders.GetLeader(lpb.GetLeaderRequest(leader_id=leader_id), metadata=bearer(trusts.a), timeout=10)
    assert again.known_as.email == taken


def test_registering_a_person_another_trust_holds_answers_as_registering_anyone(
    registry: RegistryClient, trusts: Trusts
) -> None:
    alone = registry.register(trusts.a, fresh("email"), phone="07700 900111")
    held_email = fresh("email")
    trusts.b_holds(email=held_email, phone="07700 900222")
    held = registry.register(trusts.a, held_email, phone="07700 900111")
    assert masked(alone, alone.leader_id, alone.affiliation_id) == masked(held, held.leader_id, held.affiliation_id)


def test_importing_a_person_another_trust_holds_answers_as_importing_anyone(
    registry: RegistryClient, trusts: Trusts
) -> None:
    imports = imports_pb2_grpc.ImportServiceStub(registry.channel)

    def imported(email: str) -> Message:
        cells = {"given_name": "Ira", "family_name": "Port", "email": email, "phone": "07700 900333"}
        request = imports_pb2.ImportLeadersRequest(trust_ods=A, rows=[imports_pb2.ImportRow(row_number=2, cells=cells)])
        return imports.ImportLeaders(request, metadata=registry.as_admin(), timeout=30)

    def ids(response: Message) -> list[str]:
        return [i for r in getattr(response, "results", ()) for i in (r.affiliation_id, r.leader_id) if i]

    alone = imported(fresh("email"))
    held_email = fresh("email")
    trusts.b_holds(email=held_email)
    held = imported(held_email)
    assert masked(alone, *ids(alone)) == masked(held, *ids(held))


def test_the_person_asking_for_an_address_someone_else_holds_answers_as_for_any_address(
    registry: RegistryClient, trusts: Trusts
) -> None:
    leader_id, _, own = trusts.person_of_a()
    taken = fresh("email")
    trusts.b_holds(email=taken)

    def ask(address: str) -> Message:
        current = registry.leaders.GetLeader(
            lpb.GetLeaderRequest(leader_id=leader_id), metadata=registry.as_leader(leader_id), timeout=10
        )
        request = lpb.UpdateLeaderRequest(
            leader_id=leader_id,
            expected_version=current.version,
            profile=lpb.LeaderProfile(email=address),
            fields=["email"],
        )
        made = registry.leaders.UpdateLeader(request, metadata=registry.as_leader(leader_id), timeout=10)
        made.version = 0  # each asking is a change of its own
        return made

    free, held = ask(fresh("email")), ask(taken.upper())
    assert masked(free) == masked(held) and held.email_change_pending and held.profile.email == own


def test_a_trust_s_record_leaves_with_it_and_with_the_person(
    registry: RegistryClient, trusts: Trusts, stack: PlrStack
) -> None:
    ods = "NL" + uuid.uuid4().hex[:3].upper()
    key = registry.onboard(ods).initial_key.key
    leader_id, _, own = trusts.person_of_a()
    registry.confirm(registry.register(key, own, given="Known", family="Elsewhere"))

    def records() -> dict[str, str]:
        request = lpb.ExportLeaderDataRequest(leader_id=leader_id)
        document = registry.leaders.ExportLeaderData(request, metadata=registry.as_leader(leader_id), timeout=10)
        return {k["trust_ods"]: k["given_name"] for k in json.loads(document.document)["known_details"]}

    assert records() == {A: "Ada", ods: "Known"}
    exported = registry.offboard(ods).export_document
    assert "Elsewhere" in exported  # the trust's export holds its record, then it goes
    assert records() == {A: "Ada"}
    registry.leaders.EraseLeader(
        lpb.EraseLeaderRequest(leader_id=leader_id), metadata=registry.as_leader(leader_id), timeout=10
    )
    with scoped_transaction(stack.engine("registry"), TenantScope.platform_wide()) as connection:
        left = connection.execute(sa.select(known_details).where(known_details.c.leader_id == leader_id)).all()
    assert left == []
