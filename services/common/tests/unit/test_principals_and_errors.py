"""Keys, principals, and the one place where errors become status codes."""

from __future__ import annotations

import grpc
import pytest

from services.common import errors
from services.common.grpc_server import status_for
from services.common.principals import (
    ADMINISTRATOR,
    Principal,
    hash_secret,
    new_api_key,
    parse_api_key,
    secret_matches,
)
from services.common.tenancy import TenantScope, rls_predicate


def test_a_new_key_parses_back_and_only_its_secret_matches_its_hash() -> None:
    key = new_api_key()
    key_id, secret = parse_api_key(key.presented)
    assert key_id == key.key_id and secret == key.secret
    assert secret_matches(secret, key.secret_sha256)
    assert not secret_matches(secret[:-1] + ("A" if secret[-1] != "A" else "B"), key.secret_sha256)
    assert len(hash_secret(secret)) == 64 and key.secret not in key.secret_sha256


def test_keys_are_unique_and_high_entropy() -> None:
    made = {new_api_key().secret for _ in range(200)}
    assert len(made) == 200
    assert all(len(s) == 43 for s in made)  # 32 random bytes, base64url


@pytest.mark.parametrize("presented", ["", "abc", "plrk_short.secret", "plrk_aaaaaaaaaaaaaaaa.", "x" * 500])
def test_a_malformed_key_is_unauthenticated(presented: str) -> None:
    with pytest.raises(errors.Unauthenticated):
        parse_api_key(presented)


def test_a_trust_principal_is_scoped_to_its_trust_and_denied_others() -> None:
    trust = Principal("trust", "RXX", "RXX")
    assert trust.scope == TenantScope.trust("RXX")
    trust.require_trust_access("RXX")
    with pytest.raises(errors.PermissionDenied):
        trust.require_trust_access("RYY")
    with pytest.raises(errors.PermissionDenied):
        trust.require_administrator()
    ADMINISTRATOR.require_administrator()
    assert ADMINISTRATOR.scope.platform


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (errors.InvalidInput({"ods": "bad"}), grpc.StatusCode.INVALID_ARGUMENT),
        (errors.NotFound("x"), grpc.StatusCode.NOT_FOUND),
        (errors.PreconditionFailed("x"), grpc.StatusCode.FAILED_PRECONDITION),
        (errors.PermissionDenied("x"), grpc.StatusCode.PERMISSION_DENIED),
        (errors.Unauthenticated("x"), grpc.StatusCode.UNAUTHENTICATED),
        (errors.AlreadyExists("x"), grpc.StatusCode.ALREADY_EXISTS),
        (KeyError("x"), None),
    ],
)
def test_domain_errors_map_to_status_codes(error: Exception, code: grpc.StatusCode | None) -> None:
    assert status_for(error) == code


def test_a_scope_is_one_trust_or_the_platform() -> None:
    with pytest.raises(ValueError):
        TenantScope(trust_ods="RXX", platform=True)
    with pytest.raises(ValueError):
        TenantScope.trust("'; drop table trusts; --")
    assert "nullif(current_setting('plr.trust', true), '')" in rls_predicate()
