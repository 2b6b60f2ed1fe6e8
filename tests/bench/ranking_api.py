"""``make bench``: a trust's people ranked for one of its roles through the matching api as deployed,
beside the registry's leader read; every open role of the trust re-ranked after one profile change;
the projection's memory per person in PostgreSQL.

The trust (RBN) sees ``--people`` people (2,000 by default: ``ranking.synthetic_people``, dated from
today), projected as the matching worker projects them: each person's ``registry.leader.registered``
event applied through the candidate projection's own handlers by an ``InboxConsumer`` (in batches), the
registry's ``GetMatchingProfile`` played by the integration tests' ``Registry``; what recruitment says
they already do (placements, offers) applied through the placement-load handlers. About 90% of them
the trust holds (some paused or withdrawn, some not contactable by it, with checks it verified); the
rest are held by another trust and share their profile with a network RBN is a member of. The roles
are made through the api (CreateOpportunity, PublishOpportunity, with a trust key issued as matching's
integration tests issue one): the role of ``ranking.ROLE`` (skills, interests, lived experience, hours,
days, two sites, an hours and a declaration rule), published to the network, and ``--roles`` others
(``ranking.trust_roles``), every other one published to the network.

1. RankCandidates (top 50) for that role, as the trust's key, against ``plr-process matching api``
   in a process of its own, beside the registry's GetLeader against ``plr-process registry api``
   (as ``leader_read`` measures it), at 1 and 8 client threads, in interleaved windows (leader read,
   ranking, leader read, ...): calls/s, p50, p99, the api process's CPU per call, and each window's
   ratio of calls/s (leader read / ranking), the median reported.
2. One profile change (``registry.leader.updated``, the registry's new answer read by the projection's
   handler, as the worker applies it), then RankCandidates for every one of the roles, one after
   another, ``--changes`` times: p50/p99 of the whole, and of the change alone.
3. Memory per person: the projection's tables as PostgreSQL stores them (``pg_total_relation_size``:
   rows, indexes, TOAST) over the people, beside the columnar projection's (``adapters/columnar.py``,
   in memory) of the same people.

Prints figures; asserts only that the api ranks as the domain does (``rotation.rank`` over the same
people, loads, settings and role read back from matching's tables), before and after the changes.
Runs on the servers named by PLR_TEST_* (as ``make test`` does), in databases and a vhost of its own
that are dropped afterwards. About two and a half minutes with the defaults.
"""

from __future__ import annotations

import argparse
import contextlib
import random
import statistics
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import grpc
import sqlalchemy as sa
from plr.matching.v1 import matching_pb2 as mpb
from plr.matching.v1 import ranking_pb2 as pb
from plr.registry.v1 import leaders_pb2 as lpb
from plr.registry.v1 import leaders_pb2_grpc
from plr.registry.v1 import matching_profiles_pb2 as rpb

from services.common.db import scoped_transaction
from services.common.events import CloudEvent
from services.common.grpc_client import bearer
from services.common.inbox import InboxConsumer
from services.common.tenancy import TenantScope
from services.matching.adapters.candidate_projection import candidate_handlers
from services.matching.adapters.columnar import ColumnarCandidates
from services.matching.adapters.placement_load import placement_handlers
from services.matching.adapters.repositories import SqlOpportunityRepository, SqlSettingsStore
from services.matching.domain.opportunity import Details, Opportunity
from services.matching.domain.ranking import Candidate, Load
from services.matching.domain.rotation import RotationPolicy, rank
from services.matching.domain.settings import MatchingSettings
from services.matching.domain.terms import TermKind
from services.matching.entrypoints.grpc_opportunities import details_message
from services.matching.tests.integration.conftest import MatchingClient
from services.matching.tests.integration.test_candidate_projection import Registry, leader_event
from services.matching.tests.integration.test_placement_load import offer, placement
from tests.bench import ranking
from tests.bench.leader_read import Result, api_process, drive, prepare, process_cpu
from tests.bench.pipeline import load_average, median_ratio, say, setting
from tests.support.infra import Infra, PlrStack, plr_stack

TRUST, OTHER_TRUST = "RBN", "RBO"
NETWORK = "bench-net"
LIMIT = 50
BATCH = 500  # events applied in one transaction while the projection is filled
TABLES = ("candidates", "candidate_trusts", "candidate_checks", "placements", "offers_made")
Metadata = tuple[tuple[str, str], ...]


def _id(*parts: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "plr-bench:" + ":".join(parts)))


def projected(c: Candidate) -> Candidate:
    """The person as matching's projection can hold them for the trust: someone found through a network
    is contactable through it and has no checks the trust holds; a load is counted from placements
    (no hours committed without a current placement)."""
    load = c.load
    committed = load.committed_hours if load.concurrent_placements else 0
    return replace(
        c,
        contactable=c.contactable or not c.held,
        checks=c.checks if c.held else frozenset(),
        load=Load(load.concurrent_placements, committed, load.last_placed, load.recent_offers),
    )


def profile_of(c: Candidate, version: int) -> rpb.MatchingProfile:
    """What the registry's GetMatchingProfile answers for the person: held by the trust, or by another
    trust and shared with the network; not active: paused (no return date) or withdrawn."""
    holder = TRUST if c.held else OTHER_TRUST
    status = "active" if c.active else ("paused" if int(c.leader_id[0], 16) % 2 else "withdrawn")
    return rpb.MatchingProfile(
        leader_id=c.leader_id,
        version=version,
        status=status,
        skills=sorted(c.skills),
        interests=sorted(c.interests),
        lived_experience=sorted(c.lived_experience or ()),
        lived_experience_consent=c.lived_experience is not None,
        hours_per_month=c.hours_per_month,
        days=sorted(c.days),
        modes=sorted(c.modes),
        postcode_district=c.district or "",
        affiliations=[
            rpb.MatchingAffiliation(affiliation_id=_id(c.leader_id, holder), ods=holder, status="active", version=1)
        ],
        contact_trusts=[TRUST] if c.held and c.contactable else [],
        shared_networks=[] if c.held else [NETWORK],
        checks=[
            rpb.MatchingCheck(check_id=_id(c.leader_id, kind), check_type=kind, ods=holder, version=1)
            for kind in sorted(c.checks)
        ],
    )


def load_events(c: Candidate, today: date) -> list[CloudEvent]:
    """Recruitment's events that give the person their load (``projected``) on ``today``."""
    load, leader = c.load, c.leader_id
    events = [offer(leader, (today - timedelta(days=10)).isoformat(), TRUST) for _ in range(load.recent_offers)]
    if load.last_placed is None:
        return events
    if not load.concurrent_placements:  # placed before, ended by today
        ended = min(load.last_placed + timedelta(days=30), today)
        return [*events, placement(leader, _id(leader, "p"), load.last_placed.isoformat(), ended.isoformat())]
    each, rest = divmod(load.committed_hours, load.concurrent_placements)
    for n in range(load.concurrent_placements):  # the latest started on last_placed
        started = load.last_placed - timedelta(days=35 * n)
        hours = each + (rest if n == 0 else 0)
        events.append(placement(leader, _id(leader, f"p{n}"), started.isoformat(), hours=hours))
    return events


def terms_of(d: Details) -> set[tuple[str, str]]:
    return (
        {(TermKind.SKILL.value, s) for s in (*d.required_skills, *d.desirable_skills)}
        | {(TermKind.INTEREST.value, i) for i in d.interests}
        | {(TermKind.LIVED_EXPERIENCE.value, a) for a in d.lived_experience}
    )


@dataclass
class Trust:
    """The trust, its people (as the projection holds them) and its roles, on ``today``."""

    matching: MatchingClient
    key: Metadata
    today: date
    people: dict[str, Candidate]
    registry: Registry
    consumer: InboxConsumer
    role: Opportunity
    roles: list[Opportunity]
    settings: MatchingSettings


def make_trust(matching: MatchingClient, count: int, role_count: int) -> Trust:
    today = datetime.now(UTC).date()  # the api ranks on today's date
    sites = [mpb.Site(code=s.code, name=s.name, local_districts=s.local_districts) for s in ranking.SETTINGS.sites]
    key = matching.trust(TRUST, sites)
    matching.network(NETWORK, TRUST)
    roles = [replace(ranking.ROLE, network_id=NETWORK)] + [
        replace(d, network_id=NETWORK if n % 2 else None) for n, d in enumerate(ranking.trust_roles(role_count))
    ]
    for kind, code in sorted(set().union(*(terms_of(d) for d in roles))):
        matching.term(f"bench-{kind}-{code}", kind, code)
    made = [matching.publish(key, matching.create(key, details_message(d))) for d in roles]

    registry = Registry()
    consumer = InboxConsumer(
        name="bench.candidates", engine=matching.engine, handlers=candidate_handlers(registry), sleep=lambda _: None
    )
    loads = InboxConsumer(
        name="bench.placements", engine=matching.engine, handlers=placement_handlers(), sleep=lambda _: None
    )
    people = {c.leader_id: projected(c) for c in ranking.synthetic_people(count, today=today)}
    registered, recruited = [], []
    for c in people.values():
        registry.people[c.leader_id] = profile_of(c, 2)
        registered.append(leader_event("registered", c.leader_id, 1))
        recruited.extend(load_events(c, today))
    started = time.perf_counter()
    for events, through in ((registered, consumer), (recruited, loads)):
        for n in range(0, len(events), BATCH):
            through.apply_batch(events[n : n + BATCH])
    say(
        f"  the projection filled through the worker's handlers in {time.perf_counter() - started:.1f} s: "
        f"{len(registered)} people, {len(recruited)} placement and offer events"
    )
    with scoped_transaction(matching.engine, TenantScope.trust(TRUST)) as connection:
        stored = SqlOpportunityRepository(connection)
        found = [stored.get(o.opportunity_id) for o in made]
        settings = SqlSettingsStore(connection).get(TRUST)
    assert all(o is not None for o in found)
    opportunities = [o for o in found if o is not None]
    return Trust(matching, key, today, people, registry, consumer, opportunities[0], opportunities[1:], settings)


def analyze(stack: PlrStack) -> None:
    """The statistics autovacuum keeps on a deployed database: just filled, the tables have none, and
    the pool's join is then planned as a nested loop over both (measured: 400 ms instead of 16)."""
    with stack.engine("matching", "owner").connect().execution_options(isolation_level="AUTOCOMMIT") as owner:
        owner.execute(sa.text(f"ANALYZE {', '.join(TABLES)}"))


def rank_call(trust: Trust, role: Opportunity) -> Callable[[], pb.RankCandidatesResponse]:
    request = pb.RankCandidatesRequest(opportunity_id=role.opportunity_id, limit=LIMIT)
    stub = trust.matching.ranking
    return lambda: stub.RankCandidates(request, metadata=trust.key, timeout=30)


def check_against_domain(trust: Trust, role: Opportunity) -> int:
    """The api's ranking of ``role`` is the domain's over the same people: ids, scores, exclusions.
    The trust's own people the api considered."""
    found = rank_call(trust, role)()
    network = role.details.network_id is not None
    visible = [c for c in trust.people.values() if c.held or network]
    expected = rank(
        role.details,
        visible,
        trust.settings,
        RotationPolicy.of(trust.settings),
        trust.today,
        role.opportunity_id,
        LIMIT,
    )
    assert found.ranked_on == trust.today.isoformat(), (found.ranked_on, trust.today)  # not run over midnight
    held = sum(1 for c in visible if c.held)  # `considered` counts the trust's own people only
    assert found.considered == held, (found.considered, held)
    mine = [(c.leader_id, round(c.score, 9)) for c in found.candidates]
    theirs = [(r.fit.leader_id, round(r.score, 9)) for r in expected.ranked]
    assert mine == theirs, f"the api and the domain rank {role.details.title!r} differently"
    assert {e.reason: e.count for e in found.excluded} == {k.value: v for k, v in expected.excluded.items()}
    return found.considered


def change_someone(trust: Trust, rnd: random.Random) -> None:
    """One person held by the trust changes their skills and hours: the registry's new answer, and its
    ``registry.leader.updated`` event applied by the projection's handler (one transaction)."""
    held = [c for c in trust.people.values() if c.held]
    person = held[rnd.randrange(len(held))]
    changed = replace(person, skills=frozenset(rnd.sample(ranking.SKILLS[:60], 4)), hours_per_month=rnd.randint(4, 30))
    version = trust.registry.people[person.leader_id].version + 1
    trust.registry.people[person.leader_id] = profile_of(changed, version)
    trust.people[person.leader_id] = changed
    assert trust.consumer.apply_once(leader_event("updated", person.leader_id, version))


def percentile(values: Sequence[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def memory_per_person(stack: PlrStack, trust: Trust) -> None:
    tables = TABLES[:3]  # the projection of the people (the loads are recruitment's)
    with stack.engine("matching", "owner").connect() as connection:
        sizes = {t: int(connection.execute(sa.select(sa.func.pg_total_relation_size(t))).scalar_one()) for t in tables}
    count = len(trust.people)
    each = ", ".join(f"{t} {size / count:.0f}" for t, size in sizes.items())
    columnar = ColumnarCandidates.of(trust.people.values(), trust.today).nbytes()
    ids = columnar.pop("leader_ids")
    say(
        f"  memory per person: PostgreSQL {sum(sizes.values()) / count:.0f} bytes ({each}; rows, indexes and TOAST, "
        f"pg_total_relation_size over {count:,} people); columnar in memory {sum(columnar.values()) / count:.0f} "
        f"bytes of columns + {ids / count:.0f} bytes of leader id"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.ranking_api", description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=2_000, help="the trust's visible people")
    parser.add_argument("--roles", type=int, default=30, help="the trust's open roles re-ranked after a change")
    parser.add_argument("--changes", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=4.0, help="measured time per window")
    parser.add_argument("--windows", type=int, default=3, help="interleaved windows; the median counts")
    parser.add_argument("--warmup-s", type=float, default=1.0)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 8], help="client threads per run")
    parser.add_argument(
        "--compare-with",
        type=Path,
        metavar="DIR",
        help="also run the matching api from another checkout's code, as 'other rank', in the same windows "
        "(on the same database): an A/B of two versions of the code under the same load",
    )
    options = parser.parse_args(argv)

    infra = Infra(
        setting("PLR_TEST_DATABASE_ADMIN_URL"),
        setting("PLR_TEST_AMQP_URI"),
        setting("PLR_TEST_AMQP_MANAGEMENT_URL"),
    )
    say(f"ranking through the api: a trust's {options.people:,} people, top {LIMIT} for one role; {load_average()}")
    with plr_stack(infra, services=("registry", "matching")) as stack, contextlib.ExitStack() as servers:
        settings = stack.settings
        registry_target, registry_pid = servers.enter_context(api_process(stack, settings))
        matching_target, matching_pid = servers.enter_context(api_process(stack, settings, service="matching"))
        say(f"  plr-process registry api and plr-process matching api, server threads {settings.pool_size} each")
        leader = prepare(stack, registry_target, "RBL")
        channel = servers.enter_context(grpc.insecure_channel(matching_target))
        matching = MatchingClient(channel, stack.engine("matching"))
        trust = make_trust(matching, options.people, options.roles)
        analyze(stack)
        considered = check_against_domain(trust, trust.role)
        say(
            f"  the api ranks as the domain does ({considered:,} of the trust's own people considered, "
            f"the top {LIMIT} the same)"
        )

        leaders = leaders_pb2_grpc.LeaderServiceStub(servers.enter_context(grpc.insecure_channel(registry_target)))
        request, key = lpb.GetLeaderRequest(leader_id=leader.leader_id), bearer(leader.key)
        sides: list[tuple[str, Callable[[], object], Callable[[], float]]] = [
            ("leader read", lambda: leaders.GetLeader(request, metadata=key, timeout=10), process_cpu(registry_pid)),
            ("ranking", rank_call(trust, trust.role), process_cpu(matching_pid)),
        ]
        if options.compare_with:
            other_target, other_pid = servers.enter_context(
                api_process(stack, settings, options.compare_with, service="matching")
            )
            other = replace(trust, matching=MatchingClient(grpc.insecure_channel(other_target), matching.engine))
            servers.callback(other.matching.channel.close)
            sides.append(("other rank", rank_call(other, trust.role), process_cpu(other_pid)))
        results: list[Result] = []
        for threads in options.threads:
            for window in range(1, options.windows + 1):
                for name, one_call, cpu in sides:  # the peer first: a drifting load hits both
                    result = drive(name, one_call, threads, options.seconds, options.warmup_s, cpu)
                    result = replace(result, window=window, load=load_average())
                    say(result.line())
                    results.append(result)

        rnd = random.Random(9)
        roles = trust.roles
        for role in roles:  # each role's first ranking (the api's plans made) before the clock runs
            rank_call(trust, role)()
        whole, changes = [], []
        for _ in range(options.changes):
            began = time.perf_counter()
            change_someone(trust, rnd)
            changed = time.perf_counter()
            for role in roles:
                rank_call(trust, role)()
            whole.append(1000 * (time.perf_counter() - began))
            changes.append(1000 * (changed - began))
        for role in (trust.role, *roles[:2]):
            check_against_domain(trust, role)

        say("")
        say(f"ranking through the api ({options.people:,} people, top {LIMIT}) beside the registry's leader read:")
        for result in results:
            say(result.line())
        for threads, subject in [(t, name) for t in options.threads for name, _, _ in sides[1:]]:
            pairs = [
                (read, ranked)
                for read in results
                if read.name == "leader read" and read.threads == threads
                for ranked in results
                if ranked.name == subject and ranked.threads == threads and ranked.window == read.window
            ]
            each = ", ".join(f"w{read.window} {read.rate / ranked.rate:.1f}" for read, ranked in pairs)
            cpu_ms = statistics.median(r.cpu_s / max(r.calls, 1) * 1000 for _, r in pairs)
            say(
                f"  ratio leader read / {subject} (calls/s) at {threads} thread{'s' if threads > 1 else ''}: "
                f"{median_ratio([read.rate / ranked.rate for read, ranked in pairs]):.1f} (median of {each}); "
                f"{subject} median p50 {statistics.median(r.percentile(50) for _, r in pairs):.1f} ms, "
                f"p99 {statistics.median(r.percentile(99) for _, r in pairs):.1f} ms, CPU {cpu_ms:.1f} ms/call; "
                f"leader read median p50 {statistics.median(r.percentile(50) for r, _ in pairs):.2f} ms"
            )
        say(
            f"  one profile change, then the trust's {len(roles)} open roles re-ranked through the api "
            f"({options.changes} changes): p50 {percentile(whole, 50):.0f} ms, p99 {percentile(whole, 99):.0f} ms "
            f"(the change alone: p50 {percentile(changes, 50):.1f} ms)"
        )
        memory_per_person(stack, trust)
        say(f"  the api still ranks as the domain does after the changes; {load_average()}")


if __name__ == "__main__":
    main()
