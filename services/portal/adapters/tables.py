"""The portal's own database: accounts and sessions, never the registry's data (docs/adr/0008)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

metadata = sa.MetaData()

# a person's account: an address, its argon2id hash, whether the address was verified, and (once a
# one-time link from the registry's email named them) the leader id the portal acts for
accounts = sa.Table(
    "accounts",
    metadata,
    sa.Column("account_id", postgresql.UUID(as_uuid=False), primary_key=True),
    sa.Column("email_key", sa.Text, nullable=False, unique=True),  # the address, lower case
    sa.Column("password_hash", sa.Text, nullable=False),
    sa.Column("verified_at", sa.DateTime(timezone=True)),
    sa.Column("leader_id", postgresql.UUID(as_uuid=False), unique=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

# one-time tokens the portal emails (verify an address): only their SHA-256 is kept
email_tokens = sa.Table(
    "email_tokens",
    metadata,
    sa.Column("token_digest", sa.Text, primary_key=True),
    sa.Column("account_id", postgresql.UUID(as_uuid=False), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
)

# server-side sessions: the cookie carries a random id, the table its SHA-256
sessions = sa.Table(
    "sessions",
    metadata,
    sa.Column("session_digest", sa.Text, primary_key=True),
    sa.Column("account_id", postgresql.UUID(as_uuid=False)),  # None: not signed in yet
    sa.Column("csrf_token", sa.Text, nullable=False),
    sa.Column("confirm_link", sa.Text),  # a registry link followed before signing in, applied after
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
)

# the registry's one-time links already used (their SHA-256)
used_links = sa.Table(
    "used_links",
    metadata,
    sa.Column("link_digest", sa.Text, primary_key=True),
    sa.Column("used_at", sa.DateTime(timezone=True), nullable=False),
)

# failed sign-ins, by address, for the rate limit
sign_in_failures = sa.Table(
    "sign_in_failures",
    metadata,
    sa.Column("failure_id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("email_key", sa.Text, nullable=False, index=True),
    sa.Column("failed_at", sa.DateTime(timezone=True), nullable=False),
)


# --- password resets (migration 0010) ---

# one-time password reset links: only their SHA-256 is kept
reset_tokens = sa.Table(
    "reset_tokens",
    metadata,
    sa.Column("token_digest", sa.Text, primary_key=True),
    sa.Column("account_id", postgresql.UUID(as_uuid=False), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
)

# reset requests, for the rate limit: digests of the address and of the client's address
reset_requests = sa.Table(
    "reset_requests",
    metadata,
    sa.Column("request_id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("email_digest", sa.Text, nullable=False),
    sa.Column("client_digest", sa.Text, nullable=False),
    sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
)


# --- NHS login (migration 0011) ---

# the account each NHS login subject signs in to (one each way)
nhs_logins = sa.Table(
    "nhs_logins",
    metadata,
    sa.Column("subject", sa.Text, primary_key=True),
    sa.Column("account_id", postgresql.UUID(as_uuid=False), nullable=False, unique=True),
    sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
)

# sign-ins under way: the state's SHA-256, the session that began it, its nonce and PKCE verifier
oidc_attempts = sa.Table(
    "oidc_attempts",
    metadata,
    sa.Column("state_digest", sa.Text, primary_key=True),
    sa.Column("session_digest", sa.Text, nullable=False),
    sa.Column("nonce", sa.Text, nullable=False),
    sa.Column("code_verifier", sa.Text, nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
)
