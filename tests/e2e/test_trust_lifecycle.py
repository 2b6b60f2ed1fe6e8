"""A trust's lifecycle end to end, with every process running: suspending, resuming and offboarding
through the registry's API reach every service's trust directory through the outbox, the broker and
the inboxes, and each service's authenticator (what its ``api`` uses) follows."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import grpc
import pytest
from plr.registry.v1 import leaders_pb2 as lpb
from plr.registry.v1 import leaders_pb2_grpc, registry_pb2_grpc
from plr.registry.v1 import registry_pb2 as pb

from services.common.authentication import Authenticator
from services.common.errors import Unauthenticated
from services.common.grpc_client import api_channel, bearer
from tests.e2e.conftest import Running
from tests.support.infra import SERVICES, TRUST_SERVICES, Infra, PlrStack, plr_stack, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.e2e]


@pytest.fixture(scope="module")
def system(infra: Infra) -> Iterator[tuple[PlrStack, grpc.Channel]]:
    with plr_stack(infra) as stack:
        running = Running(stack)
        running.start_all()
        channel = api_channel(stack.settings, "registry")
        try:
            wait_for(
                lambda: stack.plr("health").returncode == 0,
                timeout=60,
                interval=0.5,
                message="every process to be healthy",
            )
            yield stack, channel
        finally:
            channel.close()
            codes = running.stop()
            for name, lines in running.logs.items():
                errors = [line for line in lines if '"level": "error"' in line]
                assert not errors, f"{name} logged errors: {errors[:3]}"
            assert all(code == 0 for code in codes.values()), f"processes did not stop cleanly: {codes}"


def statuses(stack: PlrStack, ods: str) -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    for service in TRUST_SERVICES:
        result = stack.plr("trust", "list", "--service", service, "--json")
        assert result.returncode == 0, result.stderr
        found[service] = next((t["status"] for t in json.loads(result.stdout) if t["ods"] == ods), None)
    return found


def accepted_by(stack: PlrStack, key: str) -> dict[str, bool]:
    """Whether each service's authenticator (the one its api uses) accepts the key now."""
    accepted = {}
    for service in TRUST_SERVICES:
        authenticator = Authenticator(stack.engine(service), None)
        try:
            authenticator.authenticate({"authorization": f"Bearer {key}"})
            accepted[service] = True
        except Unauthenticated:
            accepted[service] = False
    return accepted


def everywhere(stack: PlrStack, ods: str, status: str, key: str, accepted: bool, what: str) -> float:
    started = time.monotonic()
    wait_for(
        lambda: set(statuses(stack, ods).values()) == {status} and set(accepted_by(stack, key).values()) == {accepted},
        timeout=10,
        interval=0.2,
        message=what,
    )
    return time.monotonic() - started


def test_suspend_resume_and_offboard_reach_every_service(system: tuple[PlrStack, grpc.Channel]) -> None:
    stack, channel = system
    registry = registry_pb2_grpc.RegistryServiceStub(channel)
    leaders = leaders_pb2_grpc.LeaderServiceStub(channel)
    admin = bearer(stack.env["PLR_ADMIN_TOKEN"])
    made = registry.CreateTrust(
        pb.CreateTrustRequest(ods="RLC", name="Lifecycle NHS Trust"), metadata=admin, timeout=10
    )
    key = made.initial_key.key
    leaders.RegisterLeader(
        lpb.RegisterLeaderRequest(
            profile=lpb.LeaderProfile(given_name="Ada", family_name="Leader", email="lifecycle@example.org")
        ),
        metadata=bearer(key),
        timeout=10,
    )
    everywhere(stack, "RLC", "active", key, True, "RLC active everywhere")

    registry.SuspendTrust(pb.SuspendTrustRequest(ods="RLC", reason="e2e"), metadata=admin, timeout=10)
    # the registry refuses at once (its own trust row); the others once they have heard
    with pytest.raises(grpc.RpcError) as refused:
        registry.GetTrust(pb.GetTrustRequest(), metadata=bearer(key), timeout=5)
    assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
    took = everywhere(stack, "RLC", "suspended", key, False, "RLC suspended everywhere")
    print(f"suspension reached all four services in {took:.2f}s")

    registry.ResumeTrust(pb.ResumeTrustRequest(ods="RLC"), metadata=admin, timeout=10)
    assert registry.GetTrust(pb.GetTrustRequest(), metadata=bearer(key), timeout=5).status == "active"
    everywhere(stack, "RLC", "active", key, True, "RLC active again everywhere")
    listed = leaders.ListAffiliations(lpb.ListAffiliationsRequest(), metadata=bearer(key), timeout=5)
    assert len(listed.affiliations) == 1  # the data stayed

    taken = registry.OffboardTrust(pb.OffboardTrustRequest(ods="RLC", confirm_ods="RLC"), metadata=admin, timeout=10)
    offboarded = registry.ConfirmOffboardExport(
        pb.ConfirmOffboardExportRequest(ods="RLC", export_sha256=taken.export_sha256), metadata=admin, timeout=10
    )
    assert (offboarded.leaders_erased, offboarded.affiliations_ended) == (1, 1)
    everywhere(stack, "RLC", "offboarded", key, False, "RLC offboarded everywhere")
    wait_for(
        lambda: stack.plr("outbox", "status", "--json").stdout.count('"pending": 0') == len(SERVICES),
        timeout=10,
        message="every outbox relayed",
    )
    dead = stack.plr("dlq", "list", "--json")
    assert dead.returncode == 0 and json.loads(dead.stdout) == []


def test_the_plr_command_suspends_resumes_and_offboards(system: tuple[PlrStack, grpc.Channel], tmp_path) -> None:  # type: ignore[no-untyped-def]
    stack, _ = system
    assert stack.plr("trust", "onboard", "--ods", "RCL", "--name", "Command Line NHS Trust").returncode == 0
    suspended = stack.plr("trust", "suspend", "RCL", "--reason", "contract paused")
    assert suspended.returncode == 0 and "suspended" in suspended.stdout
    wait_for(
        lambda: set(statuses(stack, "RCL").values()) == {"suspended"},
        timeout=10,
        interval=0.3,
        message="RCL suspended everywhere",
    )
    resumed = stack.plr("trust", "resume", "RCL")
    assert resumed.returncode == 0 and "resumed" in resumed.stdout
    wait_for(
        lambda: set(statuses(stack, "RCL").values()) == {"active"},
        timeout=10,
        interval=0.3,
        message="RCL active again everywhere",
    )
    export = tmp_path / "rcl-export.json"
    unconfirmed = stack.plr("trust", "offboard", "RCL", "--export-to", str(export))
    assert unconfirmed.returncode == 2 and "--yes" in unconfirmed.stderr and not export.exists()
    offboarded = stack.plr("trust", "offboard", "RCL", "--export-to", str(export), "--yes")
    assert offboarded.returncode == 0, offboarded.stderr
    assert json.loads(export.read_text())  # the export, written before anything else is said
    assert stack.plr("trust", "offboard", "RCL", "--export-to", str(export), "--yes").returncode == 2
    wait_for(
        lambda: set(statuses(stack, "RCL").values()) == {"offboarded"},
        timeout=10,
        interval=0.3,
        message="RCL offboarded everywhere",
    )
