"""Leaders, affiliations, consent, equality monitoring, the access audit, the taxonomy, idempotency.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from services.common.tenancy import CURRENT_LEADER, CURRENT_TRUST, PLATFORM, leader_rls_predicate, rls_predicate

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

UUID = postgresql.UUID(as_uuid=False)
TZ = sa.DateTime(timezone=True)


def _force_rls(table: str, predicate: str) -> None:
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY {table}_tenant ON {table} USING {predicate} WITH CHECK {predicate}")


def upgrade() -> None:
    op.create_table(
        "affiliations",
        sa.Column("affiliation_id", UUID, primary_key=True),
        sa.Column("leader_id", UUID, nullable=False, index=True),
        sa.Column("trust_ods", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("confirmed_at", TZ),
        sa.Column("ended_at", TZ),
        sa.Column("end_reason", sa.Text, nullable=False, server_default=""),
        sa.Column("updated_at", TZ, nullable=False),
        sa.UniqueConstraint("trust_ods", "leader_id", name="affiliations_one_per_trust"),
        sa.CheckConstraint("status IN ('pending', 'active', 'ended')", name="affiliations_status"),
    )
    op.create_index("affiliations_trust_updated", "affiliations", ["trust_ods", "updated_at"])
    _force_rls("affiliations", leader_rls_predicate())

    op.create_table(
        "leaders",
        sa.Column("leader_id", UUID, primary_key=True),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("paused_until", sa.Date),
        sa.Column("given_name", sa.Text),
        sa.Column("family_name", sa.Text),
        sa.Column("email", sa.Text),
        sa.Column("email_key", sa.Text, unique=True),
        sa.Column("phone", sa.Text),
        sa.Column("postcode", sa.Text),
        sa.Column("profile", postgresql.JSONB, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.Column("erased_at", TZ),
        sa.CheckConstraint("status IN ('active', 'paused', 'withdrawn', 'erased')", name="leaders_status"),
    )
    # a person is visible to a trust only through an active affiliation with it
    _force_rls(
        "leaders",
        f"(leader_id::text = {CURRENT_LEADER} OR {PLATFORM} OR EXISTS (SELECT 1 FROM affiliations a "
        f"WHERE a.leader_id = leaders.leader_id AND a.trust_ods = {CURRENT_TRUST} AND a.status = 'active'))",
    )

    op.create_table(
        "consent_records",
        sa.Column("record_id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("leader_id", UUID, nullable=False, index=True),
        sa.Column("purpose", sa.Text, nullable=False),
        sa.Column("target", sa.Text, nullable=False),
        sa.Column("granted", sa.Boolean, nullable=False),
        sa.Column("wording_version", sa.Text, nullable=False),
        sa.Column("recorded_by_kind", sa.Text, nullable=False),
        sa.Column("recorded_by", sa.Text, nullable=False),
        sa.Column("recorder_trust", sa.Text),
        sa.Column("evidence", sa.Text, nullable=False),
        sa.Column("recorded_at", TZ, nullable=False),
    )
    _force_rls(
        "consent_records",
        f"(leader_id::text = {CURRENT_LEADER} OR {PLATFORM} OR EXISTS (SELECT 1 FROM affiliations a "
        f"WHERE a.leader_id = consent_records.leader_id AND a.trust_ods = {CURRENT_TRUST} AND a.status = 'active'))",
    )

    # equality monitoring: apart, readable only by the leader and the platform's aggregate report
    op.create_table(
        "equality_answers",
        sa.Column("leader_id", UUID, primary_key=True),
        sa.Column("answers", postgresql.JSONB, nullable=False),
        sa.Column("submitted_at", TZ, nullable=False),
    )
    _force_rls("equality_answers", leader_rls_predicate(trust_column=None))

    op.create_table(
        "audit_log",
        sa.Column("entry_id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("at", TZ, nullable=False, server_default=sa.func.now()),
        sa.Column("principal_kind", sa.Text, nullable=False),
        sa.Column("principal", sa.Text, nullable=False),
        sa.Column("trust_ods", sa.Text),
        sa.Column("method", sa.Text, nullable=False),
        sa.Column("leader_id", UUID, nullable=False),
        sa.Column("fields", postgresql.ARRAY(sa.Text), nullable=False),
    )
    op.create_index("audit_log_leader", "audit_log", ["leader_id", "entry_id"])
    op.create_index("audit_log_trust", "audit_log", ["trust_ods", "entry_id"])
    _force_rls("audit_log", leader_rls_predicate())
    # append-only, whoever asks (the application role has UPDATE and DELETE on other tables)
    op.execute(
        "CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "RAISE EXCEPTION 'audit_log is append-only'; END $$"
    )
    op.execute(
        "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()"
    )

    op.create_table(
        "terms",
        sa.Column("term_id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("code", sa.Text, nullable=False),
        sa.Column("label", sa.Text, nullable=False),
        sa.Column("trust_ods", sa.Text),
    )
    op.execute("CREATE UNIQUE INDEX terms_unique ON terms (kind, code, coalesce(trust_ods, ''))")
    _force_rls("terms", f"(trust_ods IS NULL OR {rls_predicate()})")

    op.create_table(
        "idempotency_keys",
        sa.Column("principal", sa.Text, primary_key=True),
        sa.Column("method", sa.Text, primary_key=True),
        sa.Column("idempotency_key", sa.Text, primary_key=True),
        sa.Column("trust_ods", sa.Text),
        sa.Column("leader_id", sa.Text),
        sa.Column("request_sha256", sa.Text, nullable=False),
        sa.Column("response", sa.LargeBinary),
        sa.Column("created_at", TZ, nullable=False, server_default=sa.func.now()),
    )
    _force_rls("idempotency_keys", f"(trust_ods = {CURRENT_TRUST} OR leader_id = {CURRENT_LEADER} OR {PLATFORM})")

    from services.registry.domain.taxonomy import GLOBAL_TERMS

    terms = sa.table("terms", sa.column("kind"), sa.column("code"), sa.column("label"))
    op.bulk_insert(terms, [{"kind": t.kind, "code": t.code, "label": t.label} for t in GLOBAL_TERMS])


def downgrade() -> None:
    for table in (
        "idempotency_keys",
        "terms",
        "audit_log",
        "equality_answers",
        "consent_records",
        "leaders",
        "affiliations",
    ):
        op.drop_table(table)
    op.execute("DROP FUNCTION audit_log_append_only()")
