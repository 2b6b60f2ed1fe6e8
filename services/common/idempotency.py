"""Idempotency keys of create methods, for every service: the first result is kept under the caller's
key and answered again; the same key with another request is refused.

This module imports no SQLAlchemy (a service layer builds on it); the SQL store is
``services.common.sql_idempotency``.
"""

from __future__ import annotations

import abc
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from services.common.errors import InvalidInput, PreconditionFailed

T = TypeVar("T")
KEY_MAX = 200


class IdempotencyKeys(abc.ABC):
    """The stored first results, each under (principal, method, key) and bound to its request's digest."""

    @abc.abstractmethod
    def claim(
        self, principal: str, method: str, key: str, digest: str, trust_ods: str | None, leader_id: str | None
    ) -> bytes | None:
        """None when the key is new (claimed now, in this transaction); the stored response otherwise.
        PreconditionFailed if the key was used with another request."""

    @abc.abstractmethod
    def complete(self, principal: str, method: str, key: str, response: bytes) -> None: ...


@dataclass(frozen=True)
class Idempotent(Generic[T]):
    """One call's key: whose (``principal``; the trust and leader it concerns, for row security and
    erasure), of which method, bound to the request's digest; how its result is kept and read back."""

    principal: str
    method: str
    key: str
    request_digest: str
    trust_ods: str | None
    leader_id: str | None
    render: Callable[[T], bytes]
    parse: Callable[[bytes], T]

    def __post_init__(self) -> None:
        if len(self.key) > KEY_MAX or not self.key.isprintable():
            raise InvalidInput({"idempotency_key": f"must be at most {KEY_MAX} printable characters"})


def once(keys: IdempotencyKeys, idempotent: Idempotent[T] | None, compute: Callable[[], T]) -> T:
    """Inside an open unit of work: compute, or answer what the same key answered before. The claim,
    the change and the stored answer commit together, so a retry after a crash is safe."""
    if idempotent is None or not idempotent.key:
        return compute()
    i = idempotent
    stored = keys.claim(i.principal, i.method, i.key, i.request_digest, i.trust_ods, i.leader_id)
    if stored is not None:
        return i.parse(stored)
    result = compute()
    keys.complete(i.principal, i.method, i.key, i.render(result))
    return result


# (principal, method, key) -> (digest, trust, leader, response)
StoredKeys = dict[tuple[str, str, str], tuple[str, str | None, str | None, bytes]]


class InMemoryIdempotencyKeys(IdempotencyKeys):
    """The store in memory (the services' unit tests' fakes): ``keys`` may be shared by several."""

    def __init__(self, keys: StoredKeys | None = None) -> None:
        self.keys: StoredKeys = {} if keys is None else keys

    def claim(
        self, principal: str, method: str, key: str, digest: str, trust_ods: str | None, leader_id: str | None
    ) -> bytes | None:
        found = self.keys.get((principal, method, key))
        if found is None:
            self.keys[(principal, method, key)] = (digest, trust_ods, leader_id, b"")
            return None
        if found[0] != digest:
            raise PreconditionFailed("idempotency_key: already used with a different request")
        return found[3]

    def complete(self, principal: str, method: str, key: str, response: bytes) -> None:
        digest, trust_ods, leader_id, _ = self.keys[(principal, method, key)]
        self.keys[(principal, method, key)] = (digest, trust_ods, leader_id, response)
