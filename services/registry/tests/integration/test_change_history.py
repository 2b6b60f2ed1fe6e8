"""The change history through the API: every write method of every registry service (listed from the
service descriptors, so a method added later fails the sweep until it has a scenario) leaves an entry
naming who wrote (principal kind and id, staff named, correlation id, method), which fields, and the
request's reason and evidence. The person reads all of it, a trust only its own writes, and it is in
the exports; the table refuses UPDATE and DELETE; erasure blanks reason and evidence only."""

from __future__ import annotations

import importlib
import json
import pkgutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import grpc
import plr.registry.v1
import pytest
import sqlalchemy as sa
from google.protobuf.descriptor import FileDescriptor
from plr.registry.v1 import (
    checks_pb2,
    checks_pb2_grpc,
    demo_pb2,
    demo_pb2_grpc,
    imports_pb2,
    imports_pb2_grpc,
    networks_pb2_grpc,
)
from plr.registry.v1 import development_pb2 as dpb
from plr.registry.v1 import leaders_pb2 as lpb
from plr.registry.v1 import networks_pb2 as npb
from plr.registry.v1 import registry_pb2 as rpb
from plr.registry.v1 import staff_pb2 as spb
from sqlalchemy.engine import Engine

from services.common.db import scoped_transaction
from services.common.grpc_client import bearer
from services.common.tenancy import TenantScope
from services.registry.adapters.tables import email_changes
from services.registry.domain.email_change import new_token, token_digest
from services.registry.tests.integration.conftest import RegistryClient
from services.registry.tests.integration.development_support import development
from tests.support.infra import PlrStack

pytestmark = pytest.mark.integration

# every registry proto's services: a proto added later is swept without anyone listing it here
FILES: tuple[FileDescriptor, ...] = tuple(
    importlib.import_module(f"plr.registry.v1.{m.name}").DESCRIPTOR
    for m in pkgutil.iter_modules(plr.registry.v1.__path__)
    if m.name.endswith("_pb2")
)
READS = ("Get", "List", "Export", "Find")
WRITES = sorted(
    m.name
    for f in FILES
    for s in f.services_by_name.values()
    for m in s.methods
    if not m.name.startswith(READS) and m.name != "MayPlace"
)
STAFF = "kim.recruiter"
A_PERSON = "*"  # a person the test cannot name beforehand (an imported one)


@dataclass(frozen=True)
class Expected:
    principal_kind: str
    principal: str
    leader_id: str = ""
    staff: str = ""
    reason: str = ""
    evidence: str = ""


class World:
    """Trust A (ODS "RHA") and trust B ("RHB"), and a way to make a person A holds actively."""

    def __init__(self, registry: RegistryClient):
        self.registry = registry
        self.a_key = registry.onboard("RHA", "History Trust A").initial_key.key
        self.b_key = registry.onboard("RHB", "History Trust B").initial_key.key
        self.facilitator = registry.add_staff("RHA", "facilitator").staff_id  # acts through the portal
        self.cid = ""
        self.engine: Engine | None = None  # the registry's database, for what only the notifier writes

    def meta(
        self, key: str | None = None, leader: str | None = None, staff: str | None = None, staff_id: str | None = None
    ) -> tuple:
        """Credentials for a trust key (``staff``: a staff name it claims), a member of staff or a leader
        (through the portal) or the administrator, with a fresh correlation id the entry must carry."""
        self.cid = f"history-{uuid.uuid4().hex}"
        if staff_id is not None:
            base = self.registry.as_staff(staff_id)
        elif leader is not None:
            base = self.registry.as_leader(leader)
        elif key is not None:
            base = bearer(key)
        else:
            base = self.registry.as_admin()
        return (*base, ("x-correlation-id", self.cid), *((("x-plr-staff", staff),) if staff else ()))

    def person(self, key: str | None = None, consents: tuple[tuple[str, str], ...] = ()) -> str:
        affiliation = self.registry.register(key or self.a_key, f"history-{uuid.uuid4().hex[:10]}@example.org")
        self.registry.confirm(affiliation)
        for purpose, target in consents:
            self.registry.consent(affiliation.leader_id, purpose, target)
        return affiliation.leader_id

    def both(self) -> str:
        """A person A and B both hold, who shares their record with B."""
        email = f"history-both-{uuid.uuid4().hex[:10]}@example.org"
        for key in (self.a_key, self.b_key):
            self.registry.confirm(self.registry.register(key, email))
        leader_id = self.registry.register(self.a_key, email).leader_id
        self.registry.consent(leader_id, "share_record_with_trust", "RHB")
        return leader_id

    @property
    def leaders(self):  # noqa: ANN201
        return self.registry.leaders

    @property
    def checks(self) -> checks_pb2_grpc.CheckServiceStub:
        return checks_pb2_grpc.CheckServiceStub(self.registry.channel)


Scenario = Callable[[World], Expected]
SCENARIOS: dict[str, Scenario] = {}


def scenario(method: str) -> Callable[[Scenario], Scenario]:
    def add(made: Scenario) -> Scenario:
        SCENARIOS[method] = made
        return made

    return add


def version(registry: RegistryClient, leader_id: str) -> int:
    request = lpb.GetLeaderRequest(leader_id=leader_id)
    return int(registry.leaders.GetLeader(request, metadata=registry.as_leader(leader_id), timeout=10).version)


def trust_a(leader_id: str = "", **more: str) -> Expected:
    return Expected("trust", "RHA", leader_id, **more)


def leader(leader_id: str) -> Expected:
    return Expected("leader", f"leader:{leader_id}", leader_id)


ADMIN = Expected("administrator", "administrator")


# --- the registry service (the administrator's) --------------------------------------------------


def _fresh_trust(w: World) -> str:
    ods = "RH" + uuid.uuid4().hex[:3].upper()
    w.registry.onboard(ods)
    return ods


@scenario("CreateTrust")
def _(w: World) -> Expected:
    ods = "RH" + uuid.uuid4().hex[:3].upper()
    w.registry.stub.CreateTrust(rpb.CreateTrustRequest(ods=ods, name="New Trust"), metadata=w.meta(), timeout=10)
    return ADMIN


@scenario("IssueTrustKey")
def _(w: World) -> Expected:
    w.registry.stub.IssueTrustKey(rpb.IssueTrustKeyRequest(ods=_fresh_trust(w)), metadata=w.meta(), timeout=10)
    return ADMIN


@scenario("AddStaff")
def _(w: World) -> Expected:
    request = spb.AddStaffRequest(trust_ods="RHA", name="History Staff", roles=["finance"])
    w.registry.staff.AddStaff(request, metadata=w.meta(), timeout=10)
    return ADMIN


@scenario("RemoveStaff")
def _(w: World) -> Expected:
    member = w.registry.add_staff("RHA", "finance").staff_id
    request = spb.RemoveStaffRequest(trust_ods="RHA", staff_id=member)
    w.registry.staff.RemoveStaff(request, metadata=w.meta(), timeout=10)
    return ADMIN


@scenario("RevokeTrustKey")
def _(w: World) -> Expected:
    ods = _fresh_trust(w)
    key = w.registry.stub.IssueTrustKey(rpb.IssueTrustKeyRequest(ods=ods), metadata=w.meta(), timeout=10).key
    w.registry.stub.RevokeTrustKey(rpb.RevokeTrustKeyRequest(ods=ods, key_id=key.key_id), metadata=w.meta(), timeout=10)
    return ADMIN


@scenario("SuspendTrust")
def _(w: World) -> Expected:
    request = rpb.SuspendTrustRequest(ods=_fresh_trust(w), reason="unpaid invoice")
    w.registry.stub.SuspendTrust(request, metadata=w.meta(), timeout=10)
    return Expected("administrator", "administrator", reason="unpaid invoice")


@scenario("ResumeTrust")
def _(w: World) -> Expected:
    ods = _fresh_trust(w)
    w.registry.stub.SuspendTrust(rpb.SuspendTrustRequest(ods=ods, reason="a pause"), metadata=w.meta(), timeout=10)
    w.registry.stub.ResumeTrust(rpb.ResumeTrustRequest(ods=ods), metadata=w.meta(), timeout=10)
    return ADMIN


@scenario("OffboardTrust")
def _(w: World) -> Expected:
    ods = _fresh_trust(w)
    w.registry.stub.OffboardTrust(rpb.OffboardTrustRequest(ods=ods, confirm_ods=ods), metadata=w.meta(), timeout=30)
    return ADMIN


@scenario("ConfirmOffboardExport")
def _(w: World) -> Expected:
    ods = _fresh_trust(w)
    taken = w.registry.stub.OffboardTrust(
        rpb.OffboardTrustRequest(ods=ods, confirm_ods=ods), metadata=w.meta(), timeout=30
    )
    w.registry.stub.ConfirmOffboardExport(
        rpb.ConfirmOffboardExportRequest(ods=ods, export_sha256=taken.export_sha256), metadata=w.meta(), timeout=30
    )
    return ADMIN


# --- leaders ----------------------------------------------------------------------------------------


@scenario("RegisterLeader")
def _(w: World) -> Expected:
    profile = lpb.LeaderProfile(given_name="Reg", family_name="Ister", email=f"reg-{uuid.uuid4().hex[:8]}@example.org")
    request = lpb.RegisterLeaderRequest(profile=profile)
    made = w.leaders.RegisterLeader(request, metadata=w.meta(w.a_key, staff=STAFF), timeout=10).affiliation
    return trust_a(made.leader_id, staff=STAFF)


@scenario("ConfirmAffiliation")
def _(w: World) -> Expected:
    made = w.registry.register(w.a_key, f"conf-{uuid.uuid4().hex[:8]}@example.org")
    request = lpb.ConfirmAffiliationRequest(affiliation_id=made.affiliation_id)
    w.leaders.ConfirmAffiliation(request, metadata=w.meta(leader=made.leader_id), timeout=10)
    return leader(made.leader_id)


@scenario("DeclineAffiliation")
def _(w: World) -> Expected:
    made = w.registry.register(w.a_key, f"decl-{uuid.uuid4().hex[:8]}@example.org")
    request = lpb.DeclineAffiliationRequest(affiliation_id=made.affiliation_id)
    w.leaders.DeclineAffiliation(request, metadata=w.meta(leader=made.leader_id), timeout=10)
    return leader(made.leader_id)


@scenario("EndAffiliation")
def _(w: World) -> Expected:
    leader_id = w.person()
    request = lpb.EndAffiliationRequest(leader_id=leader_id, reason="moved away")
    w.leaders.EndAffiliation(request, metadata=w.meta(w.a_key), timeout=10)
    return trust_a(leader_id, reason="moved away")


@scenario("PauseAffiliation")
def _(w: World) -> Expected:
    leader_id = w.person()
    request = lpb.PauseAffiliationRequest(leader_id=leader_id, until="2099-02-01", reason="a busy quarter")
    w.leaders.PauseAffiliation(request, metadata=w.meta(w.a_key), timeout=10)
    return trust_a(leader_id, reason="a busy quarter")


@scenario("ResumeAffiliation")
def _(w: World) -> Expected:
    leader_id = w.person()
    w.leaders.PauseAffiliation(lpb.PauseAffiliationRequest(leader_id=leader_id), metadata=w.meta(w.a_key), timeout=10)
    w.leaders.ResumeAffiliation(lpb.ResumeAffiliationRequest(leader_id=leader_id), metadata=w.meta(w.a_key), timeout=10)
    return trust_a(leader_id)


@scenario("UpdateLeader")
def _(w: World) -> Expected:
    leader_id = w.person()
    request = lpb.UpdateLeaderRequest(
        leader_id=leader_id,
        expected_version=version(w.registry, leader_id),
        profile=lpb.LeaderProfile(postcode="LS1 4AP"),
        fields=["postcode"],
    )
    w.leaders.UpdateLeader(request, metadata=w.meta(leader=leader_id), timeout=10)
    return leader(leader_id)


@scenario("VerifyEmailChange")
def _(w: World) -> Expected:
    leader_id = w.person()
    request = lpb.UpdateLeaderRequest(
        leader_id=leader_id,
        expected_version=version(w.registry, leader_id),
        profile=lpb.LeaderProfile(email=f"history-new-{uuid.uuid4().hex[:10]}@example.org"),
        fields=["email"],
    )
    w.leaders.UpdateLeader(request, metadata=w.meta(leader=leader_id), timeout=10)
    token = new_token()  # as the notifier makes the link it mails
    assert w.engine is not None
    with scoped_transaction(w.engine, TenantScope.platform_wide()) as connection:
        connection.execute(
            email_changes.update()
            .where(email_changes.c.leader_id == leader_id)
            .values(token_sha256=token_digest(token))
        )
    verify = lpb.VerifyEmailChangeRequest(token=token)
    w.leaders.VerifyEmailChange(verify, metadata=w.meta(leader=leader_id), timeout=10)
    return leader(leader_id)


@scenario("PauseLeader")
def _(w: World) -> Expected:
    leader_id = w.person()
    request = lpb.PauseLeaderRequest(leader_id=leader_id, until="2099-01-01", reason="a long holiday")
    w.leaders.PauseLeader(request, metadata=w.meta(leader=leader_id), timeout=10)
    return Expected("leader", f"leader:{leader_id}", leader_id, reason="a long holiday")


@scenario("ResumeLeader")
def _(w: World) -> Expected:
    leader_id = w.person()
    w.leaders.PauseLeader(lpb.PauseLeaderRequest(leader_id=leader_id), metadata=w.meta(leader=leader_id), timeout=10)
    w.leaders.ResumeLeader(lpb.ResumeLeaderRequest(leader_id=leader_id), metadata=w.meta(leader=leader_id), timeout=10)
    return leader(leader_id)


@scenario("WithdrawLeader")
def _(w: World) -> Expected:
    leader_id = w.person()
    request = lpb.WithdrawLeaderRequest(leader_id=leader_id, reason="no time")
    w.leaders.WithdrawLeader(request, metadata=w.meta(leader=leader_id), timeout=10)
    return Expected("leader", f"leader:{leader_id}", leader_id, reason="no time")


@scenario("RecordConsent")
def _(w: World) -> Expected:
    leader_id = w.person()
    request = lpb.RecordConsentRequest(
        leader_id=leader_id,
        purpose="contact_by_trust",
        target="RHA",
        grant=True,
        wording_version="1",
        evidence="form 7",
    )
    w.leaders.RecordConsent(request, metadata=w.meta(w.a_key, staff=STAFF), timeout=10)
    return trust_a(leader_id, staff=STAFF, evidence="form 7")


@scenario("SubmitEqualityMonitoring")
def _(w: World) -> Expected:
    leader_id = w.person()
    request = lpb.SubmitEqualityMonitoringRequest(carer="prefer_not_to_say")
    w.leaders.SubmitEqualityMonitoring(request, metadata=w.meta(leader=leader_id), timeout=10)
    return leader(leader_id)


@scenario("EraseLeader")
def _(w: World) -> Expected:
    leader_id = w.person()
    request = lpb.EraseLeaderRequest(leader_id=leader_id, reason="please forget me")
    w.leaders.EraseLeader(request, metadata=w.meta(leader=leader_id), timeout=10)
    return leader(leader_id)  # the erasure's own reason is not kept either


@scenario("AddTerm")
def _(w: World) -> Expected:
    request = lpb.AddTermRequest(kind="skill", code=f"rha_{uuid.uuid4().hex[:6]}", label="A's own")
    w.leaders.AddTerm(request, metadata=w.meta(w.a_key), timeout=10)
    return trust_a()


# --- imports, development, checks ------------------------------------------------------------------


@scenario("ImportLeaders")
def _(w: World) -> Expected:
    cells = {"given_name": "Imp", "family_name": "Orted", "email": f"imp-{uuid.uuid4().hex[:8]}@example.org"}
    request = imports_pb2.ImportLeadersRequest(trust_ods="RHA", rows=[imports_pb2.ImportRow(row_number=2, cells=cells)])
    imports_pb2_grpc.ImportServiceStub(w.registry.channel).ImportLeaders(request, metadata=w.meta(), timeout=30)
    return Expected("administrator", "administrator", A_PERSON)


# --- networks and invitations ------------------------------------------------------------------------


def _network(w: World) -> str:
    network_id = f"net-{uuid.uuid4().hex[:8]}"
    request = npb.CreateNetworkRequest(network_id=network_id, name="A programme")
    networks_pb2_grpc.NetworkServiceStub(w.registry.channel).CreateNetwork(request, metadata=w.meta(), timeout=10)
    return network_id


@scenario("CreateNetwork")
def _(w: World) -> Expected:
    _network(w)
    return ADMIN


@scenario("AddTrustToNetwork")
def _(w: World) -> Expected:
    request = npb.NetworkTrustRequest(network_id=_network(w), ods="RHA")
    networks_pb2_grpc.NetworkServiceStub(w.registry.channel).AddTrustToNetwork(request, metadata=w.meta(), timeout=10)
    return ADMIN


@scenario("RemoveTrustFromNetwork")
def _(w: World) -> Expected:
    stub = networks_pb2_grpc.NetworkServiceStub(w.registry.channel)
    request = npb.NetworkTrustRequest(network_id=_network(w), ods="RHA")
    stub.AddTrustToNetwork(request, metadata=w.meta(), timeout=10)
    stub.RemoveTrustFromNetwork(request, metadata=w.meta(), timeout=10)
    return ADMIN


def _invited(w: World) -> tuple[str, str]:
    """(invitation id, person): trust A invites, by the email it holds, a person B holds."""
    email = f"invited-{uuid.uuid4().hex[:8]}@example.org"
    leader_id = w.registry.confirm(w.registry.register(w.b_key, email)).leader_id
    stub = networks_pb2_grpc.InvitationServiceStub(w.registry.channel)
    made = stub.InviteLeader(npb.InviteLeaderRequest(email=email), metadata=w.meta(w.a_key), timeout=10)
    return made.invitation_id, leader_id


@scenario("InviteLeader")
def _(w: World) -> Expected:
    _invited(w)
    return trust_a()  # whom an invitation by email reached is never the trust's to know


@scenario("AcceptInvitation")
def _(w: World) -> Expected:
    invitation_id, leader_id = _invited(w)
    request = npb.AnswerInvitationRequest(invitation_id=invitation_id)
    stub = networks_pb2_grpc.InvitationServiceStub(w.registry.channel)
    stub.AcceptInvitation(request, metadata=w.meta(leader=leader_id), timeout=10)
    return leader(leader_id)


@scenario("DeclineInvitation")
def _(w: World) -> Expected:
    invitation_id, leader_id = _invited(w)
    request = npb.AnswerInvitationRequest(invitation_id=invitation_id)
    stub = networks_pb2_grpc.InvitationServiceStub(w.registry.channel)
    stub.DeclineInvitation(request, metadata=w.meta(leader=leader_id), timeout=10)
    return leader(leader_id)


@scenario("CreateTestPeople")
def _(w: World) -> Expected:
    request = demo_pb2.CreateTestPeopleRequest(trust_ods="RHA", count=1)  # the trust's first: made now
    demo_pb2_grpc.DemoServiceStub(w.registry.channel).CreateTestPeople(request, metadata=w.meta(), timeout=30)
    return Expected("administrator", "administrator", A_PERSON)


def _programme(w: World) -> dpb.Programme:
    request = dpb.CreateProgrammeRequest(title="Leadership", module_titles=["Listening"])
    return development(w.registry).CreateProgramme(request, metadata=w.meta(w.a_key), timeout=10)


def _enrolment(w: World, leader_id: str) -> tuple[dpb.Enrolment, dpb.Programme]:
    programme = _programme(w)
    request = dpb.EnrolLeaderRequest(leader_id=leader_id, programme_id=programme.programme_id)
    return development(w.registry).EnrolLeader(request, metadata=w.meta(w.a_key), timeout=10), programme


@scenario("CreateProgramme")
def _(w: World) -> Expected:
    _programme(w)
    return trust_a()


@scenario("AddModule")
def _(w: World) -> Expected:
    request = dpb.AddModuleRequest(programme_id=_programme(w).programme_id, title="Chairing")
    development(w.registry).AddModule(request, metadata=w.meta(w.a_key), timeout=10)
    return trust_a()


@scenario("EnrolLeader")
def _(w: World) -> Expected:
    leader_id = w.person()
    _enrolment(w, leader_id)
    return trust_a(leader_id)


@scenario("CompleteTraining")
def _(w: World) -> Expected:
    leader_id = w.person()
    enrolment, programme = _enrolment(w, leader_id)
    module_id = programme.modules[0].module_id
    request = dpb.CompleteTrainingRequest(enrolment_id=enrolment.enrolment_id, module_id=module_id)
    development(w.registry).CompleteTraining(request, metadata=w.meta(w.a_key), timeout=10)
    return trust_a(leader_id)


@scenario("AssignFacilitator")
def _(w: World) -> Expected:
    leader_id = w.person()
    request = dpb.AssignFacilitatorRequest(leader_id=leader_id, facilitator_staff_id=w.facilitator)
    development(w.registry).AssignFacilitator(request, metadata=w.meta(w.a_key), timeout=10)
    return trust_a(leader_id)


@scenario("RecordCheckIn")
def _(w: World) -> Expected:
    leader_id = w.person()
    api = development(w.registry)
    api.AssignFacilitator(
        dpb.AssignFacilitatorRequest(leader_id=leader_id, facilitator_staff_id=w.facilitator), metadata=w.meta(w.a_key)
    )
    request = dpb.RecordCheckInRequest(leader_id=leader_id, held_on="2026-11-02", notes="went well")
    api.RecordCheckIn(request, metadata=w.meta(staff_id=w.facilitator), timeout=10)  # only the facilitator
    return trust_a(leader_id, staff=w.facilitator)


@scenario("UpdateDevelopmentPlan")
def _(w: World) -> Expected:
    leader_id = w.person()
    request = dpb.UpdateDevelopmentPlanRequest(
        leader_id=leader_id, expected_version=0, goals=[dpb.Goal(title="Chair a meeting", status="open")]
    )
    development(w.registry).UpdateDevelopmentPlan(request, metadata=w.meta(w.a_key), timeout=10)
    return trust_a(leader_id)


@scenario("RecordCheck")
def _(w: World) -> Expected:
    leader_id = w.person()
    request = checks_pb2.RecordCheckRequest(leader_id=leader_id, check_type="identity", evidence="passport seen")
    w.checks.RecordCheck(request, metadata=w.meta(w.a_key), timeout=10)
    return trust_a(leader_id)  # the check's evidence is the check's, shown only as checks show it


@scenario("AcceptCheck")
def _(w: World) -> Expected:
    leader_id = w.both()
    request = checks_pb2.RecordCheckRequest(leader_id=leader_id, check_type="identity", evidence="passport seen")
    check = w.checks.RecordCheck(request, metadata=bearer(w.a_key), timeout=10)
    accept = checks_pb2.AcceptCheckRequest(leader_id=leader_id, check_id=check.check_id)
    w.checks.AcceptCheck(accept, metadata=w.meta(w.b_key), timeout=10)
    return Expected("trust", "RHB", leader_id)


# --- the sweep --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(registry: RegistryClient, stack: PlrStack) -> World:
    made = World(registry)
    made.engine = stack.engine("registry")
    return made


def changes(registry: RegistryClient, metadata: tuple, leader_id: str = "") -> list[lpb.ChangeEntry]:
    found: list[lpb.ChangeEntry] = []
    token = ""
    while True:
        request = lpb.ListChangesRequest(leader_id=leader_id, page_size=500, page_token=token)
        page = registry.leaders.ListChanges(request, metadata=metadata, timeout=10)
        found.extend(page.entries)
        token = page.next_page_token
        if not token:
            return found


def test_the_sweep_covers_every_write_method_and_no_read() -> None:
    assert set(SCENARIOS) == set(WRITES)
    assert {"UpdateLeader", "RecordCheck", "ImportLeaders", "CreateTrust", "UpdateDevelopmentPlan"} <= set(WRITES)
    assert not {"GetLeader", "ListChanges", "MayPlace", "ExportLeaderData"} & set(WRITES)


@pytest.mark.parametrize("method", WRITES)
def test_every_write_is_recorded_with_who_made_it(registry: RegistryClient, world: World, method: str) -> None:
    expected = SCENARIOS[method](world)
    named = "" if expected.leader_id == A_PERSON else expected.leader_id
    mine = [e for e in changes(registry, registry.as_admin(), named) if e.correlation_id == world.cid]
    assert mine, f"{method}: no change history entry for correlation id {world.cid}"
    entry = mine[-1]
    assert entry.method == method
    assert (entry.principal_kind, entry.principal) == (expected.principal_kind, expected.principal)
    assert bool(entry.leader_id) if expected.leader_id == A_PERSON else entry.leader_id == expected.leader_id
    assert entry.trust_ods == (expected.principal if expected.principal_kind == "trust" else "")
    assert (entry.staff, entry.reason, entry.evidence) == (expected.staff, expected.reason, expected.evidence)
    assert list(entry.fields), f"{method}: an entry names what changed"


def test_the_person_reads_every_write_and_each_trust_only_its_own(registry: RegistryClient, world: World) -> None:
    leader_id = world.both()
    update = lpb.UpdateLeaderRequest(
        leader_id=leader_id,
        expected_version=version(registry, leader_id),
        profile=lpb.LeaderProfile(postcode="LS1 4AP"),
        fields=["postcode"],
    )
    registry.leaders.UpdateLeader(update, metadata=registry.as_leader(leader_id), timeout=10)
    for key, ods in ((world.a_key, "RHA"), (world.b_key, "RHB")):
        request = checks_pb2.RecordCheckRequest(leader_id=leader_id, check_type="references", evidence=f"by {ods}")
        world.checks.RecordCheck(request, metadata=bearer(key), timeout=10)

    own = changes(registry, registry.as_leader(leader_id))
    assert {e.principal for e in own} >= {"RHA", "RHB", f"leader:{leader_id}"}
    assert any(e.method == "UpdateLeader" and list(e.fields) == ["postcode"] for e in own)
    for key, ods in ((world.a_key, "RHA"), (world.b_key, "RHB")):
        seen = changes(registry, bearer(key), leader_id)
        assert seen and {e.principal for e in seen} == {ods} and {e.trust_ods for e in seen} == {ods}
        assert {e.method for e in seen} >= {"RecordCheck"}
        assert all(e.principal == ods for e in changes(registry, bearer(key)))  # all of its writes, only its
    with pytest.raises(grpc.RpcError) as refused:
        changes(registry, registry.as_leader(world.person()), leader_id)
    assert refused.value.code() == grpc.StatusCode.NOT_FOUND


def test_pages_resume_after_the_last_entry(registry: RegistryClient, world: World) -> None:
    leader_id = world.person()
    for until in ("2099-01-01", "2099-01-02", "2099-01-03"):
        pause = lpb.PauseLeaderRequest(leader_id=leader_id, until=until)
        registry.leaders.PauseLeader(pause, metadata=registry.as_leader(leader_id), timeout=10)
    every = changes(registry, registry.as_leader(leader_id))
    first = registry.leaders.ListChanges(
        lpb.ListChangesRequest(page_size=2), metadata=registry.as_leader(leader_id), timeout=10
    )
    assert list(first.entries) == every[:2] and first.next_page_token
    rest = registry.leaders.ListChanges(
        lpb.ListChangesRequest(page_size=500, page_token=first.next_page_token),
        metadata=registry.as_leader(leader_id),
        timeout=10,
    )
    assert list(rest.entries) == every[2:] and len(every) >= 5


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (lpb.ListChangesRequest(leader_id="not-an-id"), "leader_id"),
        (lpb.ListChangesRequest(page_token="!!"), "page_token"),
        (lpb.ListChangesRequest(page_size=501), "page_size"),
    ],
)
def test_bad_input_is_named(registry: RegistryClient, world: World, request_: object, field: str) -> None:
    with pytest.raises(grpc.RpcError) as refused:
        registry.leaders.ListChanges(request_, metadata=bearer(world.a_key), timeout=10)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT and field in (refused.value.details() or "")


def test_an_internal_service_without_a_leader_may_not_read_it(registry: RegistryClient) -> None:
    from services.common.grpc_client import bearer as as_bearer

    with pytest.raises(grpc.RpcError) as refused:
        registry.leaders.ListChanges(lpb.ListChangesRequest(), metadata=as_bearer(registry.portal_token), timeout=10)
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED


def test_the_exports_hold_the_history_each_caller_may_read(registry: RegistryClient, world: World) -> None:
    leader_id = world.both()
    registry.consent(leader_id, "contact_by_trust", "RHA")
    request = lpb.RecordConsentRequest(
        leader_id=leader_id,
        purpose="contact_by_trust",
        target="RHB",
        grant=True,
        wording_version="1",
        evidence="phoned-B-7781",
    )
    registry.leaders.RecordConsent(request, metadata=bearer(world.b_key), timeout=10)

    def exported(metadata: tuple) -> list[dict]:
        response = registry.leaders.ExportLeaderData(
            lpb.ExportLeaderDataRequest(leader_id=leader_id), metadata=metadata, timeout=10
        )
        return json.loads(response.document)["change_history"]["entries"]

    by_leader = exported(registry.as_leader(leader_id))
    assert {e["principal"] for e in by_leader} >= {"RHA", "RHB", f"leader:{leader_id}"}
    by_a = exported(bearer(world.a_key))
    assert by_a and {e["principal"] for e in by_a} == {"RHA"}
    assert "phoned-B-7781" not in json.dumps(by_a)  # B's evidence is B's


def test_erasure_blanks_reason_and_evidence_and_keeps_who_when_and_which_fields(
    registry: RegistryClient, world: World
) -> None:
    leader_id = world.person()
    consent = lpb.RecordConsentRequest(
        leader_id=leader_id,
        purpose="contact_by_trust",
        target="RHA",
        grant=True,
        wording_version="1",
        evidence="Ms Example agreed on the phone",
    )
    registry.leaders.RecordConsent(consent, metadata=bearer(world.a_key), timeout=10)
    pause = lpb.PauseLeaderRequest(leader_id=leader_id, reason="caring for Mr Example")
    registry.leaders.PauseLeader(pause, metadata=registry.as_leader(leader_id), timeout=10)
    before = changes(registry, registry.as_admin(), leader_id)
    registry.leaders.EraseLeader(
        lpb.EraseLeaderRequest(leader_id=leader_id, reason="Mr Example asked"), metadata=registry.as_admin(), timeout=10
    )
    after = changes(registry, registry.as_admin(), leader_id)
    assert [(e.entry_id, e.at, e.principal, e.method, list(e.fields)) for e in after[: len(before)]] == [
        (e.entry_id, e.at, e.principal, e.method, list(e.fields)) for e in before
    ]
    assert {(e.reason, e.evidence) for e in after} == {("", "")}
    assert after[-1].method == "EraseLeader"
    retained = registry.leaders.EraseLeader(
        lpb.EraseLeaderRequest(leader_id=leader_id), metadata=registry.as_admin(), timeout=10
    ).retained
    assert "change_history" in {r.name for r in retained}


def test_the_table_refuses_update_and_delete_even_to_the_platform(stack: PlrStack, world: World) -> None:
    world.person()
    engine = stack.engine("registry")
    for statement in (
        "UPDATE change_history SET method = 'forged'",
        "UPDATE change_history SET reason = 'forged'",
        "UPDATE change_history SET fields = '{}', reason = '', evidence = ''",
        "DELETE FROM change_history",
        "TRUNCATE change_history",
    ):
        refused = pytest.raises(sa.exc.DBAPIError, match="append-only|permission denied")
        with refused, scoped_transaction(engine, TenantScope.platform_wide()) as connection:
            connection.execute(sa.text(statement))


def test_a_timer_s_write_is_recorded_as_the_registry_s_own(
    registry: RegistryClient, world: World, stack: PlrStack
) -> None:
    from datetime import UTC, datetime

    from services.registry.entrypoints.worker import timer_unit_of_work
    from services.registry.service_layer.leaders import resume_due_leaders

    leader_id = world.person()
    pause = lpb.PauseLeaderRequest(leader_id=leader_id, until="2097-03-01")
    registry.leaders.PauseLeader(pause, metadata=registry.as_leader(leader_id), timeout=10)
    new_uow = timer_unit_of_work(stack.engine("registry"), "resume_due_leaders")
    assert resume_due_leaders(new_uow, clock=lambda: datetime(2097, 3, 2, 9, tzinfo=UTC)) >= 1
    last = changes(registry, registry.as_leader(leader_id))[-1]
    assert (last.principal_kind, last.principal, last.method) == ("service", "registry", "resume_due_leaders")
    assert list(last.fields) == ["status", "paused_until"] and last.correlation_id == ""
