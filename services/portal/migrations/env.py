"""Alembic environment: runs on the connection that `plr-process <service> migrate` opened and locked."""

from services.common.migrate import run_alembic_env

run_alembic_env()
