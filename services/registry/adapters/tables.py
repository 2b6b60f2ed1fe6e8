"""The registry's tables (SQLAlchemy Core). Schema changes are Alembic migrations, never create_all."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from services.common.sql_idempotency import idempotency_keys as common_idempotency_keys

metadata = sa.MetaData()

trusts = sa.Table(
    "trusts",
    metadata,
    sa.Column("trust_ods", sa.Text, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("version", sa.BigInteger, nullable=False),
    sa.Column("settings", postgresql.JSONB, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)


leaders = sa.Table(
    "leaders",
    metadata,
    sa.Column("leader_id", postgresql.UUID(as_uuid=False), primary_key=True),
    sa.Column("version", sa.BigInteger, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("paused_until", sa.Date),
    sa.Column("given_name", sa.Text),
    sa.Column("family_name", sa.Text),
    sa.Column("email", sa.Text),
    sa.Column("email_key", sa.Text, unique=True),
    sa.Column("phone", sa.Text),
    sa.Column("postcode", sa.Text),
    # skills, interests, lived experience, availability, needs, formats, declarations
    sa.Column("profile", postgresql.JSONB, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("erased_at", sa.DateTime(timezone=True)),
    # what every trust sees changed (migration 0033): a trust's view adds its own consents to these
    sa.Column("shared_version", sa.BigInteger, nullable=False),
    sa.Column("shared_updated_at", sa.DateTime(timezone=True), nullable=False),
)

affiliations = sa.Table(
    "affiliations",
    metadata,
    sa.Column("affiliation_id", postgresql.UUID(as_uuid=False), primary_key=True),
    sa.Column("leader_id", postgresql.UUID(as_uuid=False), nullable=False),
    sa.Column("trust_ods", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("version", sa.BigInteger, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("confirmed_at", sa.DateTime(timezone=True)),
    sa.Column("ended_at", sa.DateTime(timezone=True)),
    sa.Column("end_reason", sa.Text, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("paused_at", sa.DateTime(timezone=True)),
    sa.Column("paused_until", sa.Date),
    # the change on the person's behalf (changes_on_behalf) whose withdrawal ended it: the person may reverse it
    sa.Column("ended_by_change", postgresql.UUID(as_uuid=False)),
)

consent_records = sa.Table(
    "consent_records",
    metadata,
    sa.Column("record_id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("leader_id", postgresql.UUID(as_uuid=False), nullable=False),
    sa.Column("purpose", sa.Text, nullable=False),
    sa.Column("target", sa.Text, nullable=False),
    sa.Column("granted", sa.Boolean, nullable=False),
    sa.Column("wording_version", sa.Text, nullable=False),
    sa.Column("recorded_by_kind", sa.Text, nullable=False),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
)

# who recorded each consent and on what evidence (migration 0009): row security shows a trust only
# its own staff's and the leader's; absent from a query, the record reads as recorded by someone else
consent_recorders = sa.Table(
    "consent_recorders",
    metadata,
    sa.Column("record_id", sa.BigInteger, primary_key=True),
    sa.Column("leader_id", postgresql.UUID(as_uuid=False), nullable=False),
    sa.Column("recorded_by", sa.Text, nullable=False),
    sa.Column("recorder_trust", sa.Text),
    sa.Column("evidence", sa.Text, nullable=False),
)

# the evidence of assisted-digital changes (authority.ChangeOnBehalf): the recording trust and the leader read it
changes_on_behalf = sa.Table(
    "changes_on_behalf",
    metadata,
    sa.Column("change_id", postgresql.UUID(as_uuid=False), primary_key=True),
    sa.Column("leader_id", postgresql.UUID(as_uuid=False), nullable=False),
    sa.Column("trust_ods", sa.Text, nullable=False),
    sa.Column("fields", postgresql.ARRAY(sa.Text), nullable=False),
    sa.Column("staff", sa.Text, nullable=False),
    sa.Column("how_asked", sa.Text, nullable=False),
    sa.Column("recorded_by", sa.Text, nullable=False),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
)

equality_answers = sa.Table(
    "equality_answers",
    metadata,
    sa.Column("leader_id", postgresql.UUID(as_uuid=False), primary_key=True),
    sa.Column("answers", postgresql.JSONB, nullable=False),
    sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("entry_id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Column("principal_kind", sa.Text, nullable=False),
    sa.Column("principal", sa.Text, nullable=False),
    sa.Column("trust_ods", sa.Text),
    sa.Column("method", sa.Text, nullable=False),
    sa.Column("leader_id", postgresql.UUID(as_uuid=False), nullable=False),
    sa.Column("fields", postgresql.ARRAY(sa.Text), nullable=False),
)

# every write (migration 0015): append-only, but erasure blanks reason and evidence
change_history = sa.Table(
    "change_history",
    metadata,
    sa.Column("entry_id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Column("principal_kind", sa.Text, nullable=False),
    sa.Column("principal", sa.Text, nullable=False),
    sa.Column("staff", sa.Text),
    sa.Column("trust_ods", sa.Text),
    sa.Column("correlation_id", sa.Text),
    sa.Column("method", sa.Text, nullable=False),
    sa.Column("leader_id", postgresql.UUID(as_uuid=False)),
    sa.Column("fields", postgresql.ARRAY(sa.Text), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("evidence", sa.Text, nullable=False),
)

# each trust's own record of how it knows a person (migration 0016)
known_details = sa.Table(
    "known_details",
    metadata,
    sa.Column("trust_ods", sa.Text, primary_key=True),
    sa.Column("leader_id", postgresql.UUID(as_uuid=False), primary_key=True),
    sa.Column("given_name", sa.Text, nullable=False),
    sa.Column("family_name", sa.Text, nullable=False),
    sa.Column("email", sa.Text, nullable=False),
    sa.Column("phone", sa.Text, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

terms = sa.Table(
    "terms",
    metadata,
    sa.Column("term_id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("code", sa.Text, nullable=False),
    sa.Column("label", sa.Text, nullable=False),
    sa.Column("trust_ods", sa.Text),
)

# the idempotency keys of creates: the platform's table (migration 0002 made it)
idempotency_keys = common_idempotency_keys

# which rows of a trust's register have been imported (migration 0005): a re-run adds nothing
import_fingerprints = sa.Table(
    "import_fingerprints",
    metadata,
    sa.Column("trust_ods", sa.Text, primary_key=True),
    sa.Column("fingerprint", sa.Text, primary_key=True),
    sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("leader_id", postgresql.UUID(as_uuid=False)),  # migration 0008: erasure forgets the row
)

checks = sa.Table(
    "checks",
    metadata,
    sa.Column("check_id", postgresql.UUID(as_uuid=False), primary_key=True),
    sa.Column("leader_id", postgresql.UUID(as_uuid=False), nullable=False),
    sa.Column("trust_ods", sa.Text, nullable=False),
    sa.Column("check_type", sa.Text, nullable=False),
    sa.Column("dbs_level", sa.Text),
    sa.Column("evidence", sa.Text, nullable=False),
    sa.Column("dbs_details", sa.Text, nullable=False),
    sa.Column("verified_by", sa.Text, nullable=False),
    sa.Column("verified_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("issued_on", sa.Date),
    sa.Column("expires_on", sa.Date),
    sa.Column("version", sa.BigInteger, nullable=False),
    sa.Column("expiring_noticed_at", sa.DateTime(timezone=True)),
    sa.Column("expired_noticed_at", sa.DateTime(timezone=True)),
)

check_acceptances = sa.Table(
    "check_acceptances",
    metadata,
    sa.Column("acceptance_id", postgresql.UUID(as_uuid=False), primary_key=True),
    sa.Column("check_id", postgresql.UUID(as_uuid=False), nullable=False),
    sa.Column("leader_id", postgresql.UUID(as_uuid=False), nullable=False),
    sa.Column("trust_ods", sa.Text, nullable=False),
    sa.Column("check_type", sa.Text, nullable=False),
    sa.Column("dbs_level", sa.Text),
    sa.Column("verifying_trust", sa.Text, nullable=False),
    sa.Column("verified_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("issued_on", sa.Date),
    sa.Column("expires_on", sa.Date),
    sa.Column("accepted_by", sa.Text, nullable=False),
    sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=False),
)

# networks of trusts (migration 0025): reference data every scope reads, only the platform writes
networks = sa.Table(
    "networks",
    metadata,
    sa.Column("network_id", sa.Text, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("version", sa.BigInteger, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

network_trusts = sa.Table(
    "network_trusts",
    metadata,
    sa.Column("network_id", sa.Text, primary_key=True),
    sa.Column("trust_ods", sa.Text, primary_key=True),
)

# a trust's invitations (migration 0025): the trust's own rows, the invited leader's, the platform's
invitations = sa.Table(
    "invitations",
    metadata,
    sa.Column("invitation_id", postgresql.UUID(as_uuid=False), primary_key=True),
    sa.Column("trust_ods", sa.Text, nullable=False),
    sa.Column("target_key", sa.Text, nullable=False),
    sa.Column("leader_id", postgresql.UUID(as_uuid=False)),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("version", sa.BigInteger, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("answered_at", sa.DateTime(timezone=True)),
)

# changes of a person's email address waiting for the new address to confirm them (migration 0030):
# the person's rows, and those a trust's staff asked for on their behalf; the link's token as its digest only
email_changes = sa.Table(
    "email_changes",
    metadata,
    sa.Column("change_id", postgresql.UUID(as_uuid=False), primary_key=True),
    sa.Column("leader_id", postgresql.UUID(as_uuid=False), nullable=False),
    sa.Column("email", sa.Text, nullable=False),
    sa.Column("on_behalf_of", sa.Text),
    sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("token_sha256", sa.Text),
)

# the notifier's ledger (migration 0030): each message of an event, once sent, committed apart from
# the batch that sent it, so that a retried batch never sends it again. Ids only; the platform's
mail_sent = sa.Table(
    "mail_sent",
    metadata,
    sa.Column("event_id", postgresql.UUID(as_uuid=False), primary_key=True),
    sa.Column("recipient", sa.Text, primary_key=True),
    sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
)

# an offboarding's export, held until the administrator confirms receipt (migration 0032); its
# document is blanked at confirmation, when the trust's data is erased
offboard_exports = sa.Table(
    "offboard_exports",
    metadata,
    sa.Column("trust_ods", sa.Text, primary_key=True),
    sa.Column("document", sa.Text, nullable=False),
    sa.Column("sha256", sa.Text, nullable=False),
    sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("confirmed_at", sa.DateTime(timezone=True)),
    sa.Column("leaders_erased", sa.Integer, nullable=False),
    sa.Column("affiliations_ended", sa.Integer, nullable=False),
)
