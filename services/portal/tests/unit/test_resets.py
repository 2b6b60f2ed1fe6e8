"""Resetting a forgotten password, on fakes: the same answer whether or not the address has an account,
the rate limit per address and per client, a link that works once and for an hour, the password rules,
and the account signed out everywhere."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import pytest

from services.common import signed_links
from services.common.errors import InvalidInput, PreconditionFailed
from services.portal.adapters.passwords import common_passwords
from services.portal.domain.accounts import Account
from services.portal.domain.resets import (
    RESET_LINK_VALID_FOR,
    RESET_REQUESTS_PER_CLIENT,
    RESET_REQUESTS_PER_EMAIL,
    RESET_WINDOW,
)
from services.portal.service_layer.accounts import TooManyAttempts
from services.portal.service_layer.ports import PasswordHasher, ResetMailer, ResetStore
from services.portal.service_layer.resets import check_reset_link, request_reset, reset_password
from services.portal.tests.unit.test_accounts import FakeStore

NOW = datetime(2026, 12, 2, 9, tzinfo=UTC)
ADDRESS = "ada@example.org"
NEW_PASSWORD = "lovelace engine notes 1843"


@dataclass
class FakeResets(ResetStore):
    """Reset links, counted requests and sessions in memory, as SqlPasswordResets keeps them."""

    accounts: FakeStore
    requests: list[tuple[str, str, datetime]] = field(default_factory=list)
    tokens: dict[str, tuple[str, datetime]] = field(default_factory=dict)
    sessions: dict[str, str] = field(default_factory=dict)  # session id -> account id

    def requests_since(self, email_digest: str, client_digest: str, since: datetime) -> tuple[int, int]:
        recent = [(e, c) for e, c, at in self.requests if at >= since]
        return sum(1 for e, _ in recent if e == email_digest), sum(1 for _, c in recent if c == client_digest)

    def record_request(self, email_digest: str, client_digest: str, now: datetime) -> None:
        self.requests.append((email_digest, client_digest, now))

    def add_reset_token(self, token_digest: str, account_id: str, expires_at: datetime) -> None:
        self.tokens[token_digest] = (account_id, expires_at)

    def reset_token_account(self, token_digest: str, now: datetime) -> Account | None:
        account_id, expires_at = self.tokens.get(token_digest, ("", now))
        return self.accounts.by_id(account_id) if account_id and expires_at > now else None

    def take_reset_token(self, token_digest: str, now: datetime) -> str | None:
        account_id, expires_at = self.tokens.pop(token_digest, ("", now))
        return account_id if account_id and expires_at > now else None

    def replace_password(self, account_id: str, password_hash: str, now: datetime) -> None:
        self.accounts.accounts[account_id] = replace(
            self.accounts.accounts[account_id], password_hash=password_hash, verified=True
        )
        self.sessions = {s: a for s, a in self.sessions.items() if a != account_id}
        self.tokens = {t: (a, at) for t, (a, at) in self.tokens.items() if a != account_id}


@dataclass
class FakeMailer(ResetMailer):
    sent: list[tuple[str, str]] = field(default_factory=list)

    def send_password_reset(self, to: str, url: str) -> None:
        self.sent.append((to, url))


class PlainHasher(PasswordHasher):
    def hash(self, password: str) -> str:
        return "plain:" + password

    def verify(self, password_hash: str, password: str) -> bool:
        return password_hash == "plain:" + password


def _setup() -> tuple[FakeStore, FakeResets, FakeMailer]:
    store = FakeStore()
    store.add("a-1", ADDRESS, "plain:old password of ada", NOW)
    return store, FakeResets(store), FakeMailer()


def _ask(store: FakeStore, resets: FakeResets, mailer: FakeMailer, email: str, client: str = "192.0.2.1") -> None:
    request_reset(
        email, client, store, resets, mailer, lambda token: f"https://portal.test/reset-password/{token}", NOW
    )


def _token(mailer: FakeMailer) -> str:
    return mailer.sent[-1][1].rsplit("/", 1)[1]


def test_a_link_is_mailed_for_an_account_and_nothing_for_an_unknown_address_with_the_same_answer() -> None:
    store, resets, mailer = _setup()
    _ask(store, resets, mailer, " Ada@Example.org")
    assert [to for to, _ in mailer.sent] == [ADDRESS]
    token = _token(mailer)
    assert list(resets.tokens) == [signed_links.digest(token)]  # only its digest is kept
    _ask(store, resets, mailer, "nobody@example.org")  # no error, nothing said
    assert len(mailer.sent) == 1 and len(resets.tokens) == 1
    with pytest.raises(InvalidInput) as refused:
        _ask(store, resets, mailer, "not an address")
    assert set(refused.value.fields) == {"email"}


@pytest.mark.parametrize("address", [ADDRESS, "nobody@example.org"])
def test_requests_for_one_address_are_limited_whether_or_not_it_has_an_account(address: str) -> None:
    store, resets, mailer = _setup()
    for n in range(RESET_REQUESTS_PER_EMAIL):
        _ask(store, resets, mailer, address, client=f"192.0.2.{n}")
    with pytest.raises(TooManyAttempts):
        _ask(store, resets, mailer, address, client="192.0.2.99")
    # the window passes: allowed again
    request_reset(address, "192.0.2.99", store, resets, mailer, str, NOW + RESET_WINDOW + timedelta(seconds=1))


def test_requests_from_one_client_are_limited_across_addresses() -> None:
    store, resets, mailer = _setup()
    for n in range(RESET_REQUESTS_PER_CLIENT):
        _ask(store, resets, mailer, f"person{n}@example.org", client="198.51.100.7")
    with pytest.raises(TooManyAttempts):
        _ask(store, resets, mailer, ADDRESS, client="198.51.100.7")
    assert mailer.sent == []  # the refused request mailed nothing
    _ask(store, resets, mailer, ADDRESS, client="198.51.100.8")  # another client may
    assert len(mailer.sent) == 1


def test_a_link_sets_a_new_password_once_verifies_the_address_and_ends_every_session() -> None:
    store, resets, mailer = _setup()
    resets.sessions = {"phone": "a-1", "laptop": "a-1", "someone else": "a-2"}
    _ask(store, resets, mailer, ADDRESS)
    token = _token(mailer)
    check_reset_link(token, resets, NOW)  # opening it changes nothing
    hasher = PlainHasher()
    reset_password(token, NEW_PASSWORD, resets, hasher, common_passwords(), NOW)
    account = store.by_id("a-1")
    assert account is not None and account.verified and hasher.verify(account.password_hash, NEW_PASSWORD)
    assert resets.sessions == {"someone else": "a-2"}
    with pytest.raises(PreconditionFailed):
        reset_password(token, "another good password 42", resets, hasher, common_passwords(), NOW)
    with pytest.raises(PreconditionFailed):
        check_reset_link(token, resets, NOW)


def test_a_refused_password_names_the_field_and_leaves_the_link_usable() -> None:
    store, resets, mailer = _setup()
    _ask(store, resets, mailer, ADDRESS)
    token = _token(mailer)
    for weak in ("short", "password1234", ADDRESS):
        with pytest.raises(InvalidInput) as refused:
            reset_password(token, weak, resets, PlainHasher(), common_passwords(), NOW)
        assert set(refused.value.fields) == {"password"}
    assert store.accounts["a-1"].password_hash == "plain:old password of ada"
    reset_password(token, NEW_PASSWORD, resets, PlainHasher(), common_passwords(), NOW)


def test_an_expired_unknown_or_superseded_link_is_refused() -> None:
    store, resets, mailer = _setup()
    _ask(store, resets, mailer, ADDRESS)
    first = _token(mailer)
    later = NOW + RESET_LINK_VALID_FOR + timedelta(seconds=1)
    with pytest.raises(PreconditionFailed):
        reset_password(first, NEW_PASSWORD, resets, PlainHasher(), common_passwords(), later)
    with pytest.raises(PreconditionFailed):
        check_reset_link("made-up-token", resets, NOW)
    _ask(store, resets, mailer, ADDRESS)
    second = _token(mailer)
    _ask(store, resets, mailer, ADDRESS, client="192.0.2.2")
    reset_password(_token(mailer), NEW_PASSWORD, resets, PlainHasher(), common_passwords(), NOW)
    with pytest.raises(PreconditionFailed):  # a password set by one link retires the others
        reset_password(second, "another good password 42", resets, PlainHasher(), common_passwords(), NOW)
