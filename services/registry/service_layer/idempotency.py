"""Create methods accept an idempotency key: the first result is kept and answered again."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from services.common.errors import InvalidInput
from services.registry.service_layer.unit_of_work import UnitOfWork

T = TypeVar("T")
KEY_MAX = 200


@dataclass(frozen=True)
class Idempotent(Generic[T]):
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


def once(uow: UnitOfWork, idempotent: Idempotent[T] | None, compute: Callable[[], T]) -> T:
    """Inside an open unit of work: compute, or answer what the same key answered before. The claim,
    the change and the stored answer commit together, so a retry after a crash is safe."""
    if idempotent is None or not idempotent.key:
        return compute()
    i = idempotent
    stored = uow.idempotency.claim(i.principal, i.method, i.key, i.request_digest, i.trust_ods, i.leader_id)
    if stored is not None:
        return i.parse(stored)
    result = compute()
    uow.idempotency.complete(i.principal, i.method, i.key, i.render(result))
    return result
