"""Matching's candidate projection in columns, and a fused top-k scorer over it.

``ColumnarCandidates`` holds the people of a ``CandidatePool`` as numpy arrays, one per fact, for one
ranking date: term sets (skills, interests, lived experience, valid checks) as bits in uint64 words
(one array of people per word, so a role reads only the words it names), days and ways of taking part
as small bitmasks, the postcode district as an index into the projection's own list of districts,
hours, load and flags as small integers. Lived-experience words are zero for a person who does not
consent to their use in matching (the ``Candidate`` already holds ``None``).

``top_for_role`` ranks the people for one role in one pass (numba): the hard filters, each factor's
score, the weights, the rotation penalty and its ceiling, the workload cap, the rounding to
``TIE_DECIMALS`` and, for the few people at or above the last place's score, the seeded tie-break.
It answers what ``rotation.rank`` answers on the same people (the ids in order, each fit, penalty and
score, the exclusions counted over the trust's own people); ``tests/unit/test_columnar.py`` proves it.
The rules are the domain's: every constant is read from ``ranking``/``rotation``, the travel factor
by district comes from ``settings.distance`` itself, and each float operation is done in the domain's
order so the scores are the same to the last bit (the rounding to 2 places must agree exactly).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

from services.matching.domain.eligibility import Kind
from services.matching.domain.opportunity import Details
from services.matching.domain.ranking import (
    REQUIRED_SHARE,
    TRAVEL_SCORE,
    UNKNOWN_SCORE,
    WEIGHTS,
    Candidate,
    Exclusion,
    Factor,
)
from services.matching.domain.rotation import DAYS_A_MONTH, RANKED_MAX, TIE_DECIMALS, RotationPolicy, tie_breaker
from services.matching.domain.settings import MatchingSettings, distance
from services.matching.domain.terms import Day

WORD_BITS = 64
FLAG_ACTIVE, FLAG_CONTACTABLE, FLAG_HELD, FLAG_PRESENT = 1, 2, 4, 8
MODE_REMOTE, MODE_IN_PERSON, MODE_OTHER = 1, 2, 4
DAY_BITS = {day.value: 1 << n for n, day in enumerate(Day)}
DAY_OTHER = 1 << 7  # a day the person named that is none of ``Day`` (the days are "given" all the same)
NEVER_PLACED = int(np.iinfo(np.int32).min)
SMALL = int(np.iinfo(np.int16).max)  # hours, load counts: int16 columns
# the exclusions in the order the kernel counts them (index = its code - 1)
EXCLUSIONS = (
    Exclusion.NOT_ACTIVE,
    Exclusion.NOT_CONTACTABLE,
    Exclusion.INELIGIBLE,
    Exclusion.NO_HOURS_LEFT,
    Exclusion.WORKLOAD_CAP,
)
FACTOR_ORDER = (
    Factor.SKILLS,
    Factor.LIVED_EXPERIENCE,
    Factor.INTERESTS,
    Factor.AVAILABILITY,
    Factor.TRAVEL,
    Factor.ACCESS,
)
if TIE_DECIMALS != 2:  # the kernel's exact rounding compares with hundredths' midpoints (x * 200)
    raise ImportError("columnar: the kernel rounds to 2 decimal places, as rotation.TIE_DECIMALS was")


class TermColumn:
    """One kind of term: code -> bit, and the people's bits as ``words[w][person]`` (uint64)."""

    def __init__(self) -> None:
        self.bits: dict[str, int] = {}
        self.words = np.zeros((1, 0), dtype=np.uint64)

    def bit(self, code: str) -> int:
        found = self.bits.get(code)
        if found is None:
            found = self.bits[code] = len(self.bits)
        return found

    def mask(self, codes: Iterable[str]) -> np.ndarray:
        """The words of the codes the projection knows (an unknown code has no bit: nobody holds it)."""
        out = np.zeros(self.words.shape[0], dtype=np.uint64)
        for code in codes:
            found = self.bits.get(code)
            if found is not None:
                out[found // WORD_BITS] |= np.uint64(1 << (found % WORD_BITS))
        return out

    def word_count(self) -> int:
        return max(1, math.ceil(len(self.bits) / WORD_BITS))

    def words_of(self, people: Sequence[frozenset[str] | None]) -> np.ndarray:
        """The words of these people's terms (new codes get their bits)."""
        known = self.bits
        values: list[int] = []
        for held in people:
            value = 0
            for code in held or ():
                b = known.get(code)
                if b is None:
                    b = known[code] = len(known)
                value |= 1 << b
            values.append(value)
        words = np.zeros((self.word_count(), len(people)), dtype=np.uint64)
        low = (1 << WORD_BITS) - 1
        for w in range(words.shape[0]):
            words[w] = [(v >> (w * WORD_BITS)) & low for v in values]
        return words

    @staticmethod
    def _set(words: np.ndarray, bits: Sequence[Sequence[int]], start: int) -> None:
        for offset, held in enumerate(bits):
            values = [0] * words.shape[0]
            for b in held:
                values[b // WORD_BITS] |= 1 << (b % WORD_BITS)
            words[:, start + offset] = values

    def put(self, row: int, held: frozenset[str] | None) -> None:
        bits = [self.bit(code) for code in held] if held else []
        needed = self.word_count()
        if needed > self.words.shape[0]:  # a new term past the last word: one more word for everyone
            extra = np.zeros((needed - self.words.shape[0], self.words.shape[1]), dtype=np.uint64)
            self.words = np.ascontiguousarray(np.vstack([self.words, extra]))
        self._set(self.words, [bits], row)

    def grow(self, rows: int) -> None:
        self.words = np.ascontiguousarray(np.hstack([self.words, np.zeros((self.words.shape[0], rows), np.uint64)]))


def _small(value: int, name: str, leader_id: str) -> int:
    if not 0 <= value <= SMALL:
        raise ValueError(f"{name} of {leader_id!r} must be 0 to {SMALL} for the columnar projection; got {value}")
    return value


@dataclass
class ColumnarCandidates:
    """The people of one trust's pool on ``today`` (the date their checks are valid on), in columns."""

    today: date
    leader_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype="S1"))  # UTF-8, fixed width
    flags: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint8))
    days: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint8))
    modes: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint8))
    district: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))  # 0: none given
    hours: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int16))
    committed_hours: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int16))
    concurrent: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int16))
    recent_offers: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int16))
    last_placed: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))  # date.toordinal()
    skills: TermColumn = field(default_factory=TermColumn)
    interests: TermColumn = field(default_factory=TermColumn)
    lived_experience: TermColumn = field(default_factory=TermColumn)
    checks: TermColumn = field(default_factory=TermColumn)
    districts: list[str | None] = field(default_factory=lambda: [None])  # index -> the district as given
    _district_index: dict[str | None, int] = field(default_factory=lambda: {None: 0})
    _rows: dict[str, int] | None = None  # leader id -> row, made on the first change
    _travel: dict[tuple[object, ...], np.ndarray] = field(default_factory=dict)

    @classmethod
    def of(cls, people: Iterable[Candidate], today: date, chunk: int = 100_000) -> ColumnarCandidates:
        """The projection of ``people``, read ``chunk`` at a time (a million ``Candidate`` objects need
        not be held at once)."""
        found = cls(today)
        parts: list[ColumnarCandidates] = []
        batch: list[Candidate] = []
        for c in people:
            batch.append(c)
            if len(batch) == chunk:
                parts.append(found._part(batch))
                batch = []
        if batch or not parts:
            parts.append(found._part(batch))
        found._join(parts)
        return found

    def __len__(self) -> int:
        return int(self.flags.shape[0])

    def nbytes(self) -> dict[str, int]:
        """Bytes held, by column (the leader ids apart: they are read for the tie-break only)."""
        sizes = {name: getattr(self, name).nbytes for name in self._scalar_columns()}
        for name in ("skills", "interests", "lived_experience", "checks"):
            sizes[name] = getattr(self, name).words.nbytes
        sizes["leader_ids"] = self.leader_ids.nbytes
        return sizes

    @staticmethod
    def _scalar_columns() -> tuple[str, ...]:
        return (
            "flags",
            "days",
            "modes",
            "district",
            "hours",
            "committed_hours",
            "concurrent",
            "recent_offers",
            "last_placed",
        )

    def _district_of(self, district: str | None) -> int:
        found = self._district_index.get(district)
        if found is None:
            found = self._district_index[district] = len(self.districts)
            self.districts.append(district)
            self._travel.clear()
        return found

    def _row(self, c: Candidate) -> tuple[int, ...]:
        if "\x00" in c.leader_id:
            raise ValueError(f"leader_id {c.leader_id!r} must not contain NUL for the columnar projection")
        flags = FLAG_PRESENT | FLAG_ACTIVE * c.active | FLAG_CONTACTABLE * c.contactable | FLAG_HELD * c.held
        days = 0
        for day in c.days:
            days |= DAY_BITS.get(day, DAY_OTHER)
        modes = 0
        for mode in c.modes:
            modes |= {"remote": MODE_REMOTE, "in_person": MODE_IN_PERSON}.get(mode, MODE_OTHER)
        load = c.load
        last = NEVER_PLACED if load.last_placed is None else load.last_placed.toordinal()
        return (
            flags,
            days,
            modes,
            self._district_of(c.district),
            _small(c.hours_per_month, "hours_per_month", c.leader_id),
            _small(load.committed_hours, "committed_hours", c.leader_id),
            _small(load.concurrent_placements, "concurrent_placements", c.leader_id),
            _small(load.recent_offers, "recent_offers", c.leader_id),
            last,
        )

    def _part(self, people: list[Candidate]) -> ColumnarCandidates:
        """The columns of some people, with this projection's dictionaries (its terms, its districts)."""
        part = ColumnarCandidates(self.today)
        rows = [self._row(c) for c in people]
        dtypes = (np.uint8, np.uint8, np.uint8, np.int32, np.int16, np.int16, np.int16, np.int16, np.int32)
        for n, (name, dtype) in enumerate(zip(self._scalar_columns(), dtypes, strict=True)):
            setattr(part, name, np.array([r[n] for r in rows], dtype=dtype))
        part.leader_ids = np.array([c.leader_id.encode() for c in people], dtype=bytes)
        for name, held in (
            ("skills", [c.skills for c in people]),
            ("interests", [c.interests for c in people]),
            ("lived_experience", [c.lived_experience for c in people]),  # None: no consent, no bits
            ("checks", [c.checks for c in people]),
        ):
            getattr(part, name).words = getattr(self, name).words_of(held)
        return part

    def _join(self, parts: list[ColumnarCandidates]) -> None:
        for name in self._scalar_columns():
            setattr(self, name, np.concatenate([getattr(p, name) for p in parts]))
        width = max(p.leader_ids.dtype.itemsize for p in parts)
        self.leader_ids = np.concatenate([p.leader_ids.astype(f"S{width}") for p in parts])
        for name in ("skills", "interests", "lived_experience", "checks"):
            terms: TermColumn = getattr(self, name)
            words = terms.word_count()
            padded = [
                np.pad(getattr(p, name).words, ((0, words - getattr(p, name).words.shape[0]), (0, 0))) for p in parts
            ]
            terms.words = np.ascontiguousarray(np.hstack(padded))

    def _rows_by_id(self) -> dict[str, int]:
        if self._rows is None:
            self._rows = {leader_id.decode(): n for n, leader_id in enumerate(self.leader_ids)}
        return self._rows

    def put(self, c: Candidate) -> None:
        """Write one person's row (a profile, consent, status or load change), adding them if new."""
        rows = self._rows_by_id()
        row = rows.get(c.leader_id)
        if row is None:
            row = rows[c.leader_id] = len(self)
            for name in self._scalar_columns():
                column = getattr(self, name)
                setattr(self, name, np.concatenate([column, np.zeros(1, column.dtype)]))
            width = max(self.leader_ids.dtype.itemsize, len(c.leader_id.encode()))
            self.leader_ids = np.concatenate([self.leader_ids.astype(f"S{width}"), np.zeros(1, f"S{width}")])
            for terms in (self.skills, self.interests, self.lived_experience, self.checks):
                terms.grow(1)
        encoded = c.leader_id.encode()
        if len(encoded) > self.leader_ids.dtype.itemsize:
            self.leader_ids = self.leader_ids.astype(f"S{len(encoded)}")
        for name, value in zip(self._scalar_columns(), self._row(c), strict=True):
            getattr(self, name)[row] = value
        self.leader_ids[row] = encoded
        self.skills.put(row, c.skills)
        self.interests.put(row, c.interests)
        self.lived_experience.put(row, c.lived_experience)
        self.checks.put(row, c.checks)

    def remove(self, leader_id: str) -> None:
        """The person is no longer in the pool (erased, or no longer held or shared): never ranked, never
        counted. Their row stays, empty."""
        row = self._rows_by_id().get(leader_id)
        if row is None:
            return
        for name in self._scalar_columns():
            getattr(self, name)[row] = 0
        for terms in (self.skills, self.interests, self.lived_experience, self.checks):
            terms.words[:, row] = 0

    def travel_table(self, d: Details, settings: MatchingSettings) -> np.ndarray:
        """The travel factor's score for each of the projection's districts: ``settings.distance`` of
        each, once per set of role sites (kept until a new district arrives)."""
        sites = tuple(s for s in settings.sites if s.code in d.sites and not d.remote)
        key = (d.remote, sites)
        table = self._travel.get(key)
        if table is None:
            table = np.array(
                [TRAVEL_SCORE[distance(x, d.sites, d.remote, settings)] for x in self.districts], dtype=np.float64
            )
            self._travel[key] = table
        return table


@dataclass(frozen=True)
class ColumnarRanked:
    leader_id: str
    fit_score: float
    penalty: float
    score: float  # the fit less the penalty


@dataclass(frozen=True)
class ColumnarRanking:
    ranked: tuple[ColumnarRanked, ...]
    excluded: dict[Exclusion, int]
    survivors: int  # people whose tie-break key was computed (at or above the last place's score)


@intrinsic
def _popcount(typingctx, x):  # type: ignore[no-untyped-def]
    """LLVM's ctpop: one instruction on the machine's CPU."""
    sig = types.int64(types.uint64)

    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
        fn = builder.module.declare_intrinsic("llvm.ctpop", [ir.IntType(64)])
        return builder.call(fn, args)

    return sig, codegen


@njit(cache=True)
def _above(x: float, c: float) -> int:
    """The sign of x * 200 - c, exactly (Dekker's product: x * 200 = p + e with no rounding)."""
    p = x * 200.0
    t = 134217729.0 * x
    hi = t - (t - x)
    lo = x - hi
    e = (hi * 200.0 - p) + lo * 200.0
    if p > c:
        return 1
    if p < c:
        return -1
    if e > 0.0:
        return 1
    if e < 0.0:
        return -1
    return 0


@njit(cache=True)
def hundredths(x: float) -> int:
    """round(x, 2) * 100 as Python's round gives it: half to even on the exact binary value of x."""
    r = int(math.floor(x * 100.0 + 0.5))
    up = _above(x, 2.0 * r + 1.0)
    if up > 0 or (up == 0 and (r + 1) % 2 == 0):
        return r + 1
    down = _above(x, 2.0 * r - 1.0)
    if down < 0 or (down == 0 and (r - 1) % 2 == 0):
        return r - 1
    return r


BLOCK = 16384  # people scored together: their counts and flags stay in the CPU's second-level cache
FIRST_BLOCK = 1024


@njit(cache=True)
def _count_words(words, mask, used, b0, m, out):  # type: ignore[no-untyped-def]
    for j in range(m):
        out[j] = 0
    for x in range(used.shape[0]):
        w = used[x]
        bits = mask[w]
        row = words[w, b0 : b0 + m]  # one contiguous run: the loop vectorises
        for j in range(m):
            out[j] += _popcount(row[j] & bits)


@njit(cache=True)
def _compact(keep_row, keep_key, keep_fit, keep_pen, kept, k):  # type: ignore[no-untyped-def]
    """The k-th best key kept is a floor (nobody below it can reach the top k): keep only those at or
    above it, in their order. Answers how many are kept, and the floor."""
    order = np.sort(keep_key[:kept])
    floor_key = order[kept - k] if kept >= k else order[0]
    n = 0
    for x in range(kept):
        if keep_key[x] >= floor_key:
            keep_row[n], keep_key[n], keep_fit[n], keep_pen[n] = keep_row[x], keep_key[x], keep_fit[x], keep_pen[x]
            n += 1
    return n, floor_key


@njit(cache=True)
def _cover_words(words, mask, used, b0, m, out):  # type: ignore[no-untyped-def]
    for x in range(used.shape[0]):
        w = used[x]
        bits = mask[w]
        row = words[w, b0 : b0 + m]
        for j in range(m):
            out[j] &= (row[j] & bits) == bits


@njit(cache=True, error_model="numpy")
def _kernel(  # type: ignore[no-untyped-def]
    flags,
    days,
    modes,
    district,
    hours,
    committed,
    concurrent,
    offers,
    last_placed,
    skills,
    interests,
    lived,
    checks,
    req_mask,
    req_used,
    des_mask,
    des_used,
    int_mask,
    int_used,
    lived_mask,
    lived_used,
    rule_skill_mask,
    rule_skill_used,
    rule_check_mask,
    rule_check_used,
    travel,
    ints,
    floats,
    k,
    capacity,
    block,
):
    """One pass, a block of people at a time: the block's term counts a word at a time; then, without
    a branch, each person's hard filters (counted for the trust's own people) and a bound on their
    score; then only those whose bound can reach the floor (the k-th best rounded score so far) are
    scored as the domain scores them, rounded exactly and kept. Answers the people at or above the
    k-th best rounded score (all of its ties), their rounded score, fit and penalty; and the
    exclusions of held people, by reason."""
    n_req, n_des, n_int, has_lived, role_hours = ints[0], ints[1], ints[2], ints[3] != 0, ints[4]
    day_mask, n_days, remote, has_sites = ints[5], ints[6], ints[7] != 0, ints[8] != 0
    never_eligible, min_hours, recent_months, max_conc = ints[9] != 0, ints[10], ints[11], ints[12]
    max_hours, today, rotate = ints[13], ints[14], ints[15] != 0
    w_skills, w_lived, w_interests, w_avail = floats[0], floats[1], floats[2], floats[3]
    w_travel, w_access = floats[4], floats[5]
    req_share, des_share, unknown, days_a_month = floats[6], floats[7], floats[8], floats[9]
    recent_penalty, concurrent_penalty, offer_penalty, max_penalty = floats[10], floats[11], floats[12], floats[13]
    skills_total = floats[14]  # the shares of the skill kinds the role names, added as the domain adds them

    # each factor's values as tables, each value computed as the domain computes it, once per role
    skills_table = np.ones((n_req + 1, n_des + 1))
    for rc in range(n_req + 1):
        for dc in range(n_des + 1):
            if n_req + n_des > 0:
                num = 0.0
                if n_req > 0:
                    num += rc / n_req * req_share
                if n_des > 0:
                    num += dc / n_des * des_share
                skills_table[rc, dc] = num / skills_total
    interests_table = np.ones(n_int + 1)
    for ic in range(n_int + 1):
        if n_int > 0:
            interests_table[ic] = ic / n_int
    lived_table = np.array([0.0 if has_lived else 1.0, 1.0])  # by whether any preferred area matches
    # the availability factor's parts: hours by the free hours (all at or past the role's hours alike),
    # days by the person's day bits
    hours_table = np.zeros(role_hours + 1)
    for free in range(role_hours + 1):
        if role_hours != 0:
            hours_table[free] = min(1.0, free / role_hours)
    days_table = np.zeros(256)
    for d in range(256):
        if n_days != 0:
            days_table[d] = unknown if d == 0 else _popcount(np.uint64(d & day_mask)) / n_days
    n_parts = (role_hours != 0) + (n_days != 0)
    # a bound on the score from the term counts alone (the other factors at 1, no penalty): linear in
    # the counts, so it is computed for everyone without a table. It holds where no penalty can add to
    # a score. Its rounding error (about 1e-15) is far inside the half hundredth it is given.
    prunable = (not rotate) or (recent_penalty >= 0.0 and concurrent_penalty >= 0.0 and offer_penalty >= 0.0)
    per_req = w_skills * req_share / (max(n_req, 1) * skills_total) if n_req > 0 else 0.0
    per_des = w_skills * des_share / (max(n_des, 1) * skills_total) if n_des > 0 else 0.0
    per_interest = w_interests / max(n_int, 1) if n_int > 0 else 0.0
    per_lived = w_lived if has_lived else 0.0
    bound_base = w_travel  # travel, a table's value, at its most
    per_day = 1.0 / max(n_days, 1)
    half_parts = 1.0 if n_parts == 1 else 0.5
    rotating = 1.0 if rotate else 0.0
    bound_base += 0.0 if n_req + n_des > 0 else w_skills
    bound_base += 0.0 if n_int > 0 else w_interests
    bound_base += 0.0 if has_lived else w_lived
    # the recent-placement penalty by days since the placement (a day ahead counts as today)
    recent_days = 0
    if rotate and recent_months > 0:
        recent_days = int(math.ceil(recent_months * days_a_month)) + 2
    recent_table = np.zeros(recent_days + 1)
    for delta in range(recent_days + 1):
        months = max(0.0, delta / days_a_month)
        if months < recent_months:
            recent_table[delta] = 0.0 + recent_penalty * (1 - months / recent_months)

    excluded = np.zeros(6, np.int64)  # by EXCLUSIONS' index + 1
    count_req = np.empty(block, np.int32)
    count_des = np.empty(block, np.int32)
    count_int = np.empty(block, np.int32)
    count_lived = np.empty(block, np.int32)
    eligible = np.empty(block, np.bool_)
    ranked = np.zeros(block, np.bool_)
    ranked_words = ranked.view(np.uint64)  # eight people at a time: most are out of reach

    keep_row = np.empty(capacity, np.int64)
    keep_key = np.empty(capacity, np.int64)
    keep_fit = np.empty(capacity, np.float64)
    keep_pen = np.empty(capacity, np.float64)
    kept = 0
    have_floor = False
    floor_key = 0  # while have_floor: at least k kept people have a key >= floor_key
    if k <= 0:
        have_floor, floor_key = True, 1 << 62
    not_active = not_contactable = ineligible = no_hours = at_cap = 0

    total = flags.shape[0]
    b0, size = 0, min(block, FIRST_BLOCK)  # a small first block: a floor to prune by, early
    while b0 < total:
        m = min(size, total - b0)
        _count_words(skills, req_mask, req_used, b0, m, count_req)
        _count_words(skills, des_mask, des_used, b0, m, count_des)
        _count_words(interests, int_mask, int_used, b0, m, count_int)
        _count_words(lived, lived_mask, lived_used, b0, m, count_lived)
        eligible[:m] = not never_eligible
        _cover_words(skills, rule_skill_mask, rule_skill_used, b0, m, eligible)
        _cover_words(checks, rule_check_mask, rule_check_used, b0, m, eligible)

        keep_all = not (have_floor and prunable)
        # the hard filters, in the domain's order: each of the trust's own people counted once, for the
        # first that fails (no branch: this loop vectorises)
        for j in range(m):
            i = b0 + j
            f = np.int64(flags[i])
            h = np.int64(hours[i])
            busy = np.int64(committed[i])
            free = max(h - busy, 0)
            present = (f & FLAG_PRESENT) != 0
            held = present & ((f & FLAG_HELD) != 0)
            active = (f & FLAG_ACTIVE) != 0
            contactable = (f & FLAG_CONTACTABLE) != 0
            fits_rules = eligible[j] & ((min_hours == 0) | (h == 0) | (h >= min_hours))
            hours_left = ((role_hours != 0) & (h != 0) & (free < role_hours)) ^ True
            under_cap = (np.int64(concurrent[i]) < max_conc) & (busy + role_hours <= max_hours)
            not_active += held & (active ^ True)
            not_contactable += held & active & (contactable ^ True)
            ineligible += held & active & contactable & (fits_rules ^ True)
            no_hours += held & active & contactable & fits_rules & (hours_left ^ True)
            at_cap += held & active & contactable & fits_rules & hours_left & (under_cap ^ True)
            # the most the person can score: if even that rounds below the floor, they cannot reach the
            # top k, and are not scored
            best = bound_base + per_req * count_req[j] + per_des * count_des[j]
            best += per_interest * count_int[j] + per_lived * min(count_lived[j], 1)
            d = np.int64(days[i])
            hours_bound = (unknown if h == 0 else 1.0) if role_hours != 0 else 0.0
            days_bound = (unknown if d == 0 else _popcount(np.uint64(d & day_mask)) * per_day) if n_days != 0 else 0.0
            best += w_avail * ((hours_bound + days_bound) * half_parts if n_parts > 0 else 1.0)
            mode = np.int64(modes[i])
            suits = (remote & ((mode & MODE_REMOTE) != 0)) | (has_sites & ((mode & MODE_IN_PERSON) != 0))
            best += w_access * (unknown if mode == 0 else (1.0 if suits else 0.0))
            # the penalty at its least (no recent placement), where the ranking rotates
            loads = concurrent_penalty * np.int64(concurrent[i]) + offer_penalty * np.int64(offers[i])
            best -= rotating * min(loads, max_penalty)
            within_reach = keep_all | (best * 100.0 >= floor_key - 1)
            ranked[j] = present & active & contactable & fits_rules & hours_left & under_cap & within_reach

        ranked[m:] = False
        for q in range((m + 7) // 8):
            if ranked_words[q] == 0:
                continue
            for j in range(8 * q, 8 * q + 8):
                if not ranked[j]:
                    continue
                s_skills = skills_table[count_req[j], count_des[j]]
                s_lived = lived_table[min(count_lived[j], 1)]
                s_interests = interests_table[count_int[j]]
                i = b0 + j
                h = np.int64(hours[i])
                free = max(h - np.int64(committed[i]), 0)
                hours_value = hours_table[min(free, role_hours)]
                parts = hours_value if h != 0 else unknown
                parts = (parts if role_hours != 0 else 0.0) + days_table[np.int64(days[i])]
                # a sum of 1 or 2 parts: halving is exact, as the domain's division by 2 is
                s_avail = (parts if n_parts == 1 else parts * 0.5) if n_parts > 0 else 1.0
                s_travel = travel[district[i]]
                mode = np.int64(modes[i])
                suits = (remote & ((mode & MODE_REMOTE) != 0)) | (has_sites & ((mode & MODE_IN_PERSON) != 0))
                s_access = unknown if mode == 0 else (1.0 if suits else 0.0)
                score = w_skills * s_skills
                score += w_lived * s_lived
                score += w_interests * s_interests
                score += w_avail * s_avail
                score += w_travel * s_travel
                score += w_access * s_access

                amount = 0.0
                if rotate:
                    last = np.int64(last_placed[i])
                    delta = min(max(today - last, 0), recent_days) if last != NEVER_PLACED else recent_days
                    amount = recent_table[delta]
                    amount += concurrent_penalty * np.int64(concurrent[i])  # 0.0 added where none: the same sum
                    amount += offer_penalty * np.int64(offers[i])
                    amount = min(amount, max_penalty)
                final = score - amount
                if have_floor and final * 100.0 < floor_key - 1:  # clearly below: no exact rounding needed
                    continue
                key = hundredths(final)
                if have_floor and key < floor_key:
                    continue
                if kept == capacity:
                    have_floor = kept >= k
                    kept, floor_key = _compact(keep_row, keep_key, keep_fit, keep_pen, kept, k)
                    if kept * 2 > capacity:  # a wide tie at the floor: room for it
                        capacity *= 2
                        keep_row = np.concatenate((keep_row, np.empty(capacity - keep_row.shape[0], np.int64)))
                        keep_key = np.concatenate((keep_key, np.empty(capacity - keep_key.shape[0], np.int64)))
                        keep_fit = np.concatenate((keep_fit, np.empty(capacity - keep_fit.shape[0], np.float64)))
                        keep_pen = np.concatenate((keep_pen, np.empty(capacity - keep_pen.shape[0], np.float64)))
                    if have_floor and key < floor_key:
                        continue
                keep_row[kept], keep_key[kept], keep_fit[kept], keep_pen[kept] = i, key, score, amount
                kept += 1
        if not have_floor and k > 0 and kept >= k:  # the first floor, as soon as k people are kept
            have_floor = True
            kept, floor_key = _compact(keep_row, keep_key, keep_fit, keep_pen, kept, k)
        b0 += m
        size = block

    excluded[1], excluded[2], excluded[3], excluded[4], excluded[5] = (
        not_active,
        not_contactable,
        ineligible,
        no_hours,
        at_cap,
    )
    # the last floor: the k-th best key of all kept (everyone tied with it stays for the tie-break)
    if kept > 0 and k > 0:
        kept, floor_key = _compact(keep_row, keep_key, keep_fit, keep_pen, kept, k)
    if k <= 0:
        kept = 0
    return keep_row[:kept], keep_key[:kept], keep_fit[:kept], keep_pen[:kept], excluded


def _used(mask: np.ndarray) -> np.ndarray:
    return np.flatnonzero(mask).astype(np.int64)


def top_for_role(
    people: ColumnarCandidates,
    details: Details,
    settings: MatchingSettings,
    policy: RotationPolicy,
    seed: str,
    limit: int = 50,
    rotate: bool = True,
    buffer: int = 4096,
    block: int = BLOCK,
) -> ColumnarRanking:
    """``rotation.rank`` for the people of the projection, on its date, in one pass. ``buffer``: how
    many people the kernel keeps before it sets its first floor; ``block``: how many it reads at a time
    (both small in tests, so that the floor and the pruning by it work among a few people)."""
    if limit < 0:
        raise ValueError("limit must be 0 or more")
    k = min(limit, RANKED_MAX)
    rules = details.eligibility_rules
    rule_skills = [r.value for r in rules if r.kind is Kind.HAS_SKILL]
    rule_checks = [r.value for r in rules if r.kind is Kind.HOLDS_CHECK]
    never_eligible = any(v not in people.skills.bits for v in rule_skills) or any(
        v not in people.checks.bits for v in rule_checks
    )
    min_hours = max((int(r.value) for r in rules if r.kind is Kind.MIN_HOURS_PER_MONTH), default=0)
    wanted_days = {day.value for day in details.days}
    day_mask = 0
    for day in wanted_days:
        day_mask |= DAY_BITS[day]
    ints = np.array(
        [
            len(details.required_skills),
            len(details.desirable_skills),
            len(details.interests),
            bool(details.lived_experience),
            details.hours_per_month,
            day_mask,
            len(wanted_days),
            details.remote,
            bool(details.sites),
            never_eligible,
            min_hours,
            policy.recent_months,
            policy.max_concurrent_placements,
            policy.max_hours_per_month,
            people.today.toordinal(),
            rotate,
        ],
        dtype=np.int64,
    )
    skill_shares = ((details.required_skills, REQUIRED_SHARE), (details.desirable_skills, 1 - REQUIRED_SHARE))
    floats = np.array(
        [WEIGHTS[f] for f in FACTOR_ORDER]
        + [REQUIRED_SHARE, 1 - REQUIRED_SHARE, UNKNOWN_SCORE, DAYS_A_MONTH]
        + [policy.recent_placement_penalty, policy.concurrent_penalty, policy.offer_penalty, policy.max_penalty]
        + [sum(share for codes, share in skill_shares if codes)],
        dtype=np.float64,
    )
    masks = []
    for terms, codes in (
        (people.skills, details.required_skills),
        (people.skills, details.desirable_skills),
        (people.interests, details.interests),
        (people.lived_experience, details.lived_experience),
        (people.skills, rule_skills),
        (people.checks, rule_checks),
    ):
        mask = terms.mask(codes)
        masks += [mask, _used(mask)]
    rows, keys, fits, penalties, excluded = _kernel(  # type: ignore[call-arg]  # numba's Dispatcher types no arguments
        people.flags,
        people.days,
        people.modes,
        people.district,
        people.hours,
        people.committed_hours,
        people.concurrent,
        people.recent_offers,
        people.last_placed,
        people.skills.words,
        people.interests.words,
        people.lived_experience.words,
        people.checks.words,
        *masks,
        people.travel_table(details, settings),
        ints,
        floats,
        k,
        max(buffer, 2 * k + 2),  # kept before the first floor is set; it grows for a wide tie
        -(-max(min(block, len(people)), 1) // 8) * 8,  # whole words of eight flags; no more than there are people
    )
    ids = [people.leader_ids[r].decode() for r in rows]
    order = sorted(range(len(rows)), key=lambda i: (-keys[i], tie_breaker(seed, ids[i])))[:k]
    ranked = tuple(
        ColumnarRanked(ids[i], float(fits[i]), float(penalties[i]), float(fits[i] - penalties[i])) for i in order
    )
    counted = {reason: int(excluded[n + 1]) for n, reason in enumerate(EXCLUSIONS) if excluded[n + 1]}
    return ColumnarRanking(ranked, counted, len(rows))
