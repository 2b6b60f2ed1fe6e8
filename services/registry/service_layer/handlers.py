"""Use cases of the registry: one function per command, given a unit of work."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from services.common.errors import InvalidInput, NotFound
from services.common.principals import NewApiKey, new_api_key
from services.registry.domain import commands
from services.registry.domain.trust import Trust, TrustKeyRecord, validate_trust_identity
from services.registry.service_layer.unit_of_work import UnitOfWork

Clock = Callable[[], datetime]
KeyFactory = Callable[[], NewApiKey]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class OnboardingResult:
    trust: Trust
    created: bool
    initial_key: NewApiKey | None
    issued_at: datetime | None


def onboard_trust(
    cmd: commands.OnboardTrust, uow: UnitOfWork, new_key: KeyFactory = new_api_key, clock: Clock = utc_now
) -> OnboardingResult:
    now = clock()
    trust = Trust.onboard(cmd.ods, cmd.name, now)  # validates before anything is read or written
    with uow:
        existing = uow.trusts.get(cmd.ods)
        if existing is not None:
            return OnboardingResult(existing, created=False, initial_key=None, issued_at=None)
        key = new_key()
        trust.issue_key(key.key_id, key.secret_sha256, now)
        if not uow.trusts.add(trust):  # onboarded concurrently by another call: that one wins
            uow.rollback()
            return OnboardingResult(_require(uow, cmd.ods), created=False, initial_key=None, issued_at=None)
        uow.commit()
    return OnboardingResult(trust, created=True, initial_key=key, issued_at=now)


def get_trust(ods: str, uow: UnitOfWork) -> Trust:
    _check_ods(ods)
    with uow:
        return _require(uow, ods)


def list_trusts(
    uow: UnitOfWork, after_ods: str = "", limit: int = 100, updated_since: datetime | None = None
) -> list[Trust]:
    with uow:
        return uow.trusts.list(after_ods, limit, updated_since)


def issue_trust_key(
    cmd: commands.IssueTrustKey, uow: UnitOfWork, new_key: KeyFactory = new_api_key, clock: Clock = utc_now
) -> tuple[NewApiKey, datetime]:
    _check_ods(cmd.ods)
    with uow:
        trust = _require(uow, cmd.ods)
        expected = trust.version
        key = new_key()
        now = clock()
        trust.issue_key(key.key_id, key.secret_sha256, now)
        uow.trusts.save(trust, expected)
        uow.commit()
    return key, now


def revoke_trust_key(cmd: commands.RevokeTrustKey, uow: UnitOfWork, clock: Clock = utc_now) -> TrustKeyRecord:
    _check_ods(cmd.ods)
    if not cmd.key_id:
        raise InvalidInput({"key_id": "must not be empty"})
    with uow:
        trust = _require(uow, cmd.ods)
        expected = trust.version
        key = trust.revoke_key(cmd.key_id, clock())
        if trust.version != expected:
            uow.trusts.save(trust, expected)
            uow.commit()
    return key


def list_trust_keys(ods: str, uow: UnitOfWork) -> list[TrustKeyRecord]:
    _check_ods(ods)
    with uow:
        return list(_require(uow, ods).keys)


def _check_ods(ods: str) -> None:
    problem = validate_trust_identity(ods, "x").get("ods")
    if problem:
        raise InvalidInput({"ods": problem})


def _require(uow: UnitOfWork, ods: str) -> Trust:
    trust = uow.trusts.get(ods)
    if trust is None:
        raise NotFound(f"no trust with ODS code {ods}")
    return trust
