"""The ``migrate`` step: database and roles, schema (Alembic, under an advisory lock), the give-back key,
grants, topology.

Only this step changes schema; the processes connect as the application role, which owns nothing
(an owner or a superuser would bypass row-level security).
"""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import urlsplit

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection

from services.common.db import make_engine
from services.common.give_back import ensure_give_back_key
from services.common.platform_tables import give_back_key
from services.common.relay import advisory_key
from services.common.settings import ServiceDatabase

log = logging.getLogger(__name__)


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _role_and_database(url: str) -> tuple[str, str | None, str]:
    parts = urlsplit(url)
    if not parts.username:
        raise ValueError(f"database URL {parts.hostname}/{parts.path} names no user")
    return parts.username, parts.password, parts.path.lstrip("/")


def bootstrap_database(admin_url: str, database: ServiceDatabase) -> None:
    """Create the owner and application roles and the database, if missing (needs a superuser)."""
    owner, owner_password, dbname = _role_and_database(database.owner_url)
    app, app_password, _ = _role_and_database(database.app_url)
    engine = make_engine(admin_url, pool_size=1, application_name="plr-bootstrap")
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            # one bootstrap at a time across processes: CREATE ROLE races otherwise
            connection.execute(sa.select(sa.func.pg_advisory_lock(advisory_key("plr.bootstrap"))))
            try:
                for role, password in ((owner, owner_password), (app, app_password)):
                    exists = connection.execute(
                        sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}
                    ).first()
                    if not exists:
                        connection.execute(sa.text(f"CREATE ROLE {_ident(role)} LOGIN NOSUPERUSER NOBYPASSRLS"))
                        log.info("created role %s", role)
                    if password:
                        connection.execute(sa.text(f"ALTER ROLE {_ident(role)} PASSWORD :p"), {"p": password})
                exists = connection.execute(
                    sa.text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": dbname}
                ).first()
                if not exists:
                    connection.execute(sa.text(f"CREATE DATABASE {_ident(dbname)} OWNER {_ident(owner)}"))
                    log.info("created database %s", dbname)
                connection.execute(sa.text(f"REVOKE ALL ON DATABASE {_ident(dbname)} FROM PUBLIC"))
                connection.execute(sa.text(f"GRANT CONNECT ON DATABASE {_ident(dbname)} TO {_ident(app)}"))
            finally:
                connection.execute(sa.select(sa.func.pg_advisory_unlock(advisory_key("plr.bootstrap"))))
    finally:
        engine.dispose()


def alembic_config(migrations_dir: Path, connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.attributes["connection"] = connection
    return config


def grant_application_role(connection: Connection, app_role: str) -> None:
    role = _ident(app_role)
    connection.execute(sa.text("REVOKE CREATE ON SCHEMA public FROM PUBLIC"))
    connection.execute(sa.text(f"GRANT USAGE ON SCHEMA public TO {role}"))
    connection.execute(sa.text(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}"))
    connection.execute(sa.text(f"REVOKE ALL ON alembic_version FROM {role}"))
    # the worker reads the key that seals its give-back copies; no process of the service changes it
    connection.execute(sa.text(f"REVOKE INSERT, UPDATE, DELETE ON {give_back_key.name} FROM {role}"))
    connection.execute(sa.text(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}"))


def migrate_database(database: ServiceDatabase, migrations_dir: Path) -> str:
    """Upgrade to head under an advisory lock, then grant the application role. Returns the revision."""
    app_role, _, _ = _role_and_database(database.app_url)
    engine = make_engine(database.owner_url, pool_size=1, application_name=f"plr-migrate-{database.service}")
    try:
        with engine.connect() as connection:
            connection.execute(sa.select(sa.func.pg_advisory_lock(advisory_key(f"plr.migrate.{database.service}"))))
            connection.commit()
            try:
                # a service keeps one head (branches grown side by side get a merge revision, checked by
                # test_migration_heads.py); "heads" still upgrades a database that stopped on a branch
                command.upgrade(alembic_config(migrations_dir, connection), "heads")
                ensure_give_back_key(connection)
                connection.commit()
                grant_application_role(connection, app_role)
                revision = ",".join(
                    connection.execute(sa.text("SELECT version_num FROM alembic_version ORDER BY 1")).scalars()
                )
                connection.commit()
            finally:
                connection.execute(
                    sa.select(sa.func.pg_advisory_unlock(advisory_key(f"plr.migrate.{database.service}")))
                )
                connection.commit()
    finally:
        engine.dispose()
    return str(revision)


def run_alembic_env() -> None:
    """The body of every service's ``migrations/env.py``: online, on the connection ``migrate`` opened."""
    from alembic import context

    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("run migrations through `plr-process <service> migrate`, which holds the advisory lock")
    context.configure(connection=connection, transaction_per_migration=True)
    with context.begin_transaction():
        context.run_migrations()
