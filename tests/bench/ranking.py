"""``make bench``: ranking 1,000,000 people for one role, against the floor, the naive scorer and SQL.

The people are synthetic and seeded (``synthetic_people``): 300 skills, 120 interests and 40
lived-experience areas drawn with a long tail (a few terms common, most rare), 70% consenting to the
use of their lived experience, about 2,900 postcode districts, hours, days, ways of taking part,
checks, and a placement load (a quarter placed in the last two years). The role asks for 3 required
and 2 desirable skills, 2 interests, a lived-experience area, 8 hours a month on two days, at two
sites, with an hours rule and a declaration rule. Top 50, as ``rotation.rank`` would give them.

Timed in one run, windows interleaved so that the machine's load falls on each alike; each figure is
the median of 3 windows (a window: several calls, the time per call), in the thread's CPU time for
what runs in this process (the machine is shared; the wall-clock figures of the floor and the fused
scorer are printed too), on the wall clock for SQL (another process):
(a) the **floor**: one raw read of the projection's columns, a numba loop summing every column of the
    projection once (every word of every term kind, every scalar column). It is the least any scorer
    over these columns must do (touch each byte once); numba, as the fused scorer, so that both are
    compiled loops and the difference is the scoring. A second floor reads only the columns this role
    reads (the scalar columns and the words of the terms it names): the fused scorer's own bytes.
(b) the **naive scorer**: the domain's ``rotation.rank`` over ``Candidate`` objects, timed on the first
    20,000 people and scaled to 1,000,000 (it is linear: one ``fit`` per person, then a sort).
(c) **SQL**: the projection as a PostgreSQL table (bigint words, ``bit_count`` of ``&`` cast to
    bit(64)) in a temporary database on the shared server, the same filters, factors, weights,
    penalty and cap in one SELECT ... ORDER BY round(score, 2) DESC, md5(seed || id) LIMIT 50
    (PostgreSQL has no blake2b: its ties are broken by another hash, so only the scores are compared).
(d) the **fused scorer**: ``columnar.top_for_role``.
Then a trust's people (2,000) ranked for one role in-process (p50/p99), every open role of a trust
(30) re-ranked after one profile change, and the projection's memory per person.

Prints figures; asserts only that the fused scorer and the domain agree on the sample, and that SQL's
top scores are the same. About two minutes.
"""

from __future__ import annotations

import argparse
import io
import itertools
import os
import random
import statistics
import struct
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date, timedelta

import numpy as np
import psycopg2
from numba import njit

from services.matching.adapters.columnar import (
    FLAG_ACTIVE,
    FLAG_CONTACTABLE,
    FLAG_PRESENT,
    MODE_IN_PERSON,
    MODE_REMOTE,
    NEVER_PLACED,
    ColumnarCandidates,
    top_for_role,
)
from services.matching.domain.eligibility import Kind, Rule
from services.matching.domain.opportunity import Details
from services.matching.domain.ranking import REQUIRED_SHARE, UNKNOWN_SCORE, WEIGHTS, Candidate, Factor, Load
from services.matching.domain.rotation import DAYS_A_MONTH, RotationPolicy, rank
from services.matching.domain.settings import MatchingSettings, Site
from services.matching.domain.terms import CheckType, Day, Level
from tests.bench.pipeline import say, setting

TODAY = date(2026, 12, 1)
SKILLS = [f"skill_{n:03d}" for n in range(300)]
INTERESTS = [f"interest_{n:03d}" for n in range(120)]
AREAS = [f"lived_{n:02d}" for n in range(40)]
LETTERS = "ABCDEFGHIJKLMNOPRSTUWYZ"
POSTCODE_AREAS = [a + b for a in LETTERS[:12] for b in LETTERS[:10]]  # 120 areas
DISTRICTS = [f"{area}{n}" for area in POSTCODE_AREAS for n in range(1, 25)]  # 2,880 districts
SETTINGS = MatchingSettings(
    "RBN",
    sites=(
        Site("site-a", "Site A", tuple(f"{POSTCODE_AREAS[0]}{n}" for n in range(1, 7))),
        Site("site-b", "Site B", tuple(f"{POSTCODE_AREAS[1]}{n}" for n in range(1, 7))),
    ),
)
POLICY = RotationPolicy.of(SETTINGS)
ROLE = Details(
    title="Working group member",
    level=Level.LEVEL_3,
    required_skills=(SKILLS[5], SKILLS[12], SKILLS[30]),
    desirable_skills=(SKILLS[8], SKILLS[70]),
    interests=(INTERESTS[3], INTERESTS[20]),
    lived_experience=(AREAS[4],),
    sites=("site-a", "site-b"),
    hours_per_month=8,
    days=(Day.MON, Day.WED),
    required_checks=(CheckType.DBS,),
    eligibility_rules=(Rule(Kind.MIN_HOURS_PER_MONTH, "4"), Rule(Kind.AGED_18_OR_OVER)),
)
SEED = "opp-bench-1"
WINDOWS = 3


def _long_tail(count: int) -> list[float]:
    """Cumulative weights (``random.choices``' cum_weights): the n-th term drawn as often as 1 / n^0.8."""
    return list(itertools.accumulate(1 / (n + 1) ** 0.8 for n in range(count)))


def synthetic_people(count: int, seed: int = 12, today: date = TODAY) -> Iterator[Candidate]:
    """``count`` seeded people, their placements dated back from ``today``."""
    rnd = random.Random(seed)
    skill_w, interest_w, area_w = _long_tail(len(SKILLS)), _long_tail(len(INTERESTS)), _long_tail(len(AREAS))
    district_w = _long_tail(len(DISTRICTS))
    days = [d.value for d in Day]
    for _ in range(count):
        placed = rnd.random() < 0.25
        yield Candidate(
            str(uuid.UUID(int=rnd.getrandbits(128), version=4)),
            active=rnd.random() < 0.93,
            contactable=rnd.random() < 0.9,
            held=rnd.random() < 0.9,
            skills=frozenset(rnd.choices(SKILLS, cum_weights=skill_w, k=rnd.randint(1, 8))),
            interests=frozenset(rnd.choices(INTERESTS, cum_weights=interest_w, k=rnd.randint(0, 5))),
            lived_experience=frozenset(rnd.choices(AREAS, cum_weights=area_w, k=rnd.randint(0, 3)))
            if rnd.random() < 0.7
            else None,
            hours_per_month=0 if rnd.random() < 0.2 else rnd.randint(2, 40),
            days=frozenset(rnd.sample(days, rnd.randint(0, 5))),
            modes=frozenset(rnd.sample(["remote", "in_person"], rnd.randint(0, 2))),
            district=None if rnd.random() < 0.03 else rnd.choices(DISTRICTS, cum_weights=district_w)[0],
            checks=frozenset(c.value for c in CheckType if rnd.random() < 0.4),
            load=Load(
                concurrent_placements=rnd.choice((0, 0, 0, 1, 1, 2, 3)) if placed else 0,
                committed_hours=rnd.choice((0, 4, 8, 16)) if placed else 0,
                last_placed=today - timedelta(days=rnd.randint(0, 730)) if placed else None,
                recent_offers=rnd.choice((0, 0, 0, 1, 2)),
            ),
        )


@njit(cache=True)
def _floor_sum(flags, days, modes, district, hours, committed, concurrent, offers, last_placed, words):  # type: ignore[no-untyped-def]
    total = 0
    for i in range(flags.shape[0]):
        total += flags[i] + days[i] + modes[i] + district[i] + hours[i]
        total += committed[i] + concurrent[i] + offers[i] + last_placed[i]
    bits = np.uint64(0)
    for w in range(words.shape[0]):
        for i in range(words.shape[1]):
            bits ^= words[w, i]
    return total, bits


def floor_read(people: ColumnarCandidates, words: np.ndarray) -> int:
    """Every scalar column, then every row of ``words`` (term words stacked), each read once."""
    total, bits = _floor_sum(
        people.flags,
        people.days,
        people.modes,
        people.district,
        people.hours,
        people.committed_hours,
        people.concurrent,
        people.recent_offers,
        people.last_placed,
        words,
    )
    return int(total) ^ int(bits)


def role_words(people: ColumnarCandidates, d: Details) -> list[np.ndarray]:
    """The word rows this role's query reads (the terms it names, the checks its rules name)."""
    rows = []
    for terms, codes in (
        (people.skills, (*d.required_skills, *d.desirable_skills)),
        (people.interests, d.interests),
        (people.lived_experience, d.lived_experience),
    ):
        for w in np.flatnonzero(terms.mask(codes)):
            rows.append(terms.words[w])
    return rows


def windows(
    calls: dict[str, tuple[Callable[[], object], int]], clock: Callable[[], float] = time.thread_time
) -> dict[str, float]:
    """Seconds per call of each, the median of ``WINDOWS`` windows, the windows interleaved. In-process
    work is timed in this thread's CPU time: the machine is shared (its load is printed), and a thread
    waiting for a core is not the code's cost. Calls to another process are timed on the wall clock."""
    times: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(WINDOWS):
        for name, (call, repeat) in calls.items():
            start = clock()
            for _ in range(repeat):
                call()
            times[name].append((clock() - start) / repeat)
    return {name: statistics.median(found) for name, found in times.items()}


# --- SQL -------------------------------------------------------------------------------------------


def _sql_words(prefix: str, count: int) -> list[str]:
    return [f"{prefix}{w}" for w in range(count)]


def _copy_binary(people: ColumnarCandidates) -> tuple[list[str], io.BytesIO]:
    """The projection as PostgreSQL's binary COPY: numbers as they are, words as bigint."""
    scalars = [
        ("flags", "int2", people.flags),
        ("days", "int2", people.days),
        ("modes", "int2", people.modes),
        ("district", "int4", people.district),
        ("hours", "int2", people.hours),
        ("committed", "int2", people.committed_hours),
        ("concurrent", "int2", people.concurrent),
        ("offers", "int2", people.recent_offers),
        ("last_placed", "int4", people.last_placed),
    ]
    words = []
    for prefix, terms in (
        ("s", people.skills),
        ("i", people.interests),
        ("l", people.lived_experience),
        ("c", people.checks),
    ):
        for w, name in enumerate(_sql_words(prefix, terms.words.shape[0])):
            words.append((name, "int8", terms.words[w].view(np.int64)))
    width = people.leader_ids.dtype.itemsize
    fields = [("count", ">i2"), ("id_len", ">i4"), ("id", f"S{width}")]
    big = {"int2": ">i2", "int4": ">i4", "int8": ">i8"}
    size = {"int2": 2, "int4": 4, "int8": 8}
    for name, kind, _ in scalars + words:
        fields += [(f"{name}_len", ">i4"), (name, big[kind])]
    rows = np.zeros(len(people), dtype=fields)
    rows["count"] = 1 + len(scalars) + len(words)
    rows["id_len"] = width
    rows["id"] = people.leader_ids
    for name, kind, column in scalars + words:
        rows[f"{name}_len"] = size[kind]
        rows[name] = column
    buffer = io.BytesIO()
    buffer.write(b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0))
    buffer.write(rows.tobytes())
    buffer.write(struct.pack(">h", -1))
    buffer.seek(0)
    columns = ["id text"] + [f"{name} {kind}" for name, kind, _ in scalars + words]
    return columns, buffer


def _bits(column: str, mask: int) -> str:
    return f"bit_count(({column} & {mask}::bigint)::bit(64))"


def _count(prefix: str, terms_mask: np.ndarray) -> str:
    parts = [_bits(f"{prefix}{w}", int(m)) for w, m in enumerate(terms_mask.view(np.int64)) if m]
    return " + ".join(parts) if parts else "0"


def _covers(prefix: str, mask: np.ndarray) -> str:
    parts = [f"({prefix}{w} & {int(m)}::bigint) = {int(m)}::bigint" for w, m in enumerate(mask.view(np.int64)) if m]
    return " AND ".join(parts) if parts else "true"


def sql_query(people: ColumnarCandidates, d: Details, policy: RotationPolicy, seed: str, limit: int) -> str:
    """The ranking as one SELECT (the role's numbers inlined, as a prepared plan's would be)."""
    n_req, n_des, n_int = len(d.required_skills), len(d.desirable_skills), len(d.interests)
    rule_skills = people.skills.mask(r.value for r in d.eligibility_rules if r.kind is Kind.HAS_SKILL)
    rule_checks = people.checks.mask(r.value for r in d.eligibility_rules if r.kind is Kind.HOLDS_CHECK)
    min_hours = max((int(r.value) for r in d.eligibility_rules if r.kind is Kind.MIN_HOURS_PER_MONTH), default=0)
    wanted = {day.value for day in d.days}
    day_mask = sum(1 << n for n, day in enumerate(Day) if day.value in wanted)
    skills_parts, shares = [], []
    if n_req:
        skills_parts.append(
            f"(({_count('s', people.skills.mask(d.required_skills))})::float8 / {n_req}) * {REQUIRED_SHARE}"
        )
        shares.append(REQUIRED_SHARE)
    if n_des:
        skills_parts.append(
            f"(({_count('s', people.skills.mask(d.desirable_skills))})::float8 / {n_des}) * {1 - REQUIRED_SHARE}"
        )
        shares.append(1 - REQUIRED_SHARE)
    skills = f"({' + '.join(skills_parts)}) / {sum(shares)}" if skills_parts else "1.0"
    lived = (
        f"(CASE WHEN ({_count('l', people.lived_experience.mask(d.lived_experience))}) > 0 THEN 1.0 ELSE 0.0 END)"
        if d.lived_experience
        else "1.0"
    )
    interests = f"(({_count('i', people.interests.mask(d.interests))})::float8 / {n_int})" if n_int else "1.0"
    avail_parts = []
    if d.hours_per_month:
        avail_parts.append(
            f"(CASE WHEN hours = 0 THEN {UNKNOWN_SCORE} "
            f"ELSE least(1.0, greatest(0, hours - committed)::float8 / {d.hours_per_month}) END)"
        )
    if wanted:
        avail_parts.append(
            f"(CASE WHEN days = 0 THEN {UNKNOWN_SCORE} "
            f"ELSE bit_count((days & {day_mask})::bit(8))::float8 / {len(wanted)} END)"
        )
    availability = f"(({' + '.join(avail_parts)}) / {len(avail_parts)})" if avail_parts else "1.0"
    access = (
        f"(CASE WHEN modes = 0 THEN {UNKNOWN_SCORE} "
        f"WHEN {'true' if d.remote else 'false'} AND modes & {MODE_REMOTE} <> 0 THEN 1.0 "
        f"WHEN {'true' if d.sites else 'false'} AND modes & {MODE_IN_PERSON} <> 0 THEN 1.0 ELSE 0.0 END)"
    )
    w = WEIGHTS
    fit = (
        f"{w[Factor.SKILLS]} * {skills} + {w[Factor.LIVED_EXPERIENCE]} * {lived} + {w[Factor.INTERESTS]} * {interests}"
        f" + {w[Factor.AVAILABILITY]} * {availability} + {w[Factor.TRAVEL]} * t.score + {w[Factor.ACCESS]} * {access}"
    )
    today = TODAY.toordinal()
    months = f"greatest(0.0, ({today} - last_placed) / {DAYS_A_MONTH})"
    recent = (
        f"(CASE WHEN last_placed <> {NEVER_PLACED} AND {policy.recent_months} > 0 AND {months} < {policy.recent_months}"
        f" THEN {policy.recent_placement_penalty} * (1 - {months} / {policy.recent_months}) ELSE 0.0 END)"
    )
    loads = f"{policy.concurrent_penalty} * concurrent + {policy.offer_penalty} * offers"
    penalty = f"least({recent} + {loads}, {policy.max_penalty})"
    hours_left = f"NOT ({d.hours_per_month} > 0 AND hours > 0 AND greatest(0, hours - committed) < {d.hours_per_month})"
    ranked_flags = FLAG_PRESENT | FLAG_ACTIVE | FLAG_CONTACTABLE
    return f"""
        SELECT id, round(score::numeric, 2) AS rounded FROM (
            SELECT p.id, ({fit}) - {penalty} AS score
            FROM people p JOIN travel t ON t.district = p.district
            WHERE p.flags & {ranked_flags} = {ranked_flags}
              AND {_covers("s", rule_skills)} AND {_covers("c", rule_checks)}
              AND ({min_hours} = 0 OR hours = 0 OR hours >= {min_hours})
              AND {hours_left}
              AND concurrent < {policy.max_concurrent_placements}
              AND committed + {d.hours_per_month} <= {policy.max_hours_per_month}
        ) ranked
        ORDER BY round(score::numeric, 2) DESC, md5({seed!r} || id)
        LIMIT {limit}
    """


class SqlBench:
    """A database of its own on the shared server, with the projection and the role's travel table."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self.name = f"plr_bench_ranking_{os.getpid()}"

    def __enter__(self) -> SqlBench:
        admin = psycopg2.connect(self.admin_url)
        admin.autocommit = True
        with admin.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{self.name}"')
        admin.close()
        base = self.admin_url.rsplit("/", 1)[0]
        self.connection = psycopg2.connect(f"{base}/{self.name}")
        return self

    def load(self, people: ColumnarCandidates, travel: np.ndarray) -> float:
        columns, data = _copy_binary(people)
        start = time.perf_counter()
        with self.connection.cursor() as cursor:
            cursor.execute(f"CREATE TABLE people ({', '.join(columns)})")
            cursor.copy_expert("COPY people FROM STDIN WITH (FORMAT binary)", data)
            cursor.execute("CREATE TABLE travel (district int4 PRIMARY KEY, score float8 NOT NULL)")
            cursor.executemany("INSERT INTO travel VALUES (%s, %s)", list(enumerate(travel.tolist())))
        self.connection.commit()
        with self.connection.cursor() as cursor:
            self.connection.autocommit = True
            cursor.execute("VACUUM ANALYZE people")  # hint bits set, so that no timed scan writes
            cursor.execute("VACUUM ANALYZE travel")
        return time.perf_counter() - start

    def run(self, query: str) -> list[tuple[str, float]]:
        with self.connection.cursor() as cursor:
            cursor.execute(query)
            return [(row[0], float(row[1])) for row in cursor.fetchall()]

    def __exit__(self, *exc: object) -> None:
        self.connection.close()
        admin = psycopg2.connect(self.admin_url)
        admin.autocommit = True
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        admin.close()


# --- the run ---------------------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def trust_roles(count: int) -> list[Details]:
    rnd = random.Random(5)
    return [
        replace(
            ROLE,
            title=f"Role {n}",
            required_skills=tuple(rnd.sample(SKILLS[:60], 2)),
            desirable_skills=tuple(rnd.sample(SKILLS[60:200], 2)),
            interests=tuple(rnd.sample(INTERESTS[:40], 2)),
            lived_experience=tuple(rnd.sample(AREAS, 1)),
            sites=(rnd.choice(["site-a", "site-b"]),),
        )
        for n in range(count)
    ]


def top_ranked(people: ColumnarCandidates) -> object:
    return top_for_role(people, ROLE, SETTINGS, POLICY, SEED, 50)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.ranking", description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=20_000, help="people the naive scorer is timed on")
    parser.add_argument("--trust", type=int, default=2_000, help="a trust's visible people")
    parser.add_argument("--no-sql", action="store_true")
    args = parser.parse_args(argv)
    load = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    say(f"ranking bench: {args.people:,} people, top 50 for one role; {load}")

    start = time.perf_counter()
    people = ColumnarCandidates.of(synthetic_people(args.people), TODAY)
    say(f"  projection built from Candidates in {time.perf_counter() - start:.1f} s")
    sizes = people.nbytes()
    columns = sum(v for k, v in sizes.items() if k != "leader_ids")
    words = {k: getattr(people, k).words.shape[0] for k in ("skills", "interests", "lived_experience", "checks")}
    say(
        f"  memory per person: {columns / len(people):.0f} bytes of columns (term words {words}), "
        f"+ {sizes['leader_ids'] / len(people):.0f} bytes of leader id (read for the tie-break only)"
    )

    start = time.perf_counter()
    first = top_for_role(people, ROLE, SETTINGS, POLICY, SEED, 50)
    say(
        f"  first call (numba's cached code loaded, the role's travel table made): "
        f"{1000 * (time.perf_counter() - start):.0f} ms"
    )
    all_words = np.ascontiguousarray(
        np.vstack([people.skills.words, people.interests.words, people.lived_experience.words, people.checks.words])
    )
    mine = role_words(people, ROLE)
    own_words = np.ascontiguousarray(np.vstack(mine)) if mine else np.zeros((0, len(people)), np.uint64)

    sample = list(synthetic_people(args.sample))
    sample_projection = ColumnarCandidates.of(sample, TODAY)
    naive = rank(ROLE, sample, SETTINGS, POLICY, TODAY, SEED, 50)
    fused_sample = top_for_role(sample_projection, ROLE, SETTINGS, POLICY, SEED, 50)
    if [r.fit.leader_id for r in naive.ranked] != [r.leader_id for r in fused_sample.ranked]:
        raise SystemExit("the fused scorer and the domain disagree on the sample")

    timed = windows(
        {
            "floor": (lambda: floor_read(people, all_words), 5),
            "floor_role": (lambda: floor_read(people, own_words), 5),
            "fused": (lambda: top_for_role(people, ROLE, SETTINGS, POLICY, SEED, 50), 5),
            "naive_sample": (lambda: rank(ROLE, sample, SETTINGS, POLICY, TODAY, SEED, 50), 1),
        }
    )
    naive_scaled = timed["naive_sample"] * args.people / args.sample
    say(f"  (a) floor, every column read once (numba sum):     {1000 * timed['floor']:8.1f} ms")
    say(f"      floor, the columns this role reads:           {1000 * timed['floor_role']:8.1f} ms")
    say(
        f"  (b) naive scorer (rotation.rank over Candidates):  {1000 * naive_scaled:8.0f} ms"
        f"  ({1000 * timed['naive_sample']:.0f} ms on {args.sample:,} people, scaled)"
    )
    sql_time = None
    if not args.no_sql:
        with SqlBench(setting("PLR_TEST_DATABASE_ADMIN_URL")) as sql:
            loaded = sql.load(people, people.travel_table(ROLE, SETTINGS))
            query = sql_query(people, ROLE, POLICY, SEED, 50)
            found = sql.run(query)  # a first scan, the table read into the OS cache
            expected = [round(r.score, 2) for r in first.ranked]
            differ = sum(1 for (_, score), mine in zip(found, expected, strict=False) if score != mine)
            differ += abs(len(found) - len(expected))
            agreement = "the same top 50 scores" if differ == 0 else f"{differ} of the top 50 scores differ"
            sql_time = windows({"sql": (lambda: sql.run(query), 1)}, clock=time.perf_counter)["sql"]
        say(
            f"  (c) the same query as SQL (PostgreSQL 1 SELECT):   {1000 * sql_time:8.0f} ms"
            f"  (table loaded by COPY in {loaded:.1f} s; {agreement})"
        )
    say(
        f"  (d) fused scorer (columnar.top_for_role):          {1000 * timed['fused']:8.1f} ms"
        f"  ({first.survivors} people reached the tie-break)"
    )
    say(f"  fused / floor:        {timed['fused'] / timed['floor']:6.2f}x  (target <= 3x)")
    wall = windows(
        {"floor": (lambda: floor_read(people, all_words), 5), "fused": (lambda: top_ranked(people), 5)},
        clock=time.perf_counter,
    )
    say(
        f"  on the wall clock: floor {1000 * wall['floor']:.1f} ms, fused {1000 * wall['fused']:.1f} ms,"
        f" {wall['fused'] / wall['floor']:.2f}x"
    )
    say(f"  fused / role's floor: {timed['fused'] / timed['floor_role']:6.2f}x")
    say(f"  naive / fused:        {naive_scaled / timed['fused']:6.0f}x  (target >= 100x)")
    if sql_time is not None:
        say(f"  SQL / fused:          {sql_time / timed['fused']:6.0f}x")

    # a trust's people, ranked for one role in-process
    trust = ColumnarCandidates.of(sample[: args.trust], TODAY)
    trust_people = sample[: args.trust]
    top_for_role(trust, ROLE, SETTINGS, POLICY, SEED, 50)
    latencies = []
    for n in range(400):
        start = time.perf_counter()
        top_for_role(trust, ROLE, SETTINGS, POLICY, f"opp-{n}", 50)
        latencies.append(1000 * (time.perf_counter() - start))
    naive_trust = []
    for n in range(10):
        start = time.perf_counter()
        rank(ROLE, trust_people, SETTINGS, POLICY, TODAY, f"opp-{n}", 50)
        naive_trust.append(1000 * (time.perf_counter() - start))
    say(
        f"  a trust's {args.trust:,} people, one role, in-process: p50 {percentile(latencies, 50):.3f} ms, "
        f"p99 {percentile(latencies, 99):.3f} ms (naive p50 {percentile(naive_trust, 50):.1f} ms)"
    )

    # every open role of a trust re-ranked after one profile change
    roles = trust_roles(30)
    for role in roles:
        top_for_role(trust, role, SETTINGS, POLICY, role.title, 50)
    rnd = random.Random(9)
    changes = []
    for _ in range(50):
        person = trust_people[rnd.randrange(len(trust_people))]
        changed = replace(person, skills=frozenset(rnd.sample(SKILLS[:60], 4)), hours_per_month=rnd.randint(4, 30))
        start = time.perf_counter()
        trust.put(changed)
        for role in roles:
            top_for_role(trust, role, SETTINGS, POLICY, role.title, 50)
        changes.append(1000 * (time.perf_counter() - start))
    say(
        f"  one profile change, then the trust's 30 open roles re-ranked: p50 {percentile(changes, 50):.2f} ms, "
        f"p99 {percentile(changes, 99):.2f} ms"
    )


if __name__ == "__main__":
    main()
