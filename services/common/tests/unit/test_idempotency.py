"""The platform's idempotency keys, as every service's create methods use them."""

from __future__ import annotations

import pytest

from services.common.errors import InvalidInput, PreconditionFailed
from services.common.idempotency import KEY_MAX, Idempotent, InMemoryIdempotencyKeys, once


def key(principal: str, digest: str, name: str = "k1") -> Idempotent[str]:
    return Idempotent(principal, "Create", name, digest, principal, None, str.encode, bytes.decode)


def test_a_key_answers_its_first_result_again_and_refuses_another_request() -> None:
    keys, made = InMemoryIdempotencyKeys(), iter(["first", "second", "third"])
    assert once(keys, key("RTA", "d1"), lambda: next(made)) == "first"
    assert once(keys, key("RTA", "d1"), lambda: next(made)) == "first"
    with pytest.raises(PreconditionFailed, match="idempotency_key"):
        once(keys, key("RTA", "d2"), lambda: next(made))
    # another principal's same key is its own
    assert once(keys, key("RTB", "d2"), lambda: next(made)) == "second"


def test_a_key_too_long_or_unprintable_is_refused_naming_it() -> None:
    for bad in ("x" * (KEY_MAX + 1), "a\x00b"):
        with pytest.raises(InvalidInput) as refused:
            key("RTA", "d", bad)
        assert set(refused.value.fields) == {"idempotency_key"}
