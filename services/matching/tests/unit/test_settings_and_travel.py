"""A trust's matching settings as validated, and distance by its travel zones."""

from __future__ import annotations

import pytest

from services.common.errors import InvalidInput
from services.matching.domain.settings import (
    Distance,
    MatchingSettings,
    Site,
    default_checks_by_level,
    distance,
    validated_settings,
)
from services.matching.domain.terms import CheckType, Level

ZONES = MatchingSettings(
    "RXX",
    sites=(Site("leeds-general", "Leeds General", ("LS1", "LS2")), Site("harrogate", "Harrogate", ("HG1",))),
)


@pytest.mark.parametrize(
    ("district", "sites", "remote", "expected"),
    [
        ("LS1", ("leeds-general",), False, Distance.LOCAL),
        ("ls2", ("leeds-general",), False, Distance.LOCAL),  # written as people type it
        ("LS6", ("leeds-general",), False, Distance.SAME_AREA),
        ("HG1", ("leeds-general",), False, Distance.OTHER),  # local to a site the role is not at
        ("HG1", ("leeds-general", "harrogate"), False, Distance.LOCAL),
        ("HG3", ("harrogate",), False, Distance.SAME_AREA),
        ("M1", ("leeds-general",), False, Distance.OTHER),
        ("L1", ("leeds-general",), False, Distance.OTHER),  # "L" is not "LS": areas are whole
        ("", ("leeds-general",), False, Distance.OTHER),  # unknown
        ("not a postcode", ("leeds-general",), False, Distance.OTHER),
        ("M1", ("leeds-general",), True, Distance.REMOTE),
    ],
)
def test_distance_by_travel_zones(district: str, sites: tuple[str, ...], remote: bool, expected: Distance) -> None:
    assert distance(district, sites, remote, ZONES) is expected


def test_valid_settings_pass_whole() -> None:
    assert validated_settings(ZONES) is ZONES


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        (MatchingSettings("RXX", recent_placement_months=37), "recent_placement_months"),
        (MatchingSettings("RXX", max_concurrent_placements=0), "max_concurrent_placements"),
        (MatchingSettings("RXX", max_hours_per_month=201), "max_hours_per_month"),
        (MatchingSettings("RXX", rotation_ceiling_percent=51), "rotation_ceiling_percent"),
        (MatchingSettings("RXX", sites=(Site("a", "A"),)), "sites[0].code"),
        (MatchingSettings("RXX", sites=(Site("ab", " "),)), "sites[0].name"),
        (MatchingSettings("RXX", sites=(Site("ab", "A", ("ls1",)),)), "sites[0].local_districts"),
        (MatchingSettings("RXX", sites=(Site("ab", "A", ("LS1", "LS1")),)), "sites[0].local_districts"),
        (MatchingSettings("RXX", sites=(Site("ab", "A"), Site("ab", "B"))), "sites"),
        (
            MatchingSettings("RXX", default_checks={Level.LEVEL_1: (CheckType.DBS, CheckType.DBS)}),
            "default_checks.level_1",
        ),
    ],
)
def test_bad_settings_name_the_field(settings: MatchingSettings, field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        validated_settings(settings)
    assert field in refused.value.fields


def test_one_default_checks_entry_per_level() -> None:
    with pytest.raises(InvalidInput, match="one entry per level"):
        default_checks_by_level([(Level.LEVEL_1, ()), (Level.LEVEL_1, (CheckType.DBS,))])
    assert default_checks_by_level([(Level.LEVEL_4, (CheckType.DBS,))]) == {Level.LEVEL_4: (CheckType.DBS,)}


def test_a_trusts_caps_and_rotation_ceiling_are_its_rotation_policy() -> None:
    from services.matching.domain.rotation import RotationPolicy

    policy = RotationPolicy.of(MatchingSettings("RXX", 6, 2, max_hours_per_month=20, rotation_ceiling_percent=5))
    assert (policy.recent_months, policy.max_concurrent_placements, policy.max_hours_per_month) == (6, 2, 20)
    assert policy.max_penalty == 0.05
    assert RotationPolicy.of(MatchingSettings("RXX")) == RotationPolicy()  # the documented defaults
