"""The portal's account rules on fakes: passwords (length, the bundled common and breached list, argon2id),
session expiry, sign-in limits, and the registry's signed links (tampered, expired, for another purpose,
used twice)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import pytest

from services.common import signed_links
from services.common.errors import InvalidInput, PreconditionFailed, Unauthenticated
from services.portal.adapters.passwords import Argon2Hasher, common_passwords
from services.portal.domain.accounts import (
    PASSWORD_MIN,
    SESSION_IDLE,
    SESSION_LONGEST,
    SIGN_IN_FAILURES_ALLOWED,
    Account,
    check_password,
    email_key,
    session_expired,
    sign_in_allowed,
)
from services.portal.service_layer.accounts import sign_in, take_on_leader
from services.portal.service_layer.ports import AccountStore, PasswordHasher

NOW = datetime(2026, 12, 1, 10, tzinfo=UTC)
KEY = "k" * 40
DAY = timedelta(days=1)
LEADER = "0f0e0d0c-0b0a-4000-8000-000000000001"


def test_a_password_is_refused_naming_the_field_when_short_long_common_or_the_address() -> None:
    common = common_passwords()
    assert "111111111111" in common and len(common) > 50
    for password in ("short", "x" * (PASSWORD_MIN - 1), "y" * 201, "111111111111", "ADA@example.org"):
        with pytest.raises(InvalidInput) as refused:
            check_password(password, " ada@example.org", common)
        assert set(refused.value.fields) == {"password"}, password
    check_password("correct horse battery staple", "ada@example.org", common)  # nothing raised


def test_an_email_address_is_keyed_in_lower_case_and_a_malformed_one_named() -> None:
    assert email_key("  Ada@Example.ORG ") == "ada@example.org"
    for malformed in ("not-an-address", "ada\x00lovelace@example.org", "ada\x1b@example.org", "ada@exa\u2028mple.org"):
        with pytest.raises(InvalidInput) as refused:
            email_key(malformed)
        assert set(refused.value.fields) == {"email"}, repr(malformed)


def test_passwords_are_kept_as_argon2id_hashes_that_verify_only_the_password() -> None:
    hasher = Argon2Hasher()
    kept = hasher.hash("correct horse battery staple")
    assert kept.startswith("$argon2id$") and "correct horse" not in kept
    assert hasher.verify(kept, "correct horse battery staple")
    assert not hasher.verify(kept, "correct horse battery stapler")
    assert not hasher.verify("not a hash", "correct horse battery staple")


def test_a_session_expires_when_idle_or_too_old() -> None:
    assert not session_expired(NOW, NOW, NOW + SESSION_IDLE)
    assert session_expired(NOW, NOW, NOW + SESSION_IDLE + timedelta(seconds=1))
    busy = NOW + SESSION_LONGEST + timedelta(seconds=1)
    assert session_expired(NOW, busy - timedelta(minutes=1), busy)  # used a minute ago, but begun too long ago


def test_sign_in_is_refused_after_too_many_failures() -> None:
    assert sign_in_allowed(SIGN_IN_FAILURES_ALLOWED - 1) and not sign_in_allowed(SIGN_IN_FAILURES_ALLOWED)


@dataclass
class FakeStore(AccountStore):
    """Accounts in memory, as SqlAccountStore keeps them in the portal's database."""

    used: set[str] = field(default_factory=set)
    leaders: dict[str, str] = field(default_factory=dict)
    accounts: dict[str, Account] = field(default_factory=dict)
    tokens: dict[str, tuple[str, datetime]] = field(default_factory=dict)
    failures: list[tuple[str, datetime]] = field(default_factory=list)

    def use_link(self, link_digest: str, now: datetime) -> bool:
        if link_digest in self.used:
            return False
        self.used.add(link_digest)
        return True

    def link_leader(self, account_id: str, leader_id: str) -> bool:
        return self.leaders.setdefault(account_id, leader_id) == leader_id

    def add(self, account_id: str, email_key: str, password_hash: str, now: datetime) -> bool:
        if self.by_email(email_key) is not None:
            return False
        self.accounts[account_id] = Account(account_id, email_key, password_hash, False, None)
        return True

    def by_email(self, email_key: str) -> Account | None:
        return next((a for a in self.accounts.values() if a.email_key == email_key), None)

    def by_id(self, account_id: str) -> Account | None:
        return self.accounts.get(account_id)

    def add_email_token(self, token_digest: str, account_id: str, expires_at: datetime) -> None:
        self.tokens[token_digest] = (account_id, expires_at)

    def take_email_token(self, token_digest: str, now: datetime) -> str | None:
        account_id, expires_at = self.tokens.pop(token_digest, ("", now))
        return account_id if account_id and expires_at > now else None

    def mark_verified(self, account_id: str, now: datetime) -> None:
        self.accounts[account_id] = replace(self.accounts[account_id], verified=True)

    def failures_since(self, email_key: str, since: datetime) -> int:
        return sum(1 for key, at in self.failures if key == email_key and at >= since)

    def record_failure(self, email_key: str, now: datetime) -> None:
        self.failures.append((email_key, now))


def _account(account_id: str = "a-1", leader_id: str | None = None) -> Account:
    return Account(account_id, "ada@example.org", "$argon2id$...", True, leader_id)


def _link(valid_for: timedelta = timedelta(days=14), purpose: str = signed_links.CONFIRM_AFFILIATION) -> str:
    payload = {"leader_id": LEADER, "affiliation_id": "aff-1", "to": signed_links.address_tag(KEY, "ada@example.org")}
    return signed_links.sign(KEY, purpose, payload, NOW, valid_for)


def test_a_signed_link_joins_the_account_to_its_leader_once() -> None:
    store, link = FakeStore(), _link()
    assert take_on_leader(_account(), link, KEY, store, NOW) == LEADER
    assert store.leaders == {"a-1": LEADER} and store.used == {signed_links.digest(link)}
    # the same link again, by another account: used already
    with pytest.raises(PreconditionFailed, match="used already"):
        take_on_leader(_account("a-2"), link, KEY, store, NOW)
    # by the account it joined: nothing to do, still its leader
    assert take_on_leader(_account(leader_id=LEADER), link, KEY, store, NOW) == LEADER


@pytest.mark.parametrize(
    "make",
    [
        lambda link: link[:-2] + ("AA" if not link.endswith("AA") else "BB"),  # its MAC changed
        lambda link: "e30" + link[link.index(".") :],  # another payload under the same MAC
        lambda link: link.split(".")[0],  # no MAC at all
        lambda link: link + "é",  # mangled out of ASCII (compare_digest refuses such text with a TypeError)
        lambda link: "é" + link,
        lambda link: _link(timedelta(seconds=-1)),  # expired
        lambda link: _link(purpose="another-purpose"),  # signed for something else
        lambda link: signed_links.sign("z" * 40, signed_links.CONFIRM_AFFILIATION, {"leader_id": LEADER}, NOW, DAY),
    ],
)
def test_a_tampered_expired_or_foreign_link_is_refused_naming_it_and_changes_nothing(
    make: Callable[[str], str],
) -> None:
    store = FakeStore()
    assert signed_links.well_formed(_link())
    with pytest.raises(InvalidInput) as refused:
        take_on_leader(_account(), make(_link()), KEY, store, NOW)
    assert set(refused.value.fields) == {"link"}
    assert store.used == set() and store.leaders == {}


def test_a_link_for_another_record_is_refused_to_an_account_joined_already_and_stays_usable() -> None:
    """Bob, joined to his own record, opens Ada's link (a shared computer): refused, and not used up."""
    store, link = FakeStore(), _link()
    bob = _account("bob", leader_id="11111111-1111-4111-8111-111111111111")
    with pytest.raises(PreconditionFailed, match="another person's record"):
        take_on_leader(bob, link, KEY, store, NOW)
    assert store.used == set()
    assert take_on_leader(_account("ada"), link, KEY, store, NOW) == LEADER


@dataclass
class CountingHasher(PasswordHasher):
    """Counts the argon2 work done (each hash or check takes the same, long, time)."""

    work: int = 0

    def hash(self, password: str) -> str:
        self.work += 1
        return "hash:" + password

    def verify(self, password_hash: str, password: str) -> bool:
        self.work += 1
        return password_hash == "hash:" + password


def test_signing_in_with_an_address_that_has_no_account_takes_as_much_work_as_a_wrong_password() -> None:
    store, hasher = FakeStore(), CountingHasher()
    store.accounts["a-1"] = Account("a-1", "ada@example.org", "hash:right password!", True, None)
    work = []
    for address in ("ada@example.org", "nobody@example.org"):
        hasher.work = 0
        with pytest.raises(Unauthenticated):
            sign_in(address, "wrong password!!", store, hasher, NOW)
        work.append(hasher.work)
    assert work[0] == work[1] >= 1


def test_a_link_joins_only_an_account_of_the_address_it_was_mailed_to_and_stays_usable_for_it() -> None:
    """A link left open on a shared computer does not join the next person who signs in there."""
    store, link = FakeStore(), _link()
    stranger = Account("a-9", "mallory@example.org", "$argon2id$...", True, None)
    with pytest.raises(PreconditionFailed, match="another email address"):
        take_on_leader(stranger, link, KEY, store, NOW)
    assert store.leaders == {} and store.used == set()
    assert take_on_leader(_account(), link, KEY, store, NOW) == LEADER
    untagged = signed_links.sign(KEY, signed_links.CONFIRM_AFFILIATION, {"leader_id": LEADER}, NOW, DAY)
    with pytest.raises(PreconditionFailed, match="another email address"):
        take_on_leader(_account("a-3"), untagged, KEY, store, NOW)
