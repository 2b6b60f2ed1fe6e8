"""Issue 15's acceptance: a trust's developer, with only a trust key, runs the guide's example client
(docs/examples/trust_client.py) verbatim against `make run`: health, its own trust, an import of a
20-row register with per-row ids, a nightly sync that sees confirmations, a DBS check and a placement
question on a demo person."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from plr.registry.v1 import leaders_pb2 as lpb
from plr.registry.v1 import leaders_pb2_grpc

from services.common.grpc_client import api_channel
from tests.support.infra import ROOT, Infra, plr_stack
from tests.support.make_run import Run, run_env

CLIENT = ROOT / "docs" / "examples" / "trust_client.py"


def client(env: dict[str, str], *args: str) -> list[dict[str, Any]]:
    """The example client as a developer runs it: its own process, the key in its environment."""
    done = subprocess.run(
        [sys.executable, str(CLIENT), *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_the_guides_example_client_runs_against_make_run(infra: Infra, tmp_path: Path) -> None:
    with plr_stack(infra) as stack:
        supervisor = Run(run_env(stack, tmp_path / "run.lock"))
        try:
            supervisor.wait_running()
            onboarded = stack.plr("trust", "onboard", "--ods", "RDV1", "--name", "Developer Trust", "--json")
            assert onboarded.returncode == 0, onboarded.stderr
            key = json.loads(onboarded.stdout)["api_key"]
            people = stack.plr("demo", "people", "--trust", "RDV1", "--count", "2", "--json")
            assert people.returncode == 0, people.stderr
            demo_person = json.loads(people.stdout)[0]["leader_id"]
            target = stack.settings.api("registry").target
            # the developer's environment: the key and the address, nothing else of plr's
            env = {"PATH": os.environ["PATH"], "PLR_TRUST_KEY": key, "PLR_REGISTRY_TARGET": target}

            assert {line["status"] for line in client(env, "health")} == {"SERVING"}
            assert client(env, "whoami") == [{"trust": "RDV1", "name": "Developer Trust", "status": "active"}]

            register = tmp_path / "register.csv"
            tag = uuid.uuid4().hex[:6]
            with register.open("w", newline="") as handle:
                writer = csv.writer(handle)
                writer.writerow(["reference", "given_name", "family_name", "email"])
                for n in range(20):
                    writer.writerow([f"EPR-{n:04}", f"Person{n}", "Register", f"reg-{tag}-{n}@example.org"])
            imported = client(env, "import", str(register))
            assert [(r["reference"], r["outcome"]) for r in imported] == [
                (f"EPR-{n:04}", "imported") for n in range(20)
            ]
            ids = {r["reference"]: r for r in imported}

            state = tmp_path / "sync-state.json"
            first = client(env, "sync", str(state))
            statuses = {r["affiliation_id"]: r["status"] for r in first if "affiliation_id" in r}
            assert all(statuses[r["affiliation_id"]] == "pending" for r in imported)
            assert demo_person in {r["leader_id"] for r in first if "name" in r}  # a confirmed person it sees

            # a later night: the people listing's mark is past every imported person's own last change
            marks = json.loads(state.read_text())
            marks["leaders"] = (datetime.fromisoformat(marks["leaders"]) + timedelta(minutes=30)).isoformat()
            state.write_text(json.dumps(marks))
            # two people confirm through the portal (the portal's credential acting for each)
            confirm_through_portal(stack, [ids["EPR-0003"], ids["EPR-0011"]])
            second = client(env, "sync", str(state))
            changed = {r["affiliation_id"]: r["status"] for r in second if "affiliation_id" in r}
            assert changed == {ids["EPR-0003"]["affiliation_id"]: "active", ids["EPR-0011"]["affiliation_id"]: "active"}
            assert {ids["EPR-0003"]["leader_id"], ids["EPR-0011"]["leader_id"]} <= {
                r["leader_id"] for r in second if "name" in r
            }

            [check] = client(env, "dbs", demo_person)
            assert check["check_type"] == "dbs"
            assert client(env, "may-place", demo_person) == [{"allowed": True, "reasons": []}]
        finally:
            supervisor.process.terminate()
            supervisor.process.wait(timeout=30)


def confirm_through_portal(stack: Any, rows: list[dict[str, Any]]) -> None:
    with api_channel(stack.settings, "registry") as channel:
        leaders = leaders_pb2_grpc.LeaderServiceStub(channel)
        for row in rows:
            leaders.ConfirmAffiliation(
                lpb.ConfirmAffiliationRequest(affiliation_id=row["affiliation_id"]),
                metadata=(
                    ("authorization", f"Bearer {stack.env['PLR_REGISTRY_PORTAL_TOKEN']}"),
                    ("x-plr-leader", row["leader_id"]),
                ),
                timeout=10,
            )


pytestmark = pytest.mark.integration
