"""Matching part 2's acceptance on `make run` with its demo (the registry's demo trust RXX with five
confirmed people, matching's two published roles for it): the trust's people ranked for its published
role with each factor explained; a person's recommended roles; the person's withdrawal of their
lived-experience consent changes the next ranking at once; a paused person is not ranked.

The trust calls with a key of its own (the demo's was shown once); the person acts through the portal's
credentials (the registry's and matching's), as the portal does for a signed-in person."""

from __future__ import annotations

import json
import re
from pathlib import Path

import grpc
import pytest
import requests
from plr.matching.v1 import matching_pb2 as mpb
from plr.matching.v1 import matching_pb2_grpc, ranking_pb2, ranking_pb2_grpc
from plr.registry.v1 import leaders_pb2 as lpb
from plr.registry.v1 import leaders_pb2_grpc

from services.common.grpc_client import api_channel, bearer
from tests.support.infra import Infra, plr_stack, wait_for
from tests.support.make_run import Run, run_env

pytestmark = [pytest.mark.integration, pytest.mark.e2e]
MATERNITY_PANEL = "Maternity and Neonatal Voices Partnership member"
SIGN_IN = "plr: demo person's sign-in at the portal: "


def portal_sign_in(supervisor: Run, listen: str) -> None:
    """The demo person's sign-in that `make run` printed works, and shows them their trust."""
    line = next(line for line in supervisor.lines if line.startswith(SIGN_IN))
    email, password = line.removeprefix(SIGN_IN).strip().split(" / ")
    browser = requests.Session()
    form = browser.get(f"http://{listen}/sign-in", timeout=10).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
    signed_in = browser.post(
        f"http://{listen}/sign-in", data={"csrf_token": token, "email": email, "password": password}, timeout=10
    )
    assert signed_in.status_code == 200 and "Sign out" in signed_in.text, signed_in.text[:500]


def test_on_make_run_the_demo_trust_ranks_its_people_and_a_person_is_recommended_its_roles(
    infra: Infra, tmp_path: Path
) -> None:
    with plr_stack(infra) as stack:
        supervisor = Run(run_env(stack, tmp_path / "run.lock"))
        try:
            supervisor.wait_running()
            wait_for(lambda: supervisor.said("plr: running"), timeout=180, message="the demos")
            assert supervisor.said("plr: demo roles of RXX: "), supervisor.output()
            portal_sign_in(supervisor, stack.env["PLR_PORTAL_WEB_LISTEN"])
            rotated = stack.plr("trust", "key", "issue", "RXX", "--scope", "read")
            key = bearer(re.search(r"plrk_\S+", rotated.stdout).group(0))  # type: ignore[union-attr]
            people = json.loads(stack.plr("demo", "people", "--trust", "RXX", "--json").stdout)
            person = people[0]["leader_id"]
            matching, registry = api_channel(stack.settings, "matching"), api_channel(stack.settings, "registry")
            opportunities = matching_pb2_grpc.OpportunityServiceStub(matching)
            ranking = ranking_pb2_grpc.RankingServiceStub(matching)
            leaders = leaders_pb2_grpc.LeaderServiceStub(registry)
            as_person = (*bearer(stack.env["PLR_REGISTRY_PORTAL_TOKEN"]), ("x-plr-leader", person))
            as_person_here = (*bearer(stack.env["PLR_MATCHING_PORTAL_TOKEN"]), ("x-plr-leader", person))

            listed = opportunities.ListOpportunities(mpb.ListOpportunitiesRequest(status="published"), metadata=key)
            role = next(o for o in listed.opportunities if o.details.title == MATERNITY_PANEL)

            def ranked() -> ranking_pb2.RankCandidatesResponse:
                request = ranking_pb2.RankCandidatesRequest(opportunity_id=role.opportunity_id)
                return ranking.RankCandidates(request, metadata=key, timeout=10)

            def lived_of(found: ranking_pb2.RankCandidatesResponse) -> ranking_pb2.FactorScore | None:
                mine = [c for c in found.candidates if c.leader_id == person]
                return next((f for f in mine[0].factors if f.factor == "lived_experience"), None) if mine else None

            # the worker projects the demo people from the registry's events
            def everyone() -> ranking_pb2.RankCandidatesResponse | None:
                found = ranked()
                return found if len(found.candidates) == len(people) else None

            first = wait_for(everyone, timeout=120, message="the demo people in the projection")
            assert all(len(c.factors) == 6 and all(f.reason for f in c.factors) for c in first.candidates)

            # the person agrees to the use of their lived experience in matching, and gives it
            consent = lpb.RecordConsentRequest(
                leader_id=person, purpose="lived_experience_matching", grant=True, wording_version="demo-1"
            )
            leaders.RecordConsent(consent, metadata=as_person, timeout=10)
            current = leaders.GetLeader(lpb.GetLeaderRequest(leader_id=person), metadata=as_person, timeout=10)
            given = lpb.UpdateLeaderRequest(
                leader_id=person,
                expected_version=current.version,
                profile=lpb.LeaderProfile(lived_experience=["maternity"]),
                fields=["lived_experience"],
            )
            leaders.UpdateLeader(given, metadata=as_person, timeout=10)
            wait_for(lambda: (f := lived_of(ranked())) is not None and list(f.matched) == ["maternity"], timeout=60)
            assert ranked().candidates[0].leader_id == person

            recommended = ranking.RecommendRoles(ranking_pb2.RecommendRolesRequest(), metadata=as_person_here)
            assert recommended.roles[0].opportunity_id == role.opportunity_id
            assert [f.matched for f in recommended.roles[0].factors if f.factor == "lived_experience"] == [
                ["maternity"]
            ]

            # the person withdraws that consent: the next ranking no longer counts it
            leaders.RecordConsent(
                lpb.RecordConsentRequest(
                    leader_id=person, purpose="lived_experience_matching", grant=False, wording_version="demo-1"
                ),
                metadata=as_person,
                timeout=10,
            )
            wait_for(lambda: (f := lived_of(ranked())) is not None and f.score == 0 and not f.matched, timeout=60)

            # the person pauses: they are not ranked
            leaders.PauseLeader(lpb.PauseLeaderRequest(leader_id=person), metadata=as_person, timeout=10)
            wait_for(lambda: lived_of(ranked()) is None, timeout=60, message="the paused person to leave the ranking")
            assert any(e.reason == "not_active" and e.count == 1 for e in ranked().excluded)
        except grpc.RpcError as error:
            pytest.fail(f"{error.code()}: {error.details()}\n{supervisor.output()}")
        finally:
            supervisor.process.terminate()
            supervisor.process.wait(timeout=60)
