"""The portal's database behind ResetStore: reset links (SHA-256 only), counted requests, new passwords."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from services.portal.adapters.store import account_from_row
from services.portal.adapters.tables import accounts, reset_requests, reset_tokens, sessions
from services.portal.domain.accounts import Account
from services.portal.service_layer.ports import ResetStore


class SqlPasswordResets(ResetStore):
    def __init__(self, engine: Engine):
        self.engine = engine

    def requests_since(self, email_digest: str, client_digest: str, since: datetime) -> tuple[int, int]:
        def count(where: sa.ColumnElement[bool]) -> sa.ScalarSelect[int]:
            recent = reset_requests.c.requested_at >= since
            return sa.select(sa.func.count()).select_from(reset_requests).where(where, recent).scalar_subquery()

        with self.engine.begin() as c:
            row = c.execute(
                sa.select(
                    count(reset_requests.c.email_digest == email_digest),
                    count(reset_requests.c.client_digest == client_digest),
                )
            ).one()
        return int(row[0]), int(row[1])

    def record_request(self, email_digest: str, client_digest: str, now: datetime) -> None:
        with self.engine.begin() as c:
            # requests older than any window are of no more use: forget them as new ones come
            c.execute(reset_requests.delete().where(reset_requests.c.requested_at < now - timedelta(days=1)))
            c.execute(
                reset_requests.insert().values(email_digest=email_digest, client_digest=client_digest, requested_at=now)
            )

    def add_reset_token(self, token_digest: str, account_id: str, expires_at: datetime) -> None:
        with self.engine.begin() as c:
            c.execute(
                reset_tokens.insert().values(token_digest=token_digest, account_id=account_id, expires_at=expires_at)
            )

    def reset_token_account(self, token_digest: str, now: datetime) -> Account | None:
        with self.engine.begin() as c:
            row = c.execute(
                sa.select(accounts)
                .join(reset_tokens, reset_tokens.c.account_id == accounts.c.account_id)
                .where(reset_tokens.c.token_digest == token_digest, reset_tokens.c.expires_at > now)
            ).first()
        return None if row is None else account_from_row(row)

    def take_reset_token(self, token_digest: str, now: datetime) -> str | None:
        with self.engine.begin() as c:
            account_id = c.execute(
                reset_tokens.delete()
                .where(reset_tokens.c.token_digest == token_digest, reset_tokens.c.expires_at > now)
                .returning(reset_tokens.c.account_id)
            ).scalar()
        return str(account_id) if account_id else None

    def replace_password(self, account_id: str, password_hash: str, now: datetime) -> None:
        with self.engine.begin() as c:
            c.execute(
                accounts.update()
                .where(accounts.c.account_id == account_id)
                .values(password_hash=password_hash, verified_at=sa.func.coalesce(accounts.c.verified_at, now))
            )
            c.execute(sessions.delete().where(sessions.c.account_id == account_id))
            c.execute(reset_tokens.delete().where(reset_tokens.c.account_id == account_id))
