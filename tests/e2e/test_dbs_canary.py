"""The DBS canary, with every process running: a check is recorded with unique strings as its DBS
details and its evidence (criminal offence data, UK GDPR Art. 10). They appear in no event (no
service's outbox, no queue on the broker, dead-letter and unrouted queues included), no log, no read
by another trust (the record shared with it, its checks, its export), no read by the verifying
trust's key with a staff name (a claim, granting nothing); the leader reads their own DBS details,
never the evidence; after the leader is erased they appear in no table of any service's database."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import grpc
import pytest
from plr.registry.v1 import checks_pb2 as cpb
from plr.registry.v1 import checks_pb2_grpc
from plr.registry.v1 import leaders_pb2 as lpb

from tests.e2e.conftest import Running
from tests.e2e.test_canaries import Api, Metadata, answer_text, every_event, every_table, logs, where
from tests.support.infra import PlrStack

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

TOKEN = secrets.token_hex(5)
DBS_CANARY = f"Qzdbs{TOKEN}"
EVIDENCE_CANARY = f"Qzevidence{TOKEN}"
CANARIES = (DBS_CANARY, EVIDENCE_CANARY)


class Checks:
    """A leader of CDA1 and CDB1 (both confirmed, the record shared with CDB1), and CDA1's enhanced
    DBS check with the canaries as its DBS details and evidence, accepted by CDB1."""

    def __init__(self, api: Api):
        self.api = api
        self.stub = checks_pb2_grpc.CheckServiceStub(api.channel)
        self.verifier = api.onboard("CDA1")
        self.other = api.onboard("CDB1")
        self.recruiter = api.as_staff("CDA1", "recruiter")
        email = f"dora-{TOKEN}@checks.example"
        profile = lpb.LeaderProfile(given_name="Dora", family_name="Canary", email=email)
        for trust in (self.verifier, self.other):
            made = api.leaders.RegisterLeader(
                lpb.RegisterLeaderRequest(profile=profile), metadata=trust, timeout=10
            ).affiliation
            self.leader_id = made.leader_id
            api.leaders.ConfirmAffiliation(
                lpb.ConfirmAffiliationRequest(affiliation_id=made.affiliation_id), metadata=self.me, timeout=10
            )
        self.check = self.stub.RecordCheck(
            cpb.RecordCheckRequest(
                leader_id=self.leader_id,
                check_type="dbs",
                dbs_level="enhanced",
                evidence=EVIDENCE_CANARY,
                dbs_details=DBS_CANARY,
                idempotency_key=f"dbs-canary-{TOKEN}",
            ),
            metadata=self.recruiter,
            timeout=10,
        )
        api.leaders.RecordConsent(
            lpb.RecordConsentRequest(
                leader_id=self.leader_id,
                purpose="share_record_with_trust",
                target="CDB1",
                grant=True,
                wording_version="2026-11",
            ),
            metadata=self.me,
            timeout=10,
        )
        self.accepted = self.stub.AcceptCheck(
            cpb.AcceptCheckRequest(leader_id=self.leader_id, check_id=self.check.check_id),
            metadata=self.staff(self.other),
            timeout=10,
        )

    @property
    def me(self) -> Metadata:
        return self.api.as_leader(self.leader_id)

    @staticmethod
    def staff(trust: Metadata) -> Metadata:
        """A trust key with a staff name: a claim, granting nothing."""
        return (*trust, ("x-plr-staff", "canary.staff"))

    def reads(self, who: str, metadata: Metadata) -> dict[str, str]:
        """Every read of the leader's checks and record a caller may make, as the caller sees it."""
        leader_id, stub = self.leader_id, self.stub
        question = cpb.MayPlaceRequest(leader_id=leader_id, requirements=[cpb.CheckRequirement(check_type="dbs")])
        return {
            f"{who} {method}": text
            for method, text in {
                "GetSharedRecord": answer_text(
                    lambda: stub.GetSharedRecord(
                        cpb.GetSharedRecordRequest(leader_id=leader_id), metadata=metadata, timeout=10
                    )
                ),
                "ListChecks": answer_text(
                    lambda: stub.ListChecks(cpb.ListChecksRequest(leader_id=leader_id), metadata=metadata, timeout=10)
                ),
                "MayPlace": answer_text(lambda: stub.MayPlace(question, metadata=metadata, timeout=10)),
                "ExportLeaderData": answer_text(
                    lambda: self.api.leaders.ExportLeaderData(
                        lpb.ExportLeaderDataRequest(leader_id=leader_id), metadata=metadata, timeout=10
                    )
                ),
                "ListAuditEntries": answer_text(
                    lambda: self.api.leaders.ListAuditEntries(
                        lpb.ListAuditEntriesRequest(leader_id=leader_id, page_size=500), metadata=metadata, timeout=10
                    )
                ),
            }.items()
        }


@pytest.fixture(scope="module")
def dbs(system: tuple[PlrStack, Running]) -> Iterator[Checks]:
    stack, _ = system
    api = Api(stack)
    yield Checks(api)
    api.channel.close()


def test_the_dbs_canary_appears_in_no_event_log_other_trust_s_read_or_leader_s_read(
    system: tuple[PlrStack, Running], dbs: Checks
) -> None:
    stack, running = system
    # the search finds what it looks for: the verifying trust's recruiter reads the DBS content
    own = dbs.reads("CDA1 recruiter", dbs.recruiter)
    assert DBS_CANARY in own["CDA1 recruiter ListChecks"] and EVIDENCE_CANARY in own["CDA1 recruiter ListChecks"]
    assert DBS_CANARY in own["CDA1 recruiter ExportLeaderData"]
    # the verifying trust's key, even naming a member of staff, reads the evidence but not the DBS details
    claimed = dbs.reads("CDA1 claim", Checks.staff(dbs.verifier))
    assert EVIDENCE_CANARY in claimed["CDA1 claim ListChecks"]
    assert where((DBS_CANARY,), claimed) == []
    # the leader reads their own DBS details, never the verifier's evidence
    mine = dbs.reads("leader", dbs.me)
    assert DBS_CANARY in mine["leader ListChecks"] and DBS_CANARY in mine["leader ExportLeaderData"]
    assert where((EVIDENCE_CANARY,), mine) == []

    reads = {**dbs.reads("CDB1", dbs.other), **dbs.reads("CDB1 staff", Checks.staff(dbs.other))}
    # the reads reach the check: CDB1 sees it in the shared record, its acceptance and its export
    for read in ("GetSharedRecord", "ListChecks", "ExportLeaderData"):
        assert dbs.check.check_id in reads[f"CDB1 staff {read}"], read
    assert "allowed: true" in reads["CDB1 MayPlace"]
    assert dbs.check.check_id in mine["leader ListChecks"] and dbs.check.check_id in mine["leader ExportLeaderData"]
    answers = {"AcceptCheck": str(dbs.accepted)}

    places = {**reads, **answers, **every_event(stack), **logs(running)}
    # the searches reach the check's events on the broker and the api's log
    # the control: the event was published (the search would find a canary there), and every queue was
    # peeked (their messages may all have been taken: every consumer runs, matching's binds leader.*)
    assert dbs.check.check_id in places["registry outbox"]
    assert any(place.startswith("queue ") for place in places)
    assert "RecordCheck" in places["registry-api log"]
    assert where(CANARIES, places) == []


def test_after_erasure_the_dbs_canary_is_in_no_table(system: tuple[PlrStack, Running], dbs: Checks) -> None:
    stack, running = system
    assert DBS_CANARY in every_table(stack)["registry.checks"]  # held until the erasure
    erased = dbs.api.leaders.EraseLeader(lpb.EraseLeaderRequest(leader_id=dbs.leader_id), metadata=dbs.me, timeout=10)
    assert "check_records" in {r.name for r in erased.retained}
    for who, metadata in (("CDA1", Checks.staff(dbs.verifier)), ("CDB1", Checks.staff(dbs.other))):
        listed = answer_text(
            lambda m=metadata: dbs.stub.ListChecks(  # type: ignore[misc]
                cpb.ListChecksRequest(leader_id=dbs.leader_id), metadata=m, timeout=10
            )
        )
        assert listed.startswith("NOT_FOUND"), (who, listed)
    tables = every_table(stack)
    # the check stays as the trusts' record (type, verifier, dates), without its content
    assert dbs.check.check_id in tables["registry.checks"]
    assert dbs.accepted.acceptance_id in tables["registry.check_acceptances"]
    assert where(CANARIES, {**tables, **every_event(stack), **logs(running)}) == []
    with pytest.raises(grpc.RpcError) as gone:
        dbs.api.leaders.ExportLeaderData(
            lpb.ExportLeaderDataRequest(leader_id=dbs.leader_id), metadata=dbs.me, timeout=10
        )
    assert gone.value.code() == grpc.StatusCode.NOT_FOUND
