"""The matching api, served in-process (a grpcio server in a thread) on this run's stack, and what a
test needs around it: trusts and keys in matching's trust directory, members of staff in its staff
directory (and the portal's credential acting for them), network memberships and terms of the
taxonomy, each applied through the projections' own handlers as the worker applies registry's events."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

import grpc
import pytest
import sqlalchemy as sa
from plr.matching.v1 import matching_pb2 as pb
from plr.matching.v1 import matching_pb2_grpc, ranking_pb2, ranking_pb2_grpc

from services.common.db import scoped_transaction
from services.common.events import CloudEvent
from services.common.grpc_client import bearer, open_channel
from services.common.principals import new_api_key
from services.common.tenancy import TenantScope
from services.common.trust_directory import (
    record_key_issued,
    record_staff_added,
    record_staff_left,
    record_trust_onboarded,
)
from services.matching.adapters.networks import record_network_created, record_trust_added, record_trust_removed
from services.matching.adapters.taxonomy import record_term_added, record_term_retired
from services.matching.entrypoints.api import build_server
from tests.support.infra import PlrStack

# every service of matching's api, by name, from every file of its package (a new one is swept too)
SERVICES = {s.name: s for f in (pb.DESCRIPTOR, ranking_pb2.DESCRIPTOR) for s in f.services_by_name.values()}
ROLE = pb.OpportunityDetails(title="Working group member", level="level_3", sites=["main"], places=2)
SITES = [pb.Site(code="main", name="Main site", local_districts=["LS1"])]


def registry_event(
    kind: str, aggregate: str, aggregate_id: str, version: int, data: Mapping[str, object], trust: str | None = None
) -> CloudEvent:
    return CloudEvent(
        type=f"plr.registry.{aggregate}.{kind}.v1",
        source="plr/registry",
        data=data,
        aggregate_type=aggregate,
        aggregate_id=aggregate_id,
        aggregate_version=version,
        trust_ods=trust,
    )


def term_event(name: str, term_id: str, kind: str, code: str, trust: str | None = None) -> CloudEvent:
    data = {"term_id": term_id, "kind": kind, "code": code, **({"ods": trust} if trust else {})}
    return registry_event(name, "term", term_id, 1 if name == "added" else 2, data, trust)


@dataclass
class MatchingClient:
    channel: grpc.Channel
    engine: sa.engine.Engine
    portal_token: str = ""
    network_versions: dict[str, int] = field(default_factory=dict)

    @property
    def opportunities(self) -> matching_pb2_grpc.OpportunityServiceStub:
        return matching_pb2_grpc.OpportunityServiceStub(self.channel)

    @property
    def settings(self) -> matching_pb2_grpc.MatchingSettingsServiceStub:
        return matching_pb2_grpc.MatchingSettingsServiceStub(self.channel)

    @property
    def ranking(self) -> ranking_pb2_grpc.RankingServiceStub:
        return ranking_pb2_grpc.RankingServiceStub(self.channel)

    def stub(self, service: str):  # type: ignore[no-untyped-def]
        return {
            "OpportunityService": self.opportunities,
            "MatchingSettingsService": self.settings,
            "RankingService": self.ranking,
        }[service]

    def apply(self, handler, event: CloudEvent) -> None:  # type: ignore[no-untyped-def]
        with scoped_transaction(self.engine, TenantScope.platform_wide()) as connection:
            handler(connection, event)

    def apply_in_scope(self, handler, event: CloudEvent) -> None:  # type: ignore[no-untyped-def]
        """As the worker's inbox applies it: in its trust's scope, or the platform's."""
        scope = TenantScope.trust(event.trust_ods) if event.trust_ods else TenantScope.platform_wide()
        with scoped_transaction(self.engine, scope) as connection:
            handler(connection, event)

    def term(self, term_id: str, kind: str, code: str, trust: str | None = None, retired: bool = False) -> None:
        """A term of the registry's taxonomy (its id unique to the test run), added, then retired if asked."""
        self.apply_in_scope(record_term_added, term_event("added", term_id, kind, code, trust))
        if retired:
            self.apply_in_scope(record_term_retired, term_event("retired", term_id, kind, code, trust))

    def trust(self, ods: str, sites: list[pb.Site] = SITES) -> tuple[tuple[str, str], ...]:
        """A trust in matching's directory, with a key and its sites set; the key's metadata."""
        key = new_api_key()
        self.apply(
            record_trust_onboarded,
            registry_event("onboarded", "trust", ods, 1, {"ods": ods, "name": f"{ods} NHS Trust"}),
        )
        issued = {
            "ods": ods,
            "key_id": key.key_id,
            "secret_sha256": key.secret_sha256,
            "issued_at": datetime.now(UTC).isoformat(),
        }
        self.apply(record_key_issued, registry_event("key_issued", "trust", ods, 2, issued))
        metadata = bearer(key.presented)
        self.settings.UpdateMatchingSettings(
            pb.UpdateMatchingSettingsRequest(
                settings=pb.MatchingSettings(recent_placement_months=12, max_concurrent_placements=3, sites=sites),
                expected_version=0,
            ),
            metadata=metadata,
            timeout=10,
        )
        return metadata

    def staff(self, ods: str, *roles: str) -> str:
        """A member of the trust's staff (the trust already in the directory), as the registry adds them:
        their id."""
        staff_id = str(uuid.uuid4())
        data = {"staff_id": staff_id, "ods": ods, "roles": sorted(roles)}
        self.apply_in_scope(record_staff_added, registry_event("added", "staff", staff_id, 1, data, ods))
        return staff_id

    def staff_left(self, ods: str, staff_id: str) -> None:
        data = {"staff_id": staff_id, "ods": ods}
        self.apply_in_scope(record_staff_left, registry_event("left", "staff", staff_id, 2, data, ods))

    def as_staff(self, staff_id: str) -> tuple[tuple[str, str], ...]:
        """The portal's call for a signed-in member of staff."""
        return (*bearer(self.portal_token), ("x-plr-staff-id", staff_id))

    def _network_event(self, network: str) -> int:
        self.network_versions[network] = self.network_versions.get(network, 0) + 1
        return self.network_versions[network]

    def network(self, network: str, *members: str) -> None:
        created = {"network_id": network, "name": f"{network} network"}
        self.apply(
            record_network_created, registry_event("created", "network", network, self._network_event(network), created)
        )
        for ods in members:
            self.join(network, ods)

    def join(self, network: str, ods: str) -> None:
        event = registry_event(
            "trust_added", "network", network, self._network_event(network), {"network_id": network, "ods": ods}
        )
        self.apply(record_trust_added, event)

    def leave(self, network: str, ods: str) -> None:
        event = registry_event(
            "trust_removed", "network", network, self._network_event(network), {"network_id": network, "ods": ods}
        )
        self.apply(record_trust_removed, event)

    def create(self, metadata: tuple[tuple[str, str], ...], details: pb.OpportunityDetails = ROLE) -> pb.Opportunity:
        request = pb.CreateOpportunityRequest(details=details)
        return self.opportunities.CreateOpportunity(request, metadata=metadata, timeout=10).opportunity

    def publish(self, metadata: tuple[tuple[str, str], ...], o: pb.Opportunity) -> pb.Opportunity:
        request = pb.ChangeOpportunityRequest(opportunity_id=o.opportunity_id, expected_version=o.version)
        return self.opportunities.PublishOpportunity(request, metadata=metadata, timeout=10)


@pytest.fixture(scope="session")
def matching_target(stack: PlrStack) -> Iterator[str]:
    server = build_server(stack.settings, "127.0.0.1:0")
    server.start()
    yield f"127.0.0.1:{server.port}"
    server.stop(grace_s=1)


@pytest.fixture(scope="session")
def matching(stack: PlrStack, matching_target: str) -> Iterator[MatchingClient]:
    channel = open_channel(matching_target, stack.settings.grpc_tls)
    yield MatchingClient(channel, stack.engine("matching"), stack.env["PLR_MATCHING_PORTAL_TOKEN"])
    channel.close()
