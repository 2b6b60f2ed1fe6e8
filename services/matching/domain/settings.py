"""A trust's matching settings: rotation parameters, its sites with their travel zones, and the checks
its roles require by default at each level. Owned here; no other service reads them.

Travel zones stand in for a geocoding service (no postcode dataset ships in a package, and nothing
may download at run time): each site names the postcode districts (outward codes) the trust treats as
local to it. A role's distance to a leader's district is:
  - ``remote`` for a remote role;
  - ``local`` when the district is local to one of the role's sites;
  - ``same_area`` when it shares a postcode area (the letters before the first digit: "LS" of "LS6")
    with a local district of one of the role's sites;
  - ``other`` otherwise, or when the leader's district is unknown or malformed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache

from services.common.errors import InvalidInput
from services.matching.domain.terms import CheckType, Level, enum_problem, list_problem

SITE_CODE = re.compile(r"[a-z0-9][a-z0-9\-]{1,19}")
# an outward code: area letters, district digit(s), an optional letter (M1, LS6, SW1A, EC1V)
DISTRICT = re.compile(r"([A-Z]{1,2})[0-9][0-9A-Z]?")
SITES_MAX = 50
DISTRICTS_MAX = 200
NAME_MAX = 200
DEFAULT_RECENT_MONTHS = 12
DEFAULT_MAX_CONCURRENT = 3
DEFAULT_MAX_HOURS = 40  # the workload cap in hours a month of placements
DEFAULT_ROTATION_CEILING_PERCENT = 12  # the most the rotation penalty takes off a fit, in hundredths


class Distance(StrEnum):
    LOCAL = "local"
    SAME_AREA = "same_area"
    OTHER = "other"
    REMOTE = "remote"


@dataclass(frozen=True)
class Site:
    code: str
    name: str
    local_districts: tuple[str, ...] = ()


@dataclass(frozen=True)
class MatchingSettings:
    trust_ods: str
    recent_placement_months: int = DEFAULT_RECENT_MONTHS
    max_concurrent_placements: int = DEFAULT_MAX_CONCURRENT
    max_hours_per_month: int = DEFAULT_MAX_HOURS
    rotation_ceiling_percent: int = DEFAULT_ROTATION_CEILING_PERCENT
    sites: tuple[Site, ...] = ()
    default_checks: dict[Level, tuple[CheckType, ...]] = field(default_factory=dict)
    version: int = 0  # 0: the defaults, never saved

    def site_codes(self) -> frozenset[str]:
        return frozenset(s.code for s in self.sites)

    def checks_for(self, level: Level) -> tuple[CheckType, ...]:
        return self.default_checks.get(level, ())


def _district_problem(value: str) -> str | None:
    return None if DISTRICT.fullmatch(value) else "must be a postcode district in capitals (LS6, SW1A)"


def _site_problems(index: int, site: Site) -> dict[str, str]:
    where = f"sites[{index}]"
    problems = {}
    if not SITE_CODE.fullmatch(site.code):
        problems[f"{where}.code"] = "must be 2 to 20 lower-case letters, digits or hyphens"
    if not site.name.strip() or len(site.name) > NAME_MAX or not site.name.isprintable():
        problems[f"{where}.name"] = f"must be 1 to {NAME_MAX} printable characters"
    districts = list_problem(site.local_districts, _district_problem, DISTRICTS_MAX)
    if districts is not None:
        problems[f"{where}.local_districts"] = districts
    return problems


def validated_settings(settings: MatchingSettings) -> MatchingSettings:
    """The settings, or InvalidInput naming every bad field."""
    problems: dict[str, str] = {}
    if not 0 <= settings.recent_placement_months <= 36:
        problems["recent_placement_months"] = "must be 0 to 36"
    if not 1 <= settings.max_concurrent_placements <= 20:
        problems["max_concurrent_placements"] = "must be 1 to 20"
    if not 1 <= settings.max_hours_per_month <= 200:
        problems["max_hours_per_month"] = "must be 1 to 200 (0 in a request: the default, 40)"
    if not 1 <= settings.rotation_ceiling_percent <= 50:
        problems["rotation_ceiling_percent"] = "must be 1 to 50 (0 in a request: the default, 12)"
    if len(settings.sites) > SITES_MAX:
        problems["sites"] = f"at most {SITES_MAX}"
    elif len(settings.site_codes()) != len(settings.sites):
        problems["sites"] = "site codes must be unique"
    for index, site in enumerate(settings.sites[:SITES_MAX]):
        problems.update(_site_problems(index, site))
    for level, checks in settings.default_checks.items():
        problem = list_problem([c.value for c in checks], enum_problem(CheckType), len(CheckType))
        if problem is not None:
            problems[f"default_checks.{level.value}"] = problem
    if problems:
        raise InvalidInput(problems)
    return settings


def postcode_area(district: str) -> str | None:
    found = DISTRICT.fullmatch(district.strip().upper())
    return found.group(1) if found else None


def distance(
    leader_district: str | None, site_codes: Sequence[str], remote: bool, settings: MatchingSettings
) -> Distance:
    """How far a role is from a leader, in the trust's own travel zones (see the module's docstring)."""
    if remote:
        return Distance.REMOTE
    district = (leader_district or "").strip().upper()
    area = postcode_area(district)
    if area is None:
        return Distance.OTHER
    local, areas = travel_zones(settings.sites, tuple(site_codes))
    if district in local:
        return Distance.LOCAL
    if area in areas:
        return Distance.SAME_AREA
    return Distance.OTHER


@lru_cache(maxsize=1024)
def travel_zones(sites: tuple[Site, ...], site_codes: tuple[str, ...]) -> tuple[frozenset[str], frozenset[str | None]]:
    """The districts local to a role's sites and their postcode areas: the same for every person a
    ranking scores, so worked out once per role's sites (``Site`` is immutable: the key is its value)."""
    local = frozenset(d for s in sites if s.code in site_codes for d in s.local_districts)
    return local, frozenset(postcode_area(d) for d in local)


def default_checks_by_level(pairs: Sequence[tuple[Level, tuple[CheckType, ...]]]) -> dict[Level, tuple[CheckType, ...]]:
    levels = [level for level, _ in pairs]
    if len(set(levels)) != len(levels):
        raise InvalidInput({"settings.default_checks": "at most one entry per level"})
    return dict(pairs)
