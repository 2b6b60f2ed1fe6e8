"""The registry api's short cache of verified trust keys: a hit skips the directory, never a check."""

from __future__ import annotations

from typing import Any

import pytest

from services.common.authentication import Authenticator
from services.common.errors import Unauthenticated
from services.common.principals import Principal

KEY = "plrk_aaaaaaaaaaaaaaaa." + "s" * 43
OTHER_SECRET = "plrk_aaaaaaaaaaaaaaaa." + "t" * 43


class Counting(Authenticator):
    def __init__(self, **kwargs: Any):
        self.now = 100.0
        super().__init__(None, None, clock=lambda: self.now, **kwargs)  # type: ignore[arg-type]
        self.lookups = 0
        self.refuse = False

    def _verify(self, key_id: str, secret: str) -> Principal:
        self.lookups += 1
        if self.refuse or secret != "s" * 43:
            raise Unauthenticated("the API key is unknown or revoked")
        return Principal("trust", "RX1", "RX1")


def call(auth: Authenticator, key: str = KEY) -> Principal:
    return auth.authenticate({"authorization": f"Bearer {key}"})


def test_no_cache_by_default() -> None:
    auth = Counting()
    call(auth), call(auth)
    assert auth.lookups == 2


def test_a_verified_key_is_reused_for_at_most_the_ttl() -> None:
    auth = Counting(key_cache_ttl_s=1.0)
    assert call(auth).trust_ods == "RX1" and call(auth).trust_ods == "RX1"
    assert auth.lookups == 1
    auth.now += 1.0
    call(auth)
    assert auth.lookups == 2


def test_a_wrong_secret_never_hits_the_cache() -> None:
    auth = Counting(key_cache_ttl_s=1.0)
    call(auth)
    with pytest.raises(Unauthenticated):
        call(auth, OTHER_SECRET)


@pytest.mark.parametrize("forget", ["trust", "key"])
def test_forgetting_refuses_at_once(forget: str) -> None:
    auth = Counting(key_cache_ttl_s=1.0)
    call(auth)
    auth.refuse = True
    auth.forget("RX1") if forget == "trust" else auth.forget_key("plrk_aaaaaaaaaaaaaaaa")
    with pytest.raises(Unauthenticated):
        call(auth)
