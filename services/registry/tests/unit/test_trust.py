"""The trust aggregate and the onboarding use cases, on fakes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.common.errors import InvalidInput, NotFound, PreconditionFailed
from services.common.events import default_registry
from services.common.principals import ADMINISTRATOR, NewApiKey
from services.registry.domain import commands, events
from services.registry.domain.trust import Trust
from services.registry.service_layer import trusts
from services.registry.tests.unit.fakes import FakeUnitOfWork

NOW = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)


def clock() -> datetime:
    return NOW


def keys():  # type: ignore[no-untyped-def]
    counter = iter(range(1, 1000))

    def make() -> NewApiKey:
        n = next(counter)
        return NewApiKey(key_id=f"plrk_{n:016d}", secret="s" * 42 + str(n % 10))

    return make


@pytest.mark.parametrize("ods", ["RX", "RXXXXX", "rxx", "R X1", "RX!", "", "ＲＸＸ"])
def test_an_ods_code_must_be_3_to_5_upper_case_letters_or_digits(ods: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        Trust.onboard(ods, "A Trust", NOW)
    assert set(refused.value.fields) == {"ods"}


@pytest.mark.parametrize("name", ["", "   ", "x" * 201, "Bad\x00name", "Tab\tname"])
def test_a_trust_name_must_be_present_short_and_printable(name: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        Trust.onboard("RXX", name, NOW)
    assert set(refused.value.fields) == {"name"}


def test_both_bad_fields_are_named_at_once() -> None:
    with pytest.raises(InvalidInput) as refused:
        Trust.onboard("rx x!", "", NOW)
    assert set(refused.value.fields) == {"ods", "name"}
    assert "ods:" in str(refused.value) and "name:" in str(refused.value)


def test_every_change_to_a_trust_raises_its_version_by_one_and_records_an_event() -> None:
    trust = Trust.onboard("RJ1", "Guy's and St Thomas'", NOW)
    trust.issue_key("plrk_0000000000000001", "a" * 64, NOW)
    trust.revoke_key("plrk_0000000000000001", NOW)
    assert trust.version == 3
    assert [type(e) for e in trust.pending_events] == [
        events.TrustOnboarded,
        events.TrustKeyIssued,
        events.TrustKeyRevoked,
    ]
    assert [e.version for e in trust.pending_events] == [1, 2, 3]


def test_revoking_a_revoked_key_changes_nothing() -> None:
    trust = Trust.onboard("RJ1", "A Trust", NOW)
    trust.issue_key("plrk_0000000000000001", "a" * 64, NOW)
    trust.revoke_key("plrk_0000000000000001", NOW)
    version = trust.version
    trust.revoke_key("plrk_0000000000000001", NOW)
    assert trust.version == version


def test_revoking_an_unknown_key_is_not_found() -> None:
    trust = Trust.onboard("RJ1", "A Trust", NOW)
    with pytest.raises(NotFound):
        trust.revoke_key("plrk_0000000000000009", NOW)


def test_onboarding_issues_a_first_key_and_stages_two_valid_events() -> None:
    uow = FakeUnitOfWork()
    result = trusts.onboard_trust(commands.OnboardTrust("RXX", "Example NHS Trust"), uow, ADMINISTRATOR, keys(), clock)
    assert result.created and result.initial_key is not None
    assert uow.trusts.rows["RXX"].valid_keys[0].secret_sha256 == result.initial_key.secret_sha256
    assert [e.type for e in uow.outbox] == ["plr.registry.trust.onboarded.v1", "plr.registry.trust.key_issued.v1"]
    for event in uow.outbox:
        default_registry().validate(event.to_dict())
    assert all(result.initial_key.secret not in e.to_json().decode() for e in uow.outbox)


def test_onboarding_a_known_code_again_changes_nothing_and_issues_no_key() -> None:
    uow = FakeUnitOfWork()
    trusts.onboard_trust(commands.OnboardTrust("RXX", "Example NHS Trust"), uow, ADMINISTRATOR, keys(), clock)
    staged = len(uow.outbox)
    again = trusts.onboard_trust(commands.OnboardTrust("RXX", "Another name"), uow, ADMINISTRATOR, keys(), clock)
    assert not again.created and again.initial_key is None
    assert again.trust.name == "Example NHS Trust"
    assert len(uow.outbox) == staged


def test_invalid_onboarding_touches_nothing() -> None:
    uow = FakeUnitOfWork()
    with pytest.raises(InvalidInput):
        trusts.onboard_trust(commands.OnboardTrust("rx x!", ""), uow, ADMINISTRATOR, keys(), clock)
    assert uow.trusts.rows == {} and uow.committed == 0


def test_a_stale_save_is_refused() -> None:
    uow = FakeUnitOfWork()
    trusts.onboard_trust(commands.OnboardTrust("RXX", "Example NHS Trust"), uow, ADMINISTRATOR, keys(), clock)
    trust = uow.trusts.get("RXX")
    assert trust is not None
    trusts.issue_trust_key(commands.IssueTrustKey("RXX"), uow, ADMINISTRATOR, keys(), clock)
    trust.issue_key("plrk_0000000000000777", "b" * 64, NOW)
    with pytest.raises(PreconditionFailed):
        uow.trusts.save(trust, expected_version=2)


def test_rotating_keys_keeps_both_valid_until_the_old_is_revoked() -> None:
    uow = FakeUnitOfWork()
    first = trusts.onboard_trust(
        commands.OnboardTrust("RXX", "Example NHS Trust"), uow, ADMINISTRATOR, keys(), clock
    ).initial_key
    assert first is not None
    second, _ = trusts.issue_trust_key(commands.IssueTrustKey("RXX"), uow, ADMINISTRATOR, keys(), clock)
    assert {k.key_id for k in uow.trusts.rows["RXX"].valid_keys} == {first.key_id, second.key_id}
    trusts.revoke_trust_key(commands.RevokeTrustKey("RXX", first.key_id), uow, ADMINISTRATOR, clock)
    assert [k.key_id for k in uow.trusts.rows["RXX"].valid_keys] == [second.key_id]
    assert uow.outbox[-1].type == "plr.registry.trust.key_revoked.v1"


def test_reading_an_unknown_trust_is_not_found() -> None:
    with pytest.raises(NotFound):
        trusts.get_trust(commands.GetTrust("RZZ"), FakeUnitOfWork(), ADMINISTRATOR)
