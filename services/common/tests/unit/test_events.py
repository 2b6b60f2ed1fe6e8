"""The event contract: every schema has a golden example that validates, and the envelope is enforced."""

from __future__ import annotations

import json

import pytest

from services.common.events import CONTRACTS_DIR, CloudEvent, InvalidEvent, default_registry

REGISTRY = default_registry()


def test_every_event_type_has_a_schema_and_a_golden_example_that_validates() -> None:
    examples = {p.name.removesuffix(".json") for p in (CONTRACTS_DIR / "examples").glob("*.json")}
    assert REGISTRY.types, "no schemas found"
    assert examples == set(REGISTRY.types)
    for event_type in REGISTRY.types:
        body = json.loads((CONTRACTS_DIR / "examples" / f"{event_type}.json").read_text())
        assert body["type"] == event_type
        REGISTRY.validate(body)


@pytest.mark.parametrize("event_type", REGISTRY.types)
def test_a_schema_refuses_unknown_data_fields(event_type: str) -> None:
    body = json.loads((CONTRACTS_DIR / "examples" / f"{event_type}.json").read_text())
    body["data"]["surprise"] = "x"
    with pytest.raises(InvalidEvent, match="surprise"):
        REGISTRY.validate(body)


def _example() -> CloudEvent:
    return CloudEvent(
        type="plr.registry.trust.onboarded.v1",
        source="plr/registry",
        data={"ods": "RXX", "name": "Example"},
        aggregate_type="trust",
        aggregate_id="RXX",
        aggregate_version=1,
        trust_ods="RXX",
        correlation_id="c-1",
    )


def test_an_event_round_trips_through_its_json() -> None:
    event = _example()
    parsed = REGISTRY.parse(event.to_json())
    assert parsed == event
    assert event.routing_key == "registry.trust.onboarded"


@pytest.mark.parametrize(
    ("raw", "names"),
    [
        (b"\xff\xfe", "body"),
        (b"[1,2]", "body"),
        (b'{"specversion": "0.3"}', "specversion"),
    ],
)
def test_a_malformed_message_is_refused_naming_what_is_wrong(raw: bytes, names: str) -> None:
    with pytest.raises(InvalidEvent, match=names):
        REGISTRY.parse(raw)


def test_an_unknown_type_is_refused() -> None:
    body = _example().to_dict()
    body["type"] = "plr.registry.trust.teleported.v1"
    with pytest.raises(InvalidEvent, match="no schema"):
        REGISTRY.validate(body)


def test_a_version_below_one_is_refused() -> None:
    body = _example().to_dict()
    body["aggregateversion"] = 0
    with pytest.raises(InvalidEvent, match="aggregateversion"):
        REGISTRY.validate(body)
