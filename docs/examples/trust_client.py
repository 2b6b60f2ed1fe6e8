"""A trust's first client of plr's registry, as docs/trust-integration.md describes it.

Uses only a trust's key and stubs generated from proto/ (``python -m grpc_tools.protoc -I proto
--python_out=gen --grpc_python_out=gen $(find proto/plr -name '*.proto')``; this repository ships them
in proto/gen/python). Run it with ``PLR_TRUST_KEY`` set, against ``make run`` (127.0.0.1:50051):

    python docs/examples/trust_client.py health
    python docs/examples/trust_client.py whoami
    python docs/examples/trust_client.py import docs/examples/leaders-import.csv
    python docs/examples/trust_client.py sync sync-state.json
    python docs/examples/trust_client.py dbs LEADER_ID [CERTIFICATE_NUMBER]
    python docs/examples/trust_client.py may-place LEADER_ID

Each command prints JSON lines: what a trust's system would store. Calls that may be retried are
(UNAVAILABLE, DEADLINE_EXCEEDED), a few times with back-off; writes carry an idempotency key where the
method takes one, so a retry never does a thing twice.
"""

from __future__ import annotations

import csv
import json
import os
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import grpc
from google.protobuf.timestamp_pb2 import Timestamp
from grpc_health.v1 import health_pb2, health_pb2_grpc
from plr.registry.v1 import (
    checks_pb2,
    checks_pb2_grpc,
    imports_pb2,
    imports_pb2_grpc,
    leaders_pb2,
    leaders_pb2_grpc,
    registry_pb2,
    registry_pb2_grpc,
)

TARGET = os.environ.get("PLR_REGISTRY_TARGET", "127.0.0.1:50051")
RETRYABLE = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED}
# rows committed at the same moment as the last one seen, or in a transaction that began before it and
# committed after it, are fetched again: a sync starts this far before its last `updated_at`, and
# drops what it already has by (id, version)
SYNC_OVERLAP = timedelta(minutes=5)
BATCH = 500
T = TypeVar("T")


def metadata() -> tuple[tuple[str, str], ...]:
    key = os.environ.get("PLR_TRUST_KEY")
    if not key:
        sys.exit("set PLR_TRUST_KEY to your trust's API key (<key-id>.<secret>)")
    # a correlation id per call: quote it to plr's administrators when asking about a call
    return (("authorization", f"Bearer {key}"), ("x-correlation-id", str(uuid.uuid4())))


def channel() -> grpc.Channel:
    ca = os.environ.get("PLR_CA_FILE")  # TLS when plr's administrator gives you its CA
    if ca:
        # mutual TLS, when the administrator's api asks for a client certificate and gave you one
        cert, key = os.environ.get("PLR_CLIENT_CERT_FILE"), os.environ.get("PLR_CLIENT_KEY_FILE")
        credentials = grpc.ssl_channel_credentials(
            Path(ca).read_bytes(),
            private_key=Path(key).read_bytes() if key else None,
            certificate_chain=Path(cert).read_bytes() if cert else None,
        )
        return grpc.secure_channel(TARGET, credentials)
    return grpc.insecure_channel(TARGET)


def call(method: Callable[..., T], request: Any, attempts: int = 4) -> T:
    for attempt in range(attempts):
        try:
            return method(request, metadata=metadata(), timeout=10)
        except grpc.RpcError as error:
            if error.code() not in RETRYABLE or attempt == attempts - 1:
                raise
            time.sleep(0.5 * 2**attempt)
    raise AssertionError("unreachable")


def show(**fields: Any) -> None:
    print(json.dumps(fields, default=str), flush=True)


def health(ch: grpc.Channel) -> None:
    stub = health_pb2_grpc.HealthStub(ch)
    for service in ("", "plr.registry.v1.RegistryService", "plr.registry.v1.LeaderService"):
        answer = stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=5)
        show(health=service or "(server)", status=health_pb2.HealthCheckResponse.ServingStatus.Name(answer.status))


def whoami(ch: grpc.Channel) -> None:
    trust = call(registry_pb2_grpc.RegistryServiceStub(ch).GetTrust, registry_pb2.GetTrustRequest())
    show(trust=trust.ods, name=trust.name, status=trust.status)


def import_register(ch: grpc.Channel, path: str) -> None:
    """The trust's own register, in batches; each row's result pairs the trust's `reference` with
    plr's ids. Re-running the same file adds nothing (outcome `unchanged`, the same ids)."""
    with open(path, newline="", encoding="utf-8-sig") as handle:  # a spreadsheet's CSV UTF-8 has a BOM
        rows = list(csv.DictReader(handle))
    stub = imports_pb2_grpc.ImportServiceStub(ch)
    for start in range(0, len(rows), BATCH):
        request = imports_pb2.ImportLeadersRequest(
            rows=[
                imports_pb2.ImportRow(row_number=start + i + 2, cells={k: v for k, v in row.items() if v})
                for i, row in enumerate(rows[start : start + BATCH])
            ]
        )
        answer = call(stub.ImportLeaders, request)
        for result in answer.results:
            show(
                row=result.row_number,
                reference=result.reference,
                outcome=result.outcome,
                affiliation_id=result.affiliation_id,
                leader_id=result.leader_id,
            )
        for problem in answer.problems:
            show(row=problem.row_number, reference=problem.reference, problem=f"{problem.field}: {problem.reason}")


def pages(list_page: Callable[[str], tuple[list[Any], str]]) -> Iterator[Any]:
    token = ""
    while True:
        items, token = list_page(token)
        yield from items
        if not token:
            return


def sync(ch: grpc.Channel, state_file: str) -> None:
    """A nightly sync that cannot miss a change: affiliations first (a person's confirmation shows
    there, not in ListLeaders: it changes the relationship, not the person), then the people the trust
    sees, then GetLeader for anyone who became active and was not listed (their own details may be
    older than ListLeaders' start). Each list runs from its last `updated_at` minus SYNC_OVERLAP,
    at-or-after (ties included); what was seen already is dropped by (id, version); the new start is
    saved only at the end."""
    state_path = Path(state_file)
    state = json.loads(state_path.read_text()) if state_path.exists() else {}
    leaders = leaders_pb2_grpc.LeaderServiceStub(ch)
    versions: dict[str, int] = state.get("versions", {})
    marks: dict[str, str] = {}
    joined: list[str] = []
    listed: set[str] = set()  # the people this run's listing returned (their latest, as this trust sees them)
    for listing, method, request_type, items in (
        ("affiliations", leaders.ListAffiliations, leaders_pb2.ListAffiliationsRequest, "affiliations"),
        ("leaders", leaders.ListLeaders, leaders_pb2.ListLeadersRequest, "leaders"),
    ):
        since = state.get(listing)
        newest = since

        def page(token: str, method: Any = method, request_type: Any = request_type, items: str = items) -> Any:
            request = request_type(page_size=BATCH, page_token=token)
            if since:
                start = datetime.fromisoformat(since) - SYNC_OVERLAP
                request.updated_since.FromDatetime(start)
            answer = call(method, request)
            return list(getattr(answer, items)), answer.next_page_token

        for item in pages(page):
            item_id = item.affiliation_id if listing == "affiliations" else item.leader_id
            changed_at = stamp(item.updated_at)
            newest = max(newest or changed_at, changed_at)
            if listing == "leaders":
                listed.add(item_id)
            if versions.get(f"{listing}:{item_id}") == item.version:
                continue  # seen on the last run (the overlap)
            versions[f"{listing}:{item_id}"] = item.version
            if listing == "affiliations":
                show(affiliation_id=item_id, leader_id=item.leader_id, status=item.status, version=item.version)
                if item.status == "active":
                    # a confirmation changes the relationship, not the person: ListLeaders will not
                    # show someone whose own details are older than its start, so fetch them now
                    joined.append(item.leader_id)
            else:
                show(leader_id=item_id, status=item.status, version=item.version, name=item.profile.given_name)
        if newest:
            marks[listing] = newest
    # not "anyone seen on an earlier run": a person may have changed while the affiliation had ended
    for leader_id in joined:
        if leader_id not in listed:
            person = call(leaders.GetLeader, leaders_pb2.GetLeaderRequest(leader_id=leader_id))
            versions[f"leaders:{leader_id}"] = person.version
            show(leader_id=leader_id, status=person.status, version=person.version, name=person.profile.given_name)
    state_path.write_text(json.dumps({**state, **marks, "versions": versions}))


def stamp(value: Timestamp) -> str:
    return value.ToDatetime(tzinfo=UTC).isoformat()


def dbs(ch: grpc.Channel, leader_id: str, certificate: str = "001234567890") -> None:
    today = datetime.now(UTC).date()
    check = call(
        checks_pb2_grpc.CheckServiceStub(ch).RecordCheck,
        checks_pb2.RecordCheckRequest(
            # one key per intended action: this certificate for this person, however often it is retried
            idempotency_key=f"dbs-{leader_id}-{certificate}",
            leader_id=leader_id,
            check_type="dbs",
            dbs_level="enhanced",
            issued_on=(today - timedelta(days=7)).isoformat(),
            expires_on=(today + timedelta(days=3 * 365)).isoformat(),
            evidence="DBS certificate seen by the volunteer lead",
            dbs_details=f"certificate {certificate}",
        ),
    )
    show(check_id=check.check_id, check_type=check.check_type, expires_on=check.expires_on)


def may_place(ch: grpc.Channel, leader_id: str, on: date | None = None) -> None:
    answer = call(
        checks_pb2_grpc.CheckServiceStub(ch).MayPlace,
        checks_pb2.MayPlaceRequest(
            leader_id=leader_id,
            requirements=[checks_pb2.CheckRequirement(check_type="dbs", minimum_dbs_level="enhanced")],
            on=(on or datetime.now(UTC).date()).isoformat(),
        ),
    )
    show(allowed=answer.allowed, reasons=[f"{r.check_type}:{r.problem}" for r in answer.reasons])


def main(argv: list[str]) -> int:
    commands: dict[str, Callable[..., None]] = {
        "health": health,
        "whoami": whoami,
        "import": import_register,
        "sync": sync,
        "dbs": dbs,
        "may-place": may_place,
    }
    if not argv or argv[0] not in commands:
        print(__doc__, file=sys.stderr)
        return 2
    with channel() as ch:
        try:
            commands[argv[0]](ch, *argv[1:])
        except grpc.RpcError as error:
            print(f"{error.code().name}: {error.details()}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
