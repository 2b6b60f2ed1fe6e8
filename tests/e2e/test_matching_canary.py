"""Matching's lived-experience canary (issue 12), with every process running at DEBUG: lived experience
never leaves matching in an event, a log line or another trust's read.

Trust MCA1 defines lived-experience terms whose codes and labels are unique strings; MCB1 defines the
first code as its own term too (a trust's role may name only global terms and its own), and both share a
network. A person of MCA1 consents to lived-experience matching, gives that area and shares their profile
with the network; a second person of MCA1 tries to give two areas without that consent (the registry
refuses: it never holds an area without the consent, so this is the nearest to "has it without
consent" the system allows). MCA1 publishes a role of its own preferring the area, MCB1 a network
role preferring it. Both trusts rank, the people are recommended roles, both read their concentration
report and every other read matching gives a trust; then the person withdraws the consent, pauses,
resumes and is erased, with every read made again after each step.

Then: no event (every service's outbox, and every message published on the events exchange, caught by
a queue of the test's own bound to ``#``) carries a canary except the registry's term events that define
the terms, and none of those names a person; matching publishes none at all. No line of matching's api
or worker carries a canary, and no process logs the unconsented person's areas or any term's label.
The network trust's reads never carry the area; while the person consents only their own trust's
ranking of its own role and their own recommended roles name it, and after the withdrawal no read of
anyone does. After erasure, matching's database holds the codes only where they define a term or a
role's preference."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from urllib.parse import quote

import grpc
import pytest
import sqlalchemy as sa
from google.protobuf.message import Message
from plr.matching.v1 import matching_pb2 as mpb
from plr.matching.v1 import matching_pb2_grpc, ranking_pb2, ranking_pb2_grpc
from plr.registry.v1 import leaders_pb2 as lpb
from plr.registry.v1 import leaders_pb2_grpc, networks_pb2_grpc
from plr.registry.v1 import networks_pb2 as npb

from services.common.db import scoped_transaction
from services.common.grpc_client import api_channel, bearer
from services.common.platform_tables import inbox, outbox
from services.common.tenancy import TenantScope
from services.common.topology import EVENTS_EXCHANGE
from services.matching.adapters.tables import network_members, terms
from tests.e2e.conftest import Running, running_system
from tests.e2e.test_canaries import answer_text, every_table, outboxes_drained, where
from tests.e2e.test_leader_acceptance import onboard
from tests.support.infra import SERVICES, Infra, PlrStack, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

Metadata = tuple[tuple[str, str], ...]

TOKEN = secrets.token_hex(5)
LIVED = f"qzmlived_{TOKEN}"  # the consenting person's area, preferred by both roles
LIVED_LABEL = f"Qzmlivedlabel{TOKEN}"
UNCONSENTED = f"qzmunconsented_{TOKEN}"  # what the second person tried to give without consent
UNCONSENTED_LABEL = f"Qzmunconsentedlabel{TOKEN}"
CANARIES = (LIVED, LIVED_LABEL, UNCONSENTED, UNCONSENTED_LABEL)
# matching never reads a term's label, and the registry never held the second person's areas
NOWHERE = (LIVED_LABEL, UNCONSENTED, UNCONSENTED_LABEL)
HOLDER, NETWORK_TRUST = "MCA1", "MCB1"
NETWORK = f"mc-{TOKEN}"
TAP = "test.matching-canary.tap"  # the test's own queue: every event published on the exchange
PHASES = ("consented", "withdrawn", "paused", "resumed", "erased")


@pytest.fixture(scope="module")
def system(infra: Infra) -> Iterator[tuple[PlrStack, Running]]:
    """Every process, logging at DEBUG (the most it can say)."""
    yield from running_system(infra, {"PLR_LOG_LEVEL": "DEBUG"})


@dataclass
class Story:
    person: str  # consents, gives LIVED, shares with the network; then withdraws, pauses, resumes, is erased
    other: str  # tried to give UNCONSENTED and LIVED without the consent
    holder_role: str  # MCA1's own role preferring LIVED
    network_role: str  # MCB1's network role preferring LIVED
    refusals: list[str] = field(default_factory=list)
    # every read, by "<phase> <reader> <method>"
    reads: dict[str, str] = field(default_factory=dict)
    # the rankings themselves, by phase: (MCA1's of its role, MCB1's of its network role)
    rankings: dict[str, tuple[ranking_pb2.RankCandidatesResponse, ranking_pb2.RankCandidatesResponse]] = field(
        default_factory=dict
    )


class Calls:
    def __init__(self, stack: PlrStack, registry: grpc.Channel, matching: grpc.Channel):
        self.stack = stack
        self.leaders = leaders_pb2_grpc.LeaderServiceStub(registry)
        self.networks = networks_pb2_grpc.NetworkServiceStub(registry)
        self.opportunities = matching_pb2_grpc.OpportunityServiceStub(matching)
        self.settings = matching_pb2_grpc.MatchingSettingsServiceStub(matching)
        self.ranking = ranking_pb2_grpc.RankingServiceStub(matching)

    def as_leader(self, leader_id: str) -> Metadata:
        """The portal acting for the signed-in person, at the registry."""
        return (*bearer(self.stack.env["PLR_REGISTRY_PORTAL_TOKEN"]), ("x-plr-leader", leader_id))

    def as_leader_here(self, leader_id: str) -> Metadata:
        """The portal acting for the signed-in person, at matching."""
        return (*bearer(self.stack.env["PLR_MATCHING_PORTAL_TOKEN"]), ("x-plr-leader", leader_id))

    def consent(self, leader_id: str, purpose: str, target: str = "", grant: bool = True) -> None:
        request = lpb.RecordConsentRequest(
            leader_id=leader_id, purpose=purpose, target=target, grant=grant, wording_version="2026-11"
        )
        self.leaders.RecordConsent(request, metadata=self.as_leader(leader_id), timeout=10)

    def register(self, key: Metadata, name: str) -> str:
        """A person of the trust, confirmed, who lets it contact them and shares with the network."""
        profile = lpb.LeaderProfile(
            given_name=name, family_name="Canary", email=f"{name.lower()}-{TOKEN}@canary.example", skills=["chairing"]
        )
        registered = self.leaders.RegisterLeader(lpb.RegisterLeaderRequest(profile=profile), metadata=key, timeout=10)
        leader_id = registered.affiliation.leader_id
        self.leaders.ConfirmAffiliation(
            lpb.ConfirmAffiliationRequest(affiliation_id=registered.affiliation.affiliation_id),
            metadata=self.as_leader(leader_id),
            timeout=10,
        )
        self.consent(leader_id, "contact_by_trust", HOLDER)
        self.consent(leader_id, "share_profile_with_network", NETWORK)
        return leader_id

    def give_areas(self, key: Metadata, leader_id: str, areas: list[str]) -> None:
        """The trust's staff record the person's areas for them (the terms are the trust's own, which only
        the trust's scope sees: the person cannot name them through the portal)."""
        current = self.leaders.GetLeader(lpb.GetLeaderRequest(leader_id=leader_id), metadata=key, timeout=10)
        self.leaders.UpdateLeader(
            lpb.UpdateLeaderRequest(
                leader_id=leader_id,
                expected_version=current.version,
                profile=lpb.LeaderProfile(lived_experience=areas),
                fields=["lived_experience"],
                on_behalf=lpb.OnBehalf(staff="Canary Staff", how_asked="in person, at the clinic"),
            ),
            metadata=key,
            timeout=10,
        )

    def publish(self, key: Metadata, details: mpb.OpportunityDetails) -> str:
        made = self.opportunities.CreateOpportunity(
            mpb.CreateOpportunityRequest(details=details), metadata=key, timeout=10
        ).opportunity
        self.opportunities.PublishOpportunity(
            mpb.ChangeOpportunityRequest(opportunity_id=made.opportunity_id, expected_version=made.version),
            metadata=key,
            timeout=10,
        )
        return made.opportunity_id

    def rank(self, key: Metadata, role: str) -> ranking_pb2.RankCandidatesResponse:
        request = ranking_pb2.RankCandidatesRequest(opportunity_id=role)
        return self.ranking.RankCandidates(request, metadata=key, timeout=10)


def matching_holds(stack: PlrStack, table: sa.Table, **equal: object) -> bool:
    """Whether matching's worker has projected a row (read in the platform's scope)."""
    with scoped_transaction(stack.engine("matching"), TenantScope.platform_wide()) as connection:
        found = connection.execute(
            sa.select(sa.func.count())
            .select_from(table)
            .where(*(table.c[name] == value for name, value in equal.items()))
        ).scalar_one()
    return bool(found)


def knows_key(calls: Calls, key: Metadata) -> bool:
    """Whether matching's worker has projected the trust's key (a read that is not UNAUTHENTICATED)."""
    read = mpb.GetMatchingSettingsRequest()
    return not answer_text(lambda: calls.settings.GetMatchingSettings(read, metadata=key, timeout=10)).startswith(
        "UNAUTHENTICATED"
    )


def without_preferences(message: Message) -> str:
    """An opportunity read as text, without the roles' own preferred areas (a role's definition, which
    names no one): whatever else of it carries a canary is a leak."""
    copy = type(message)()
    copy.CopyFrom(message)
    roles = getattr(copy, "opportunities", None)
    for role in roles if roles is not None else [copy]:
        del role.details.lived_experience[:]
    return str(copy)


def lived_factor(found: ranking_pb2.RankCandidatesResponse, leader_id: str) -> ranking_pb2.FactorScore | None:
    mine = [c for c in found.candidates if c.leader_id == leader_id]
    return next(f for f in mine[0].factors if f.factor == "lived_experience") if mine else None


def trust_reads(calls: Calls, key: Metadata, own_role: str, roles: tuple[str, ...]) -> dict[str, str]:
    """Every matching read a trust can make, as text: the opportunity reads without the roles' own
    preferences."""
    opportunities, ranking = calls.opportunities, calls.ranking
    reads = {
        "RankCandidates": answer_text(lambda: calls.rank(key, own_role)),
        "GetConcentrationReport": answer_text(
            lambda: ranking.GetConcentrationReport(
                ranking_pb2.GetConcentrationReportRequest(), metadata=key, timeout=10
            )
        ),
        "ListOpportunities": answer_text(
            lambda: without_preferences(
                opportunities.ListOpportunities(mpb.ListOpportunitiesRequest(page_size=500), metadata=key, timeout=10)
            )
        ),
        "GetMatchingSettings": answer_text(
            lambda: calls.settings.GetMatchingSettings(mpb.GetMatchingSettingsRequest(), metadata=key, timeout=10)
        ),
    }
    for role in roles:
        one = mpb.GetOpportunityRequest(opportunity_id=role)
        reads[f"GetOpportunity {role}"] = answer_text(
            lambda: without_preferences(opportunities.GetOpportunity(one, metadata=key, timeout=10))  # noqa: B023
        )
        eligibility = mpb.CheckEligibilityRequest(opportunity_id=role)
        reads[f"CheckEligibility {role}"] = answer_text(
            lambda: opportunities.CheckEligibility(eligibility, metadata=key, timeout=10)  # noqa: B023
        )
    return reads


def every_read(calls: Calls, keys: dict[str, Metadata], story: Story) -> dict[str, str]:
    """Each trust's matching reads, the network trust's registry read of the network's people, and each
    person's recommended roles, by "<reader> <method>"."""
    roles = (story.holder_role, story.network_role)
    reads = {
        f"{ods} {method}": text
        for ods, key in keys.items()
        for method, text in trust_reads(
            calls, key, story.holder_role if ods == HOLDER else story.network_role, roles
        ).items()
    }
    found = npb.FindNetworkCandidatesRequest(page_size=500)
    reads[f"{NETWORK_TRUST} FindNetworkCandidates"] = answer_text(
        lambda: calls.networks.FindNetworkCandidates(found, metadata=keys[NETWORK_TRUST], timeout=10)
    )
    for who, leader_id in (("person", story.person), ("other", story.other)):
        me = calls.as_leader_here(leader_id)
        reads[f"{who} RecommendRoles"] = answer_text(
            lambda: calls.ranking.RecommendRoles(ranking_pb2.RecommendRolesRequest(), metadata=me, timeout=10)  # noqa: B023
        )
    return reads


def refused_text(call: Callable[[], object]) -> str:
    """The refusal's code and details (the call must be refused)."""
    with pytest.raises(grpc.RpcError) as refused:
        call()
    return f"{refused.value.code().name}: {refused.value.details()}"


@pytest.fixture(scope="module")
def story(system: tuple[PlrStack, Running]) -> Iterator[Story]:
    stack, _ = system
    management = stack.management()
    management.queue(TAP)
    management.bind(EVENTS_EXCHANGE, TAP, "#")
    with api_channel(stack.settings, "registry") as registry, api_channel(stack.settings, "matching") as matching:
        calls = Calls(stack, registry, matching)
        keys = {ods: bearer(onboard(stack, ods)) for ods in (HOLDER, NETWORK_TRUST)}
        assert stack.plr("network", "create", NETWORK, "--name", "Canary Care System").returncode == 0
        for ods in keys:
            assert stack.plr("network", "add-trust", NETWORK, ods).returncode == 0
        for code, label in ((LIVED, LIVED_LABEL), (UNCONSENTED, UNCONSENTED_LABEL)):
            add = lpb.AddTermRequest(kind="lived_experience", code=code, label=label)
            calls.leaders.AddTerm(add, metadata=keys[HOLDER], timeout=10)
        add = lpb.AddTermRequest(kind="lived_experience", code=LIVED, label=LIVED_LABEL)
        calls.leaders.AddTerm(add, metadata=keys[NETWORK_TRUST], timeout=10)

        person = calls.register(keys[HOLDER], "Person")
        calls.consent(person, "lived_experience_matching")
        calls.give_areas(keys[HOLDER], person, [LIVED])
        other = calls.register(keys[HOLDER], "Other")
        refusals = [
            refused_text(lambda: calls.give_areas(keys[HOLDER], other, [UNCONSENTED, LIVED])),
            refused_text(
                lambda: calls.leaders.RegisterLeader(
                    lpb.RegisterLeaderRequest(
                        profile=lpb.LeaderProfile(
                            given_name="Other",
                            family_name="Canary",
                            email=f"other-{TOKEN}@canary.example",
                            lived_experience=[UNCONSENTED],
                        )
                    ),
                    metadata=keys[HOLDER],
                    timeout=10,
                )
            ),
        ]

        # the roles, once matching knows the trusts' terms and the network (so that no call is refused
        # naming a code, a refusal matching would log)
        wait_for(
            lambda: (
                all(matching_holds(stack, terms, code=LIVED, trust_ods=ods) for ods in keys)
                and all(matching_holds(stack, network_members, network_id=NETWORK, trust_ods=ods) for ods in keys)
            ),
            timeout=60,
            interval=0.2,
            message="matching to know the terms and the network",
        )
        for key in keys.values():  # and each trust's key
            wait_for(partial(knows_key, calls, key), timeout=60, interval=0.2, message="matching to know the key")
        details = dict(level="level_1", remote=True, places=2, required_skills=["chairing"], lived_experience=[LIVED])
        story = Story(
            person=person,
            other=other,
            holder_role=calls.publish(keys[HOLDER], mpb.OpportunityDetails(title="Holder's panel", **details)),
            network_role=calls.publish(
                keys[NETWORK_TRUST], mpb.OpportunityDetails(title="Network panel", network_id=NETWORK, **details)
            ),
            refusals=refusals,
        )

        def both() -> tuple[ranking_pb2.RankCandidatesResponse, ranking_pb2.RankCandidatesResponse]:
            return calls.rank(keys[HOLDER], story.holder_role), calls.rank(keys[NETWORK_TRUST], story.network_role)

        def after(phase: str, reached: Callable[[ranking_pb2.RankCandidatesResponse], bool]) -> None:
            """Once MCA1's ranking shows the step: both rankings, and every read, as of that phase."""
            wait_for(
                lambda: reached(calls.rank(keys[HOLDER], story.holder_role)), timeout=60, interval=0.2, message=phase
            )
            story.rankings[phase] = both()
            story.reads.update({f"{phase} {name}": text for name, text in every_read(calls, keys, story).items()})

        def projected(found: ranking_pb2.RankCandidatesResponse) -> bool:
            lived = lived_factor(found, person)
            network_lived = lived_factor(calls.rank(keys[NETWORK_TRUST], story.network_role), person)
            return (
                lived is not None
                and list(lived.matched) == [LIVED]
                and network_lived is not None
                and network_lived.score == 1.0
                and lived_factor(found, other) is not None
            )

        after("consented", projected)
        calls.consent(person, "lived_experience_matching", grant=False)
        after("withdrawn", lambda found: (f := lived_factor(found, person)) is not None and f.score == 0)
        calls.leaders.PauseLeader(lpb.PauseLeaderRequest(leader_id=person), metadata=calls.as_leader(person))
        after("paused", lambda found: lived_factor(found, person) is None)
        calls.leaders.ResumeLeader(lpb.ResumeLeaderRequest(leader_id=person), metadata=calls.as_leader(person))
        after("resumed", lambda found: lived_factor(found, person) is not None)
        calls.leaders.EraseLeader(lpb.EraseLeaderRequest(leader_id=person), metadata=calls.as_leader(person))
        after("erased", lambda found: found.considered == 1)  # the other person alone
        yield story


def test_the_network_trust_never_reads_the_area_and_after_the_withdrawal_no_one_does(story: Story) -> None:
    # the search finds what it looks for: the person's own trust, ranking its own role, and the person
    # see their area while they consent; the network trust's ranking counted it, without naming it
    holder, network = story.rankings["consented"]
    assert LIVED in story.reads["consented MCA1 RankCandidates"]
    assert LIVED in story.reads["consented person RecommendRoles"]
    seen = [c for c in network.candidates if c.leader_id == story.person]
    assert len(seen) == 1 and seen[0].network_candidate
    assert network.SerializeToString().count(story.person.encode()) == 1  # the read holds the person
    lived = lived_factor(network, story.person)
    assert lived is not None and lived.score == 1.0 and not lived.matched

    allowed = {"consented MCA1 RankCandidates", "consented person RecommendRoles"}
    assert where((LIVED,), {k: v for k, v in story.reads.items() if k not in allowed}) == []
    assert where(NOWHERE, story.reads) == []
    # the refusals of the areas given without consent name the field and the consent, never the areas
    assert [r.split(": ")[0] for r in story.refusals] == ["FAILED_PRECONDITION", "INVALID_ARGUMENT"], story.refusals
    assert all("lived_experience: " in r and "consent" in r for r in story.refusals), story.refusals
    assert where(CANARIES, {f"refusal {n}": r for n, r in enumerate(story.refusals)}) == []
    # and each step was ranked: withdrawn (counted as no match), paused (not ranked), erased (gone)
    for phase in PHASES[1:]:
        for found in story.rankings[phase]:
            lived = lived_factor(found, story.person)
            assert lived is None or (lived.score == 0 and not lived.matched), (phase, found)
    assert lived_factor(story.rankings["erased"][0], story.person) is None


@dataclass(frozen=True)
class Event:
    where: str
    type: str
    text: str


def published_events(stack: PlrStack) -> list[Event]:
    """Every event of every service's outbox (relayed or not), and every message the events exchange
    routed to the test's queue (peeked and put back)."""
    wait_for(lambda: outboxes_drained(stack), timeout=90, interval=0.2, message="every outbox to be relayed")
    found: list[Event] = []
    for service in SERVICES:
        with scoped_transaction(stack.engine(service), TenantScope.platform_wide()) as connection:
            rows = connection.execute(sa.select(outbox.c.event_type, outbox.c.payload)).all()
        found += [Event(f"{service} outbox", row.event_type, row.payload) for row in rows]
    management = stack.management()
    messages = management.request(
        "POST",
        f"/queues/{management.v}/{quote(TAP, safe='')}/get",
        {"count": 100000, "ackmode": "ack_requeue_true", "encoding": "auto"},
    ).json()
    for message in messages:
        payload = str(message.get("payload", ""))
        found.append(Event("exchange", json.loads(payload)["type"], payload + str(message.get("properties", ""))))
    return found


def test_no_event_carries_the_area_with_a_person_and_matching_publishes_none(
    system: tuple[PlrStack, Running], story: Story
) -> None:
    stack, _ = system
    events = published_events(stack)
    on_exchange = [e for e in events if e.where == "exchange"]
    # the search reaches what it searches: the exchange carried the terms' definitions, the person's
    # events and matching's own, each also in its service's outbox
    defining = [e for e in events if LIVED in e.text]
    assert {(e.where, e.type) for e in defining} == {
        ("registry outbox", "plr.registry.term.added.v1"),
        ("exchange", "plr.registry.term.added.v1"),
    }
    assert len([e for e in defining if e.where == "exchange"]) == 2  # MCA1's and MCB1's own term
    assert any(story.person in e.text and e.type == "plr.registry.consent.withdrawn.v1" for e in on_exchange)
    assert any(e.type == "plr.registry.leader.erased.v1" for e in on_exchange)
    assert any(story.network_role in e.text and e.type.startswith("plr.matching.") for e in on_exchange)

    # a canary only in a term's own definition, which names no one; a term's label in no event at all
    carrying = [e for e in events if where(CANARIES, {e.where: e.text})]
    assert [e for e in carrying if e.type != "plr.registry.term.added.v1"] == []
    assert [e for e in carrying if story.person in e.text or story.other in e.text] == []
    assert where((LIVED_LABEL, UNCONSENTED_LABEL), {f"{e.where} {e.type}": e.text for e in events}) == []
    assert [e for e in events if e.type.startswith("plr.matching.") and where(CANARIES, {e.where: e.text})] == []


def test_no_log_line_of_matching_carries_a_canary(system: tuple[PlrStack, Running], story: Story) -> None:
    stack, running = system
    for name in ("matching-api", "matching-worker"):  # each was started at DEBUG
        environ = Path(f"/proc/{running.processes[name].pid}/environ").read_bytes().split(b"\0")
        assert b"PLR_LOG_LEVEL=DEBUG" in environ, name
    # the search reads the logs it searches: the api answered every ranking, the worker ran
    api_log = "".join(running.logs["matching-api"])
    for method in ("RankCandidates ok", "RecommendRoles ok", "GetConcentrationReport ok"):
        assert method in api_log, method
    assert running.logs["matching-worker"]

    matching = {name: "".join(lines) for name, lines in running.logs.items() if name.startswith("matching-")}
    assert where(CANARIES, matching) == []
    # no process says the second person's areas, or any term's label
    assert where(NOWHERE, {name: "".join(lines) for name, lines in running.logs.items()}) == []


def test_after_erasure_matching_holds_the_area_only_where_a_term_or_a_role_names_it(
    system: tuple[PlrStack, Running], story: Story
) -> None:
    stack, _ = system
    # once matching has applied the relationship the erasure ended (after leader.erased)
    wait_for(
        lambda: matching_holds(stack, inbox, event_type="plr.registry.leader.affiliation_ended.v1"),
        timeout=60,
        interval=0.2,
        message="matching to apply the erasure's ended relationship",
    )
    prefix = "matching."
    rows = {name.removeprefix(prefix): text for name, text in every_table(stack).items() if name.startswith(prefix)}
    # the search reads the rows: the terms and the roles' preferences, and the other person's row
    assert LIVED in rows["terms"] and LIVED in rows["opportunities"] and UNCONSENTED in rows["terms"]
    assert story.other in rows["candidates"]
    assert where((LIVED,), {t: r for t, r in rows.items() if t not in ("terms", "opportunities")}) == []
    assert where((UNCONSENTED,), {t: r for t, r in rows.items() if t != "terms"}) == []
    assert where((LIVED_LABEL, UNCONSENTED_LABEL, story.person), rows) == []
