"""The portal's database behind AccountStore, and its server-side sessions."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Engine

from services.common import signed_links
from services.portal.adapters.tables import (
    accounts,
    email_tokens,
    reset_requests,
    sessions,
    sign_in_failures,
    used_links,
)
from services.portal.domain import resets
from services.portal.domain.accounts import SESSION_IDLE, SESSION_LONGEST, Account, session_expired
from services.portal.service_layer.person_data import AccountEraser
from services.portal.service_layer.ports import AccountStore


def account_from_row(row: sa.Row[Any]) -> Account:
    """An ``accounts`` row as the domain's Account."""
    return Account(row.account_id, row.email_key, row.password_hash, row.verified_at is not None, row.leader_id)


class SqlAccountStore(AccountStore, AccountEraser):
    def __init__(self, engine: Engine):
        self.engine = engine

    def add(self, account_id: str, email_key: str, password_hash: str, now: datetime) -> bool:
        row = dict(account_id=account_id, email_key=email_key, password_hash=password_hash, created_at=now)
        with self.engine.begin() as c:
            done = c.execute(insert(accounts).values(row).on_conflict_do_nothing(index_elements=["email_key"]))
            return done.rowcount == 1

    def _one(self, where: sa.ColumnElement[bool]) -> Account | None:
        with self.engine.begin() as c:
            row = c.execute(sa.select(accounts).where(where)).first()
        return None if row is None else account_from_row(row)

    def by_email(self, email_key: str) -> Account | None:
        return self._one(accounts.c.email_key == email_key)

    def by_id(self, account_id: str) -> Account | None:
        return self._one(accounts.c.account_id == account_id)

    def delete_account(self, account_id: str) -> None:
        # its sessions, email tokens, reset links and NHS login go with it (ON DELETE CASCADE); its failed
        # sign-ins and reset requests are kept by address, so they go by address
        with self.engine.begin() as c:
            gone = c.execute(
                accounts.delete().where(accounts.c.account_id == account_id).returning(accounts.c.email_key)
            ).scalar()
            if gone is not None:
                c.execute(sign_in_failures.delete().where(sign_in_failures.c.email_key == gone))
                c.execute(reset_requests.delete().where(reset_requests.c.email_digest == resets.email_digest(gone)))

    def add_email_token(self, token_digest: str, account_id: str, expires_at: datetime) -> None:
        with self.engine.begin() as c:
            c.execute(
                email_tokens.insert().values(token_digest=token_digest, account_id=account_id, expires_at=expires_at)
            )

    def take_email_token(self, token_digest: str, now: datetime) -> str | None:
        with self.engine.begin() as c:
            account_id = c.execute(
                email_tokens.delete()
                .where(email_tokens.c.token_digest == token_digest, email_tokens.c.expires_at > now)
                .returning(email_tokens.c.account_id)
            ).scalar()
        return str(account_id) if account_id else None

    def mark_verified(self, account_id: str, now: datetime) -> None:
        with self.engine.begin() as c:
            c.execute(
                accounts.update()
                .where(accounts.c.account_id == account_id, accounts.c.verified_at.is_(None))
                .values(verified_at=now)
            )

    def link_leader(self, account_id: str, leader_id: str) -> bool:
        with self.engine.begin() as c:
            taken = c.execute(sa.select(accounts.c.account_id).where(accounts.c.leader_id == leader_id)).scalar()
            if taken is not None:
                return str(taken) == account_id
            done = c.execute(
                accounts.update()
                .where(accounts.c.account_id == account_id, accounts.c.leader_id.is_(None))
                .values(leader_id=leader_id)
            )
            return done.rowcount == 1

    def use_link(self, link_digest: str, now: datetime) -> bool:
        with self.engine.begin() as c:
            done = c.execute(insert(used_links).values(link_digest=link_digest, used_at=now).on_conflict_do_nothing())
            return done.rowcount == 1

    def failures_since(self, email_key: str, since: datetime) -> int:
        with self.engine.begin() as c:
            return int(
                c.execute(
                    sa.select(sa.func.count())
                    .select_from(sign_in_failures)
                    .where(sign_in_failures.c.email_key == email_key, sign_in_failures.c.failed_at >= since)
                ).scalar_one()
            )

    def record_failure(self, email_key: str, now: datetime) -> None:
        with self.engine.begin() as c:
            c.execute(sign_in_failures.insert().values(email_key=email_key, failed_at=now))


@dataclass(frozen=True)
class Session:
    session_id: str  # what the cookie carries; the table holds its digest
    account_id: str | None
    csrf_token: str
    confirm_link: str | None


class SqlSessions:
    """Server-side sessions: a random id in the cookie, its SHA-256 in the table; one that has expired
    (idle or too old) is deleted when it is next presented."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def start(self, now: datetime, account_id: str | None = None, confirm_link: str | None = None) -> Session:
        session = Session(secrets.token_urlsafe(32), account_id, secrets.token_urlsafe(32), confirm_link)
        with self.engine.begin() as c:
            # the sessions that expired go as new ones start: one never presented again (a person who did
            # not come back, a visitor without cookies) would otherwise be kept for ever
            c.execute(
                sessions.delete().where(
                    (sessions.c.last_seen_at < now - SESSION_IDLE) | (sessions.c.created_at < now - SESSION_LONGEST)
                )
            )
            c.execute(
                sessions.insert().values(
                    session_digest=signed_links.digest(session.session_id),
                    account_id=account_id,
                    csrf_token=session.csrf_token,
                    confirm_link=confirm_link,
                    created_at=now,
                    last_seen_at=now,
                )
            )
        return session

    def find(self, session_id: str, now: datetime) -> Session | None:
        digest = signed_links.digest(session_id)
        with self.engine.begin() as c:
            row = c.execute(sa.select(sessions).where(sessions.c.session_digest == digest)).first()
            if row is None:
                return None
            if session_expired(row.created_at, row.last_seen_at, now):
                c.execute(sessions.delete().where(sessions.c.session_digest == digest))
                return None
            c.execute(sessions.update().where(sessions.c.session_digest == digest).values(last_seen_at=now))
        return Session(session_id, row.account_id, row.csrf_token, row.confirm_link)

    def keep_link(self, session: Session, confirm_link: str | None) -> None:
        with self.engine.begin() as c:
            c.execute(
                sessions.update()
                .where(sessions.c.session_digest == signed_links.digest(session.session_id))
                .values(confirm_link=confirm_link)
            )

    def end(self, session_id: str) -> None:
        with self.engine.begin() as c:
            c.execute(sessions.delete().where(sessions.c.session_digest == signed_links.digest(session_id)))
