"""Issue 15 attacked from outside, as a trust's developer with a key, the guide and proto/ would: each
test is a promise of docs/trust-integration.md or leaders.proto that the registry does not keep yet.

- A page token is the caller's to hold, unsigned: a hostile trust that edits the time in it (a time
  zone PostgreSQL refuses) or a programme listing's offset (past bigint) gets INTERNAL, not
  INVALID_ARGUMENT naming ``page_token`` ("never INTERNAL for your input").
- Another trust's consent for itself moves the version and ``updated_at`` that a trust sees of the
  same person, though nothing it may see changed: its answer differs by what another trust did.
- The guide's example client, run verbatim, misses a person's change made while the trust's
  affiliation had ended, once the person confirms the trust again ("a nightly sync that cannot miss a
  change").
- RecordCheck names one bad field at a time ("the message names each").
- The example client refuses every row of a spreadsheet's "CSV UTF-8" (its byte order mark)."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import grpc
import pytest
from plr.registry.v1 import checks_pb2, checks_pb2_grpc
from plr.registry.v1 import development_pb2 as dpb
from plr.registry.v1 import leaders_pb2 as lpb

from services.common.grpc_client import bearer
from services.registry.tests.integration.conftest import RegistryClient
from services.registry.tests.integration.development_support import development
from tests.support.infra import ROOT

pytestmark = pytest.mark.integration

CLIENT = ROOT / "docs" / "examples" / "trust_client.py"


@pytest.fixture(scope="module")
def trust_keys(registry: RegistryClient) -> tuple[str, str]:
    return registry.onboard("RAF1").initial_key.key, registry.onboard("RAF2").initial_key.key


def _email() -> str:
    return f"attack-{uuid.uuid4().hex[:10]}@example.org"


def test_a_page_token_with_its_time_edited_out_of_range_is_invalid_argument_not_internal(
    registry: RegistryClient, trust_keys: tuple[str, str]
) -> None:
    key, _ = trust_keys
    for _ in range(2):
        registry.confirm(registry.register(key, _email()))
    first = registry.leaders.ListAffiliations(
        lpb.ListAffiliationsRequest(page_size=1), metadata=bearer(key), timeout=10
    )
    parts = json.loads(base64.urlsafe_b64decode(first.next_page_token))
    parts[0] = "2026-01-01T00:00:00+23:59"  # Python reads it; PostgreSQL refuses the offset
    edited = base64.urlsafe_b64encode(json.dumps(parts).encode()).decode()
    with pytest.raises(grpc.RpcError) as refused:
        registry.leaders.ListAffiliations(
            lpb.ListAffiliationsRequest(page_size=1, page_token=edited), metadata=bearer(key), timeout=10
        )
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT, refused.value.details()
    assert refused.value.details().startswith("page_token:")


def test_another_trusts_consent_for_itself_leaves_what_a_trust_sees_of_the_person_unchanged(
    registry: RegistryClient, trust_keys: tuple[str, str]
) -> None:
    key_a, key_b = trust_keys
    email = _email()
    leader_id = registry.confirm(registry.register(key_a, email)).leader_id
    registry.confirm(registry.register(key_b, email))
    before = registry.leaders.GetLeader(lpb.GetLeaderRequest(leader_id=leader_id), metadata=bearer(key_a), timeout=10)
    registry.leaders.RecordConsent(
        lpb.RecordConsentRequest(
            leader_id=leader_id,
            purpose="contact_by_trust",
            target="RAF2",
            grant=True,
            wording_version="2026-11",
            evidence="signed form 12",
        ),
        metadata=bearer(key_b),
        timeout=10,
    )
    after = registry.leaders.GetLeader(lpb.GetLeaderRequest(leader_id=leader_id), metadata=bearer(key_a), timeout=10)
    assert list(after.consents) == list(before.consents)  # nothing that concerns trust A changed
    assert (after.version, after.updated_at) == (before.version, before.updated_at)


def test_another_trusts_consent_leaves_a_trusts_listing_and_update_as_they_were_and_moves_its_own_view(
    registry: RegistryClient, trust_keys: tuple[str, str]
) -> None:
    key_a, key_b = trust_keys
    email = _email()
    leader_id = registry.confirm(registry.register(key_a, email)).leader_id
    registry.confirm(registry.register(key_b, email))
    seen_by_a = registry.leaders.GetLeader(
        lpb.GetLeaderRequest(leader_id=leader_id), metadata=bearer(key_a), timeout=10
    )
    seen_by_b = registry.leaders.GetLeader(
        lpb.GetLeaderRequest(leader_id=leader_id), metadata=bearer(key_b), timeout=10
    )
    since = lpb.ListLeadersRequest(updated_since=seen_by_a.updated_at)
    listed_before = registry.leaders.ListLeaders(since, metadata=bearer(key_a), timeout=10)
    consent = lpb.RecordConsentRequest(
        leader_id=leader_id,
        purpose="contact_by_trust",
        target="RAF2",
        grant=True,
        wording_version="2026-11",
        evidence="signed form 12",
    )
    registry.leaders.RecordConsent(consent, metadata=bearer(key_b), timeout=10)
    later = lpb.ListLeadersRequest(
        updated_since=registry.leaders.GetLeader(
            lpb.GetLeaderRequest(leader_id=leader_id), metadata=bearer(key_b), timeout=10
        ).updated_at
    )
    # trust A's listing of changes since then is what it was: the person is not among them
    assert [x.leader_id for x in registry.leaders.ListLeaders(since, metadata=bearer(key_a), timeout=10).leaders] == [
        x.leader_id for x in listed_before.leaders
    ]
    assert leader_id not in [x.leader_id for x in registry.leaders.ListLeaders(later, metadata=bearer(key_a)).leaders]
    # trust B's own view moved, and its listing shows the person again
    after_b = registry.leaders.GetLeader(lpb.GetLeaderRequest(leader_id=leader_id), metadata=bearer(key_b), timeout=10)
    assert after_b.version > seen_by_b.version and after_b.contactable
    assert leader_id in [x.leader_id for x in registry.leaders.ListLeaders(later, metadata=bearer(key_b)).leaders]
    # trust A updates its own record with the version it sees (another trust's consent made it no staler)
    updated = registry.leaders.UpdateLeader(
        lpb.UpdateLeaderRequest(
            leader_id=leader_id,
            expected_version=seen_by_a.version,
            profile=lpb.LeaderProfile(given_name="Known"),
            fields=["given_name"],
        ),
        metadata=bearer(key_a),
        timeout=10,
    )
    assert updated.known_as.given_name == "Known" and updated.version == seen_by_a.version
    with pytest.raises(grpc.RpcError) as stale:
        registry.leaders.UpdateLeader(
            lpb.UpdateLeaderRequest(
                leader_id=leader_id,
                expected_version=seen_by_a.version + 1,
                profile=lpb.LeaderProfile(given_name="Known"),
                fields=["given_name"],
            ),
            metadata=bearer(key_a),
            timeout=10,
        )
    assert stale.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert f"is at version {seen_by_a.version}," in stale.value.details()


def _client(target: str, key: str, *args: str) -> list[dict[str, Any]]:
    env = {"PATH": "/usr/bin:/bin", "PLR_TRUST_KEY": key, "PLR_REGISTRY_TARGET": target}
    done = subprocess.run(
        [sys.executable, str(CLIENT), *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_the_example_sync_sees_a_change_made_while_the_affiliation_had_ended(
    registry: RegistryClient, registry_target: str, trust_keys: tuple[str, str], tmp_path: Path
) -> None:
    key, _ = trust_keys
    email = _email()
    leader_id = registry.confirm(registry.register(key, email, given="Original")).leader_id
    state = tmp_path / "sync-state.json"
    _client(registry_target, key, "sync", str(state))
    registry.leaders.EndAffiliation(
        lpb.EndAffiliationRequest(leader_id=leader_id, reason="programme paused"), metadata=bearer(key), timeout=10
    )
    _client(registry_target, key, "sync", str(state))
    own = registry.leaders.GetLeader(
        lpb.GetLeaderRequest(leader_id=leader_id), metadata=registry.as_leader(leader_id), timeout=10
    )
    registry.leaders.UpdateLeader(
        lpb.UpdateLeaderRequest(
            leader_id=leader_id,
            expected_version=own.version,
            profile=lpb.LeaderProfile(given_name="Renamed"),
            fields=["given_name"],
        ),
        metadata=registry.as_leader(leader_id),
        timeout=10,
    )
    # later nights: the people listing's mark moved on past the person's change (others changed since)
    marks = json.loads(state.read_text())
    marks["leaders"] = (datetime.fromisoformat(marks["leaders"]) + timedelta(minutes=30)).isoformat()
    state.write_text(json.dumps(marks))
    registry.confirm(registry.register(key, email, given="Original"))  # the trust asks again; they confirm

    seen = _client(registry_target, key, "sync", str(state))
    names = [line["name"] for line in seen if line.get("leader_id") == leader_id and "name" in line]
    assert names == ["Renamed"], seen


def test_record_check_names_every_bad_field_at_once(registry: RegistryClient, trust_keys: tuple[str, str]) -> None:
    key, _ = trust_keys
    checks = checks_pb2_grpc.CheckServiceStub(registry.channel)
    with pytest.raises(grpc.RpcError) as refused:
        checks.RecordCheck(
            checks_pb2.RecordCheckRequest(leader_id=str(uuid.uuid4()), check_type="dbs", issued_on="2026-01-01"),
            metadata=bearer(key),
            timeout=10,
        )
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "dbs_level:" in refused.value.details() and "evidence:" in refused.value.details()


def test_the_example_import_reads_a_spreadsheets_csv_utf8_with_its_byte_order_mark(
    registry_target: str, trust_keys: tuple[str, str], tmp_path: Path
) -> None:
    """import-format.md: "Save the file as CSV UTF-8"; a spreadsheet's CSV UTF-8 starts with a BOM
    (`plr leaders import` reads it; the guide's example client refused every row)."""
    key, _ = trust_keys
    register = tmp_path / "register.csv"
    register.write_bytes(
        b"\xef\xbb\xbfreference,given_name,family_name,email\r\n" + f"EPR-1,Ada,Bom,{_email()}\r\n".encode()
    )
    [result] = [line for line in _client(registry_target, key, "import", str(register)) if "outcome" in line]
    assert (result["reference"], result["outcome"]) == ("EPR-1", "imported"), result


def test_a_programme_page_token_with_an_offset_past_bigint_is_invalid_argument_not_internal(
    registry: RegistryClient, trust_keys: tuple[str, str]
) -> None:
    key, _ = trust_keys
    api = development(registry)
    for title in ("One", "Two"):
        api.CreateProgramme(
            dpb.CreateProgrammeRequest(title=title, module_titles=["m"]), metadata=bearer(key), timeout=10
        )
    first = api.ListProgrammes(dpb.ListProgrammesRequest(page_size=1), metadata=bearer(key), timeout=10)
    parts = json.loads(base64.urlsafe_b64decode(first.next_page_token))
    parts[0] = 2**63  # read as an int by Python; past PostgreSQL's bigint
    edited = base64.urlsafe_b64encode(json.dumps(parts).encode()).decode()
    with pytest.raises(grpc.RpcError) as refused:
        api.ListProgrammes(dpb.ListProgrammesRequest(page_size=1, page_token=edited), metadata=bearer(key), timeout=10)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT, refused.value.details()
