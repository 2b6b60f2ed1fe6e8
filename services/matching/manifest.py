"""The matching service, as the platform sees it (services/common/manifest.py; docs/adding-a-service.md):
a worker that keeps its trust directory, the registry's staff directory, its networks, its taxonomy and
its projection of the registry's people (reading the registry with its own credential) current from
registry's events (and what people already do from recruitment's), and relays its outbox; and an api for
a trust's opportunities, matching settings and rankings, called with a trust's keys or by the portal for a
member of the trust's staff."""

from __future__ import annotations

from pathlib import Path

from services.common.manifest import Api, ApiCaller, Consumer, Ref, ServiceManifest, Setting
from services.common.settings import optional_token
from services.common.trust_directory import projection_handlers, staff_projection_handlers
from services.matching.adapters.networks import network_handlers
from services.matching.adapters.placement_load import placement_handlers
from services.matching.adapters.taxonomy import term_handlers
from services.matching.adapters.topology import (
    CANDIDATE_QUEUE,
    NETWORK_QUEUE,
    PLACEMENT_QUEUE,
    REGISTRY_EVENTS,
    STAFF_QUEUE,
    TERM_QUEUE,
)

# the portal's credential here: it acts for signed-in members of a trust's staff (x-plr-staff-id),
# never for a leader and never as itself. Read by the api only. Empty: no portal
PORTAL_TOKEN = Setting(
    "PORTAL_TOKEN",
    "the portal's credential for matching (at least 32 characters; empty: no portal)",
    optional_token,
    default="",
    roles=("api",),
    secret=True,
)
# what a member of staff does through the portal: every method a trust's key may call. The method's
# scope (their roles') and the use case then decide (a finance member reads only)
PORTAL_METHODS = tuple(
    f"plr.matching.v1.{service}/{method}"
    for service, methods in (
        (
            "OpportunityService",
            (
                "CreateOpportunity",
                "UpdateOpportunity",
                "PublishOpportunity",
                "CloseOpportunity",
                "FillOpportunity",
                "WithdrawOpportunity",
                "GetOpportunity",
                "ListOpportunities",
                "CheckEligibility",
            ),
        ),
        ("MatchingSettingsService", ("GetMatchingSettings", "UpdateMatchingSettings")),
        ("RankingService", ("RankCandidates", "GetConcentrationReport")),
    )
    for method in methods
)
PORTAL = ApiCaller("portal", PORTAL_TOKEN, PORTAL_METHODS, acts_for=("staff",))

MANIFEST = ServiceManifest(
    name="matching",
    migrations=Path(__file__).parent / "migrations",
    consumers=(
        Consumer(REGISTRY_EVENTS, "matching.trust-directory", projection_handlers),
        Consumer(STAFF_QUEUE, "matching.staff-directory", staff_projection_handlers),
        Consumer(NETWORK_QUEUE, "matching.networks", network_handlers),
        Consumer(TERM_QUEUE, "matching.taxonomy", term_handlers),
        Consumer(PLACEMENT_QUEUE, "matching.placement-load", placement_handlers),
        Consumer(
            CANDIDATE_QUEUE,
            "matching.candidates",
            Ref("services.matching.entrypoints.worker:candidate_projection_handlers"),
        ),
    ),
    # the registry's credential for matching (its MATCHING caller), read by the worker alone
    worker_reads=(("registry", "MATCHING_TOKEN"),),
    # trust keys and the portal (for staff): it holds no administrator's token
    api=Api(default_port=50052, run=Ref("services.matching.entrypoints.api:run"), requires=(), callers=(PORTAL,)),
    settings=(PORTAL_TOKEN,),
    demo=Ref("services.matching.entrypoints.demo:run"),
)
