"""The log canary: the registry's write paths fail in the database (a unique violation, a statement
timeout, a lost connection) while carrying unique strings in every personal field (names, email, phone,
postcode, access needs, lived experience, consent evidence, the evidence of a change made on a person's
behalf, a term's label), through the gRPC api running as its own process; then no line logged by any
process (the api and every worker) carries any of them.

The faults are made by the test itself on the registry's database: it holds a lock the calls wait for
(they pass the api's statement timeout, or the test terminates their connections), or an uncommitted row
with the same email that it commits while they wait (their insert then violates the unique key)."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import urlsplit

import grpc
import pytest
import sqlalchemy as sa
from plr.registry.v1 import imports_pb2, imports_pb2_grpc, leaders_pb2_grpc, registry_pb2_grpc
from plr.registry.v1 import leaders_pb2 as lpb
from plr.registry.v1 import registry_pb2 as pb

from services.common.grpc_client import api_channel, bearer
from tests.e2e.conftest import Running
from tests.support.infra import SERVICES, Infra, PlrStack, plr_stack, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

Metadata = tuple[tuple[str, str], ...]

TOKEN = secrets.token_hex(5)
DIGITS = "".join(secrets.choice("0123456789") for _ in range(9))
POSTCODE = f"Z{secrets.randbelow(10)}{secrets.randbelow(10)} {secrets.randbelow(10)}QZ"
LIVED = f"qzlived_{TOKEN}"
LIVED_LABEL = f"Qzlivedlabel{TOKEN}"
EVIDENCE = f"Qzevidence{TOKEN}"
TERM = f"qzterm_{TOKEN}"
TERM_LABEL = f"Qztermlabel{TOKEN}"
STATEMENT_TIMEOUT_MS = 2000
TRUST = "CLG1"


def person(n: int) -> dict[str, str]:
    """The canary values of one call (each call its own email, so that a leak says which call)."""
    return {
        "given_name": f"Qzgiven{TOKEN}",
        "family_name": f"Qzfamily{TOKEN}",
        "email": f"qzmail{n}x{TOKEN}@canary.example",
        "phone": f"+447{DIGITS}",
        "postcode": POSTCODE,
        "access_needs": f"Qzneeds{TOKEN}",
    }


CANARIES = (
    f"Qzgiven{TOKEN}",
    f"Qzfamily{TOKEN}",
    f"x{TOKEN}@canary.example",
    f"447{DIGITS}",
    POSTCODE,
    POSTCODE.replace(" ", ""),
    f"Qzneeds{TOKEN}",
    LIVED,
    LIVED_LABEL,
    EVIDENCE,
    TERM,
    TERM_LABEL,
)


@dataclass
class Api:
    stack: PlrStack
    channel: grpc.Channel
    trust: Metadata
    leader_id: str

    @property
    def leaders(self) -> leaders_pb2_grpc.LeaderServiceStub:
        return leaders_pb2_grpc.LeaderServiceStub(self.channel)

    def as_leader(self) -> Metadata:
        return (*bearer(self.stack.env["PLR_REGISTRY_PORTAL_TOKEN"]), ("x-plr-leader", self.leader_id))

    def as_admin(self) -> Metadata:
        return bearer(self.stack.env["PLR_ADMIN_TOKEN"])


def write_calls(api: Api, first: int) -> dict[str, Callable[[], object]]:
    """Every write path that takes personal data, each with the canaries (emails numbered from ``first``)."""
    leaders = api.leaders
    imports = imports_pb2_grpc.ImportServiceStub(api.channel)
    staff = (*api.trust, ("x-plr-staff", "Canary Staff"))
    return {
        "RegisterLeader": lambda: leaders.RegisterLeader(
            lpb.RegisterLeaderRequest(profile=lpb.LeaderProfile(**person(first))), metadata=api.trust, timeout=10
        ),
        "UpdateLeader": lambda: leaders.UpdateLeader(
            lpb.UpdateLeaderRequest(
                leader_id=api.leader_id,
                expected_version=1,  # never read: the call waits on the lock first
                profile=lpb.LeaderProfile(**person(first + 1), lived_experience=[LIVED]),
            ),
            metadata=api.as_leader(),
            timeout=10,
        ),
        "RecordConsent": lambda: leaders.RecordConsent(
            lpb.RecordConsentRequest(
                leader_id=api.leader_id,
                purpose="contact_by_trust",
                target=TRUST,
                grant=True,
                wording_version="2026-11",
                evidence=EVIDENCE,
            ),
            metadata=staff,
            timeout=10,
        ),
        "PauseLeader on the person's behalf": lambda: leaders.PauseLeader(
            lpb.PauseLeaderRequest(
                leader_id=api.leader_id,
                until="2099-01-31",
                on_behalf=lpb.OnBehalf(staff=f"Qzgiven{TOKEN}", how_asked=EVIDENCE),
            ),
            metadata=staff,
            timeout=10,
        ),
        "ImportLeaders": lambda: imports.ImportLeaders(
            imports_pb2.ImportLeadersRequest(
                trust_ods=TRUST,
                rows=[
                    imports_pb2.ImportRow(
                        row_number=2,
                        cells={
                            **person(first + 2),
                            "lived_experience": LIVED,
                            "consent_evidence": EVIDENCE,
                            "consent_wording_version": "2026-11",
                        },
                    )
                ],
            ),
            metadata=api.as_admin(),
            timeout=10,
        ),
        "AddTerm": lambda: leaders.AddTerm(
            lpb.AddTermRequest(kind="skill", code=TERM, label=TERM_LABEL), metadata=api.trust, timeout=10
        ),
    }


def outcome(future: Future[object]) -> str:
    try:
        future.result()
    except grpc.RpcError as error:
        return error.code().name
    return "OK"


@pytest.fixture(scope="module")
def system(infra: Infra) -> Iterator[tuple[PlrStack, Running]]:
    """Every process, with a short statement timeout (so that a call waiting on the test's lock fails
    soon) and a pool as large as the calls the test makes at once."""
    with plr_stack(infra) as stack:
        stack.env["PLR_DB_STATEMENT_TIMEOUT_MS"] = str(STATEMENT_TIMEOUT_MS)
        stack.env["PLR_DB_POOL_SIZE"] = "10"
        running = Running(stack)
        running.start_all()
        try:
            wait_for(lambda: stack.plr("health").returncode == 0, timeout=60, interval=0.5, message="every process")
            yield stack, running
        finally:
            running.stop()


@pytest.fixture(scope="module")
def api(system: tuple[PlrStack, Running]) -> Iterator[Api]:
    """A trust with its own lived-experience term, and a leader of it (not a canary) who consents to
    matching on lived experience, so that the calls below pass validation and reach the database."""
    stack, _ = system
    channel = api_channel(stack.settings, "registry")
    made = registry_pb2_grpc.RegistryServiceStub(channel).CreateTrust(
        pb.CreateTrustRequest(ods=TRUST, name="Log Canary NHS Trust"),
        metadata=bearer(stack.env["PLR_ADMIN_TOKEN"]),
        timeout=10,
    )
    trust = bearer(made.initial_key.key)
    leaders = leaders_pb2_grpc.LeaderServiceStub(channel)
    leaders.AddTerm(
        lpb.AddTermRequest(kind="lived_experience", code=LIVED, label=LIVED_LABEL), metadata=trust, timeout=10
    )
    seed = lpb.LeaderProfile(given_name="Seed", family_name="Leader", email=f"seed-{TOKEN}@example.org")
    registered = leaders.RegisterLeader(lpb.RegisterLeaderRequest(profile=seed), metadata=trust, timeout=10)
    api = Api(stack, channel, trust, registered.affiliation.leader_id)
    leaders.ConfirmAffiliation(
        lpb.ConfirmAffiliationRequest(affiliation_id=registered.affiliation.affiliation_id),
        metadata=api.as_leader(),
        timeout=10,
    )
    leaders.RecordConsent(
        lpb.RecordConsentRequest(
            leader_id=api.leader_id, purpose="lived_experience_matching", grant=True, wording_version="2026-11"
        ),
        metadata=api.as_leader(),
        timeout=10,
    )
    yield api
    channel.close()


def registry_admin(stack: PlrStack) -> sa.engine.Engine:
    return stack.admin_engine(urlsplit(stack.settings.database("registry").app_url).path.lstrip("/"))


def api_waiting_on_locks(stack: PlrStack) -> list[int]:
    """The registry api's connections waiting for a lock (read from another database: the test's
    connection to the registry's holds the lock)."""
    observer = stack.admin_engine("postgres")
    try:
        with observer.connect() as connection:
            return list(
                connection.execute(
                    sa.text(
                        "SELECT pid FROM pg_stat_activity WHERE datname = :database "
                        "AND application_name = 'plr-registry-api' AND wait_event_type = 'Lock'"
                    ),
                    {"database": urlsplit(stack.settings.database("registry").app_url).path.lstrip("/")},
                ).scalars()
            )
    finally:
        observer.dispose()


def while_locked(
    stack: PlrStack, calls: dict[str, Callable[[], object]], during: Callable[[list[int]], None]
) -> dict[str, str]:
    """The calls, made at once while the test holds every table they write; ``during`` runs once they
    all wait, given their connections' pids. Returns each call's status."""
    admin = registry_admin(stack)
    try:
        with admin.connect() as holder, ThreadPoolExecutor(len(calls)) as pool:
            lock = holder.begin()
            holder.execute(sa.text("LOCK TABLE leaders, terms IN ACCESS EXCLUSIVE MODE"))
            futures = {name: pool.submit(call) for name, call in calls.items()}
            waiting = wait_for(
                lambda: (pids := api_waiting_on_locks(stack)) and len(pids) >= len(calls) and pids,
                timeout=10,
                message="every call waiting on the test's lock",
            )
            during(waiting)
            outcomes = {name: outcome(future) for name, future in futures.items()}
            lock.rollback()
        return outcomes
    finally:
        admin.dispose()


def found(running: Running) -> list[tuple[str, str]]:
    return [
        (canary, name)
        for name, lines in running.logs.items()
        for canary in CANARIES
        if canary.lower() in "".join(lines).lower()
    ]


def test_a_write_past_the_statement_timeout_logs_no_personal_data(system: tuple[PlrStack, Running], api: Api) -> None:
    stack, running = system

    outcomes = while_locked(stack, write_calls(api, 10), lambda pids: None)

    assert outcomes == {name: "DEADLINE_EXCEEDED" for name in outcomes}
    assert "DEADLINE_EXCEEDED" in "".join(running.logs["registry-api"])  # the scan reads the api's log
    assert found(running) == []


def test_a_write_whose_connection_is_lost_logs_no_personal_data(system: tuple[PlrStack, Running], api: Api) -> None:
    stack, running = system

    def terminate_them(pids: list[int]) -> None:
        observer = stack.admin_engine("postgres")
        try:
            with observer.connect() as connection:
                for pid in pids:
                    connection.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        finally:
            observer.dispose()

    outcomes = while_locked(stack, write_calls(api, 20), terminate_them)

    assert outcomes == {name: "UNAVAILABLE" for name in outcomes}
    assert "UNAVAILABLE" in "".join(running.logs["registry-api"])
    assert found(running) == []


def test_a_write_that_violates_a_unique_key_logs_no_personal_data(system: tuple[PlrStack, Running], api: Api) -> None:
    """Two registrations of one person at the same moment: the test's, uncommitted while the api's
    RegisterLeader and ImportLeaders insert the same email, then committed, so their inserts fail."""
    stack, running = system
    calls = write_calls(api, 30)
    calls = {"RegisterLeader": calls["RegisterLeader"], "ImportLeaders": calls["ImportLeaders"]}
    admin = registry_admin(stack)
    try:
        with admin.connect() as other, ThreadPoolExecutor(len(calls)) as pool:
            registration = other.begin()
            for n in (30, 32):  # the emails of RegisterLeader's and ImportLeaders's canaries
                other.execute(
                    sa.text(
                        "INSERT INTO leaders (leader_id, version, shared_version, status, email_key, profile,"
                        " created_at, updated_at, shared_updated_at)"
                        " VALUES (gen_random_uuid(), 1, 1, 'active', :email, '{}', now(), now(), now())"
                    ),
                    {"email": person(n)["email"]},
                )
            futures = {name: pool.submit(call) for name, call in calls.items()}
            wait_for(
                lambda: len(api_waiting_on_locks(stack)) >= len(calls),
                timeout=10,
                message="both calls waiting on the test's uncommitted rows",
            )
            registration.commit()
            outcomes = {name: outcome(future) for name, future in futures.items()}
    finally:
        admin.dispose()

    # RegisterLeader looks again and answers as any registration does; a batch asks to be sent again
    assert outcomes == {"RegisterLeader": "OK", "ImportLeaders": "FAILED_PRECONDITION"}, outcomes
    assert found(running) == []


def test_workers_whose_connections_are_lost_log_no_personal_data(system: tuple[PlrStack, Running], api: Api) -> None:
    """A change with the canaries commits its event; every worker's connections are cut while it is
    relayed and consumed; the workers come back, and none logged a canary."""
    stack, running = system
    current = api.leaders.GetLeader(lpb.GetLeaderRequest(leader_id=api.leader_id), metadata=api.as_leader(), timeout=10)
    api.leaders.UpdateLeader(
        lpb.UpdateLeaderRequest(
            leader_id=api.leader_id, expected_version=current.version, profile=lpb.LeaderProfile(**person(40))
        ),
        metadata=api.as_leader(),
        timeout=10,
    )
    for service in SERVICES:
        admin = stack.admin_engine(urlsplit(stack.settings.database(service).app_url).path.lstrip("/"))
        try:
            with admin.connect() as connection:
                cut = connection.execute(
                    sa.text(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND application_name = :application"
                    ),
                    {"application": f"plr-{service}-worker"},
                ).scalar_one()
            assert cut >= 1, f"no connection of the {service} worker to cut"
        finally:
            admin.dispose()

    wait_for(lambda: stack.plr("health").returncode == 0, timeout=60, interval=0.5, message="every worker back")
    wait_for(lambda: pending(stack) == 0, timeout=30, interval=0.5, message="every outbox relayed after the cut")
    assert all(running.logs[f"{service}-worker"] for service in SERVICES)  # the scan reads every worker's log
    assert found(running) == []


def pending(stack: PlrStack) -> int:
    """Events not yet relayed, over every service's outbox."""
    status = stack.plr("outbox", "status", "--json")
    return sum(int(row["pending"]) for row in json.loads(status.stdout)) if status.returncode == 0 else -1
