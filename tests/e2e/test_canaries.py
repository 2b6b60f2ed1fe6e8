"""Canaries, with every process running: a leader gives equality answers and a name made of unique
strings; then every event (the outboxes of every service, every queue on the broker, the dead-letter
queues), every trust-facing read and every process's log is searched. The equality canary appears
nowhere; after erasure the name canary appears nowhere, not even in any service's database."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from urllib.parse import quote, urlsplit

import grpc
import pytest
import sqlalchemy as sa
from plr.registry.v1 import leaders_pb2 as lpb
from plr.registry.v1 import leaders_pb2_grpc, registry_pb2_grpc
from plr.registry.v1 import registry_pb2 as pb

from services.common.db import scoped_transaction
from services.common.grpc_client import api_channel, bearer
from services.common.platform_tables import outbox
from services.common.tenancy import TenantScope
from services.common.topology import Management
from tests.e2e.conftest import Running
from tests.support.infra import SERVICES, PlrStack, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

Metadata = tuple[tuple[str, str], ...]

TOKEN = secrets.token_hex(5)
GIVEN = f"Qzgiven{TOKEN}"
FAMILY = f"Qzfamily{TOKEN}"
EMAIL = f"qzmail{TOKEN}@canary.example"
NEEDS = f"Qzneeds{TOKEN}"
NAME_CANARIES = (GIVEN, FAMILY, EMAIL, NEEDS)
EQUALITY_CANARY = f"qzequality{TOKEN}"
# valid answers are fixed words: these are the rarest ones, which nothing else here says
EQUALITY_ANSWERS = {"religion": "sikh", "sexual_orientation": "gay_or_lesbian", "age_band": "75_plus"}
EQUALITY_CANARIES = (EQUALITY_CANARY, *EQUALITY_ANSWERS.values())


class Api:
    def __init__(self, stack: PlrStack):
        self.stack = stack
        self.channel = api_channel(stack.settings, "registry")
        self.leaders = leaders_pb2_grpc.LeaderServiceStub(self.channel)
        self.registry = registry_pb2_grpc.RegistryServiceStub(self.channel)

    def as_leader(self, leader_id: str) -> Metadata:
        return (*bearer(self.stack.env["PLR_REGISTRY_PORTAL_TOKEN"]), ("x-plr-leader", leader_id))

    def as_staff(self, ods: str, *roles: str) -> Metadata:
        """A new member of the trust's staff, signed in through the portal."""
        from plr.registry.v1 import staff_pb2, staff_pb2_grpc

        member = staff_pb2_grpc.StaffServiceStub(self.channel).AddStaff(
            staff_pb2.AddStaffRequest(trust_ods=ods, name="Canary Staff", roles=list(roles)),
            metadata=bearer(self.stack.env["PLR_ADMIN_TOKEN"]),
            timeout=10,
        )
        return (*bearer(self.stack.env["PLR_REGISTRY_PORTAL_TOKEN"]), ("x-plr-staff-id", member.staff_id))

    def onboard(self, ods: str) -> Metadata:
        made = self.registry.CreateTrust(
            pb.CreateTrustRequest(ods=ods, name=f"{ods} Canary NHS Trust"),
            metadata=bearer(self.stack.env["PLR_ADMIN_TOKEN"]),
            timeout=10,
        )
        assert made.initial_key.key, f"{ods} was onboarded before"
        return bearer(made.initial_key.key)


def answer_text(call: Callable[[], object]) -> str:
    """What a caller sees: the response, or the error's code and details."""
    try:
        return str(call())
    except grpc.RpcError as error:
        return f"{error.code().name}: {error.details()}"


def trust_reads(api: Api, trust: Metadata, leader_id: str) -> dict[str, str]:
    leaders = api.leaders
    return {
        "GetLeader": answer_text(
            lambda: leaders.GetLeader(lpb.GetLeaderRequest(leader_id=leader_id), metadata=trust, timeout=10)
        ),
        "ListLeaders": answer_text(
            lambda: leaders.ListLeaders(lpb.ListLeadersRequest(page_size=500), metadata=trust, timeout=10)
        ),
        "ListAffiliations": answer_text(
            lambda: leaders.ListAffiliations(lpb.ListAffiliationsRequest(page_size=500), metadata=trust, timeout=10)
        ),
        "ListConsents": answer_text(
            lambda: leaders.ListConsents(lpb.ListConsentsRequest(leader_id=leader_id), metadata=trust, timeout=10)
        ),
        "ExportLeaderData": answer_text(
            lambda: leaders.ExportLeaderData(
                lpb.ExportLeaderDataRequest(leader_id=leader_id), metadata=trust, timeout=10
            )
        ),
        "ListAuditEntries": answer_text(
            lambda: leaders.ListAuditEntries(
                lpb.ListAuditEntriesRequest(leader_id=leader_id, page_size=500), metadata=trust, timeout=10
            )
        ),
        "GetEqualityReport": answer_text(
            lambda: leaders.GetEqualityReport(lpb.GetEqualityReportRequest(), metadata=trust, timeout=10)
        ),
        "ListChanges": answer_text(
            lambda: leaders.ListChanges(
                lpb.ListChangesRequest(leader_id=leader_id, page_size=500), metadata=trust, timeout=10
            )
        ),
    }


def outboxes_drained(stack: PlrStack) -> bool:
    for service in SERVICES:
        with scoped_transaction(stack.engine(service), TenantScope.platform_wide()) as connection:
            pending = connection.execute(
                sa.select(sa.func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))
            ).scalar_one()
        if pending:
            return False
    return True


def every_event(stack: PlrStack) -> dict[str, str]:
    """Every event still held anywhere: each service's outbox, and every message in every queue of
    the vhost (consumer queues, their dead-letter queues, the unrouted queue), peeked and put back."""
    wait_for(lambda: outboxes_drained(stack), timeout=90, interval=0.2, message="every outbox to be relayed")
    found: dict[str, str] = {}
    for service in SERVICES:
        with scoped_transaction(stack.engine(service), TenantScope.platform_wide()) as connection:
            payloads = connection.execute(sa.select(outbox.c.payload)).scalars().all()
        found[f"{service} outbox"] = "\n".join(payloads)
    # peeking every message (a session's imports leave tens of thousands unrouted) is slow on a busy machine
    management = Management(stack.settings.management_url(), stack.vhost, timeout=120)
    for queue in management.queues():
        name = str(queue["name"])
        messages = management.request(
            "POST",
            f"/queues/{management.v}/{quote(name, safe='')}/get",
            {"count": 100000, "ackmode": "ack_requeue_true", "encoding": "auto"},
        ).json()
        found[f"queue {name}"] = "\n".join(str(m.get("payload", "")) + str(m.get("properties", "")) for m in messages)
    return found


def every_table(stack: PlrStack) -> dict[str, str]:
    """Every row of every table of every service's database, as text (read as the superuser, whom
    row-level security does not limit)."""
    found: dict[str, str] = {}
    for service in SERVICES:
        dbname = urlsplit(stack.settings.database(service).app_url).path.lstrip("/")
        engine = stack.admin_engine(dbname)
        try:
            with engine.connect() as connection:
                tables = connection.execute(
                    sa.text(
                        "SELECT table_name FROM information_schema.tables "
                        "WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
                    )
                ).scalars()
                for table in list(tables):
                    rows = connection.execute(sa.text(f'SELECT t::text FROM "{table}" t')).scalars().all()
                    found[f"{service}.{table}"] = "\n".join(rows)
        finally:
            engine.dispose()
    return found


def logs(running: Running) -> dict[str, str]:
    return {f"{name} log": "".join(lines) for name, lines in running.logs.items()}


def where(canaries: tuple[str, ...], places: dict[str, str]) -> list[tuple[str, str]]:
    return [(canary, place) for canary in canaries for place, text in places.items() if canary.lower() in text.lower()]


@pytest.fixture(scope="module")
def canary(system: tuple[PlrStack, Running]) -> Iterator[tuple[Api, dict[str, Metadata], str]]:
    """A leader of CNA1 (confirmed, contact consented), pending with CNB1, who tried to give the
    equality canary (refused) and then gave the rarest valid answers."""
    stack, _ = system
    api = Api(stack)
    trusts = {"CNA1": api.onboard("CNA1"), "CNB1": api.onboard("CNB1")}
    profile = lpb.LeaderProfile(given_name=GIVEN, family_name=FAMILY, email=EMAIL, access_needs=NEEDS)
    registered = api.leaders.RegisterLeader(
        lpb.RegisterLeaderRequest(profile=profile), metadata=trusts["CNA1"], timeout=10
    )
    leader_id = registered.affiliation.leader_id
    api.leaders.RegisterLeader(lpb.RegisterLeaderRequest(profile=profile), metadata=trusts["CNB1"], timeout=10)
    me = api.as_leader(leader_id)
    api.leaders.ConfirmAffiliation(
        lpb.ConfirmAffiliationRequest(affiliation_id=registered.affiliation.affiliation_id), metadata=me, timeout=10
    )
    api.leaders.RecordConsent(
        lpb.RecordConsentRequest(
            leader_id=leader_id, purpose="contact_by_trust", target="CNA1", grant=True, wording_version="2026-11"
        ),
        metadata=me,
        timeout=10,
    )
    # (not the questions answered below: a refusal lists the allowed answers, which is no leak)
    for question in ("ethnicity", "disability"):
        with pytest.raises(grpc.RpcError) as refused:
            api.leaders.SubmitEqualityMonitoring(
                lpb.SubmitEqualityMonitoringRequest(**{question: EQUALITY_CANARY}), metadata=me, timeout=10
            )
        assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT and question in refused.value.details()
        assert EQUALITY_CANARY not in refused.value.details()
    api.leaders.SubmitEqualityMonitoring(
        lpb.SubmitEqualityMonitoringRequest(**EQUALITY_ANSWERS), metadata=me, timeout=10
    )
    yield api, trusts, leader_id
    api.channel.close()


def test_the_equality_canary_appears_in_no_event_log_or_trust_facing_read(
    system: tuple[PlrStack, Running], canary: tuple[Api, dict[str, Metadata], str]
) -> None:
    stack, running = system
    api, trusts, leader_id = canary
    reads = {
        f"{ods} {method}": text
        for ods, key in trusts.items()
        for method, text in trust_reads(api, key, leader_id).items()
    }
    # the searches can find what they look for: the trust that may contact the leader sees the name
    assert GIVEN in reads["CNA1 GetLeader"] and EMAIL in reads["CNA1 ExportLeaderData"]
    assert where(NAME_CANARIES, {k: v for k, v in reads.items() if k.startswith("CNB1")}) == []

    report = api.leaders.GetEqualityReport(lpb.GetEqualityReportRequest(), metadata=trusts["CNA1"], timeout=10)
    for characteristic in report.characteristics:
        if characteristic.characteristic in EQUALITY_ANSWERS:
            assert all(cell.suppressed and not cell.HasField("count") for cell in characteristic.cells)
            assert not characteristic.HasField("total")
    # the report names every category, answered or not; everything else must not say them
    reads = {k: v for k, v in reads.items() if not k.endswith("GetEqualityReport")}

    places = {**reads, **every_event(stack), **logs(running)}
    # the searches reach what they search: the leader's events on the broker, the api's log lines
    # the control: the event was published (the search would find a canary there), and every queue was
    # peeked (their messages may all have been taken: every consumer runs, matching's binds leader.*)
    assert leader_id in places["registry outbox"]
    assert any(place.startswith("queue ") for place in places)
    assert "SubmitEqualityMonitoring" in places["registry-api log"]
    assert where(EQUALITY_CANARIES, places) == []
    assert where(NAME_CANARIES, {k: v for k, v in places.items() if " log" in k or "outbox" in k or "queue" in k}) == []


def test_after_erasure_the_name_canary_appears_nowhere(
    system: tuple[PlrStack, Running], canary: tuple[Api, dict[str, Metadata], str]
) -> None:
    stack, running = system
    api, trusts, leader_id = canary
    me = api.as_leader(leader_id)
    own = api.leaders.ExportLeaderData(lpb.ExportLeaderDataRequest(leader_id=leader_id), metadata=me, timeout=10)
    assert GIVEN in own.document and "75_plus" in own.document  # the leader's own data, to the leader

    erased = api.leaders.EraseLeader(lpb.EraseLeaderRequest(leader_id=leader_id), metadata=me, timeout=10)
    assert {r.name for r in erased.retained} == {
        "consent_records",
        "access_audit",
        "change_history",
        "affiliation_history",
        "check_records",
    }

    for ods, key in trusts.items():
        reads = trust_reads(api, key, leader_id)
        for method in ("GetLeader", "ListConsents", "ExportLeaderData"):
            assert reads[method].startswith("NOT_FOUND"), (ods, method, reads[method])
    own_after = answer_text(
        lambda: api.leaders.ExportLeaderData(lpb.ExportLeaderDataRequest(leader_id=leader_id), metadata=me, timeout=10)
    )
    assert own_after.startswith("NOT_FOUND")

    places = {
        **{f"{ods} {m}": t for ods, key in trusts.items() for m, t in trust_reads(api, key, leader_id).items()},
        "own export": own_after,
        **every_event(stack),  # waits for leader.erased to be relayed
        **logs(running),
        **every_table(stack),
    }
    assert "plr.registry.leader.erased.v1" in places["registry outbox"]
    assert leader_id in places["registry.leaders"] and leader_id in places["registry.audit_log"]
    assert where(NAME_CANARIES, places) == []
    assert where(EQUALITY_CANARIES, {k: v for k, v in places.items() if not k.endswith("GetEqualityReport")}) == []
