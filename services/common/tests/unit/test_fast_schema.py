"""The compiled acceptance check never accepts what jsonschema refuses, and accepts every contract's
golden example (so the fast path is the one taken)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.common.events import CONTRACTS_DIR
from services.common.fast_schema import compile_schema

SCHEMAS = {
    p.name.removesuffix(".json"): json.loads(p.read_text()) for p in sorted((CONTRACTS_DIR / "schemas").glob("*.json"))
}
ENVELOPE = json.loads((CONTRACTS_DIR / "cloudevent.schema.json").read_text())
EXAMPLES = {
    p.name.removesuffix(".json"): json.loads(p.read_text())
    for p in sorted(Path(CONTRACTS_DIR / "examples").glob("*.json"))
}

JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 3) | st.floats(-2, 2) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)


def agrees_soundly(schema: dict[str, Any], instance: Any) -> None:
    fast = compile_schema(schema)
    assert fast is not None
    if fast(instance):
        assert jsonschema.Draft202012Validator(schema).is_valid(instance), instance


# the events a bulk import writes must take the fast path; any other contract may (a schema using a
# keyword the compiler does not know is simply left to jsonschema)
BULK = (
    "plr.registry.leader.registered.v1",
    "plr.registry.leader.affiliated.v1",
    "plr.registry.leader.updated.v1",
    "plr.registry.consent.granted.v1",
)


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_a_compiled_contract_accepts_its_golden_example(name: str) -> None:
    fast, envelope = compile_schema(SCHEMAS[name]), compile_schema(ENVELOPE)
    assert envelope is not None and envelope(EXAMPLES[name])
    assert (fast is not None or name not in BULK) and (fast is None or fast(EXAMPLES[name]["data"]))


@settings(max_examples=300, deadline=None)
@given(name=st.sampled_from(sorted(SCHEMAS)), key=st.text(max_size=20), value=JSON, drop=st.booleans())
def test_a_changed_example_is_accepted_only_if_jsonschema_accepts_it(
    name: str, key: str, value: Any, drop: bool
) -> None:
    data = copy.deepcopy(EXAMPLES[name]["data"])
    keys = sorted(data)
    target = keys[len(key) % len(keys)] if keys and not key else key
    if drop and target in data:
        del data[target]
    else:
        data[target] = value
    agrees_soundly(SCHEMAS[name], data)
    body = copy.deepcopy(EXAMPLES[name])
    body[target if target in body or not keys else sorted(body)[len(key) % len(body)]] = value
    agrees_soundly(ENVELOPE, body)


@settings(max_examples=200, deadline=None)
@given(instance=JSON)
def test_any_json_is_accepted_only_if_jsonschema_accepts_it(instance: Any) -> None:
    for schema in (ENVELOPE, *SCHEMAS.values()):
        agrees_soundly(schema, instance)


@pytest.mark.parametrize(
    "schema",
    [
        {"oneOf": [{"type": "string"}]},
        {"enum": [1, True]},
        {"$ref": "#/x"},
        {"patternProperties": {}},
        {"type": "bogus"},
    ],
)
def test_a_keyword_it_does_not_know_is_left_to_jsonschema(schema: dict[str, Any]) -> None:
    assert compile_schema(schema) is None


def test_integers_and_booleans_are_told_apart_as_jsonschema_does() -> None:
    check = compile_schema({"type": "integer", "minimum": 1})
    assert check is not None
    assert check(2) and check(2.0) and not check(True) and not check(0) and not check("2")
