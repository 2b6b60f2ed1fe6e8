"""Matching's candidate projection with every process running: the registry's events reach matching's
worker, which reads each person with its own credential (GetMatchingProfile, from inside its eventlet
worker) and keeps them for the trusts that hold them; withdrawing the lived-experience consent takes the
areas out of matching at once, and a pause with one trust makes the person inactive for that trust
alone."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from plr.registry.v1 import leaders_pb2 as lpb
from plr.registry.v1 import leaders_pb2_grpc

from services.common.db import scoped_transaction
from services.common.grpc_client import api_channel, bearer
from services.common.tenancy import TenantScope
from services.matching.adapters.candidates import SqlCandidatePool
from services.matching.domain.ranking import Candidate
from tests.e2e.conftest import Running
from tests.e2e.test_leader_acceptance import onboard
from tests.support.infra import PlrStack, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.e2e]


def seen(stack: PlrStack, ods: str, leader_id: str) -> Candidate | None:
    today = datetime.now(UTC).date()
    with scoped_transaction(stack.engine("matching"), TenantScope.trust(ods)) as connection:
        return SqlCandidatePool(connection).get(leader_id, ods, frozenset(), today)


def test_the_projection_follows_the_registry_and_a_withdrawal_at_once(system: tuple[PlrStack, Running]) -> None:
    stack, _ = system
    keys = {ods: onboard(stack, ods) for ods in ("RCX", "RCY")}
    leaders = leaders_pb2_grpc.LeaderServiceStub(api_channel(stack.settings, "registry"))
    portal = stack.env["PLR_REGISTRY_PORTAL_TOKEN"]
    email = f"projection-{uuid.uuid4().hex[:8]}@example.org"
    for key in keys.values():
        registered = leaders.RegisterLeader(
            lpb.RegisterLeaderRequest(
                profile=lpb.LeaderProfile(given_name="Ada", family_name="Lovelace", email=email, skills=["chairing"])
            ),
            metadata=bearer(key),
            timeout=10,
        ).affiliation
        leader_id = registered.leader_id
        me = (*bearer(portal), ("x-plr-leader", leader_id))
        leaders.ConfirmAffiliation(
            lpb.ConfirmAffiliationRequest(affiliation_id=registered.affiliation_id), metadata=me, timeout=10
        )

    def consent(purpose: str, target: str = "", grant: bool = True) -> None:
        request = lpb.RecordConsentRequest(
            leader_id=leader_id, purpose=purpose, target=target, grant=grant, wording_version="2026-11"
        )
        leaders.RecordConsent(request, metadata=me, timeout=10)

    consent("contact_by_trust", "RCX")
    consent("lived_experience_matching")
    current = leaders.GetLeader(lpb.GetLeaderRequest(leader_id=leader_id), metadata=me, timeout=10)
    leaders.UpdateLeader(
        lpb.UpdateLeaderRequest(
            leader_id=leader_id,
            expected_version=current.version,
            profile=lpb.LeaderProfile(lived_experience=["cancer"]),
            fields=["lived_experience"],
        ),
        metadata=me,
        timeout=10,
    )
    leaders.PauseAffiliation(lpb.PauseAffiliationRequest(leader_id=leader_id), metadata=bearer(keys["RCY"]), timeout=10)

    def projected() -> bool:
        x, y = seen(stack, "RCX", leader_id), seen(stack, "RCY", leader_id)
        return (
            x is not None
            and y is not None
            and x.lived_experience == frozenset({"cancer"})
            and (x.active, x.contactable, y.active, y.contactable) == (True, True, False, False)
        )

    wait_for(projected, timeout=60, interval=0.3, message="matching's projection of the person")
    x = seen(stack, "RCX", leader_id)
    assert x is not None and x.skills == frozenset({"chairing"})

    consent("lived_experience_matching", grant=False)
    wait_for(
        lambda: (found := seen(stack, "RCX", leader_id)) is not None and found.lived_experience is None,
        timeout=30,
        interval=0.2,
        message="the lived experience to leave matching's projection",
    )
