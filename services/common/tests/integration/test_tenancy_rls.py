"""Row-level security is the last line of tenancy: forced, keyed to the transaction's trust, and the
application role can neither own its way nor bypass its way around it."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from services.common.db import scoped_transaction
from services.common.tenancy import TenantScope
from services.common.trust_directory import trusts
from tests.support.infra import SERVICES, PlrStack

pytestmark = pytest.mark.integration

PLATFORM_TABLES = {"outbox", "inbox", "worker_heartbeats", "alembic_version"}
# tables with a leader_id that no trust and no other person's request ever reads: the portal finds an
# account by its email or session before anyone is signed in, and only the portal uses its database
# (ADR 0010); the person's own data stays in the registry, under its row security
# (and the names and statuses of trusts, from the registry's trust events: every trust's start page
# shows them, and no trust's secret)
PERSON_ACCOUNT_TABLES = {"portal": {"accounts", "trusts"}}


@pytest.fixture(scope="module")
def two_trusts(stack: PlrStack) -> PlrStack:
    with scoped_transaction(stack.engine("matching"), TenantScope.platform_wide()) as connection:
        for ods in ("RLA", "RLB"):
            connection.execute(trusts.insert().values(trust_ods=ods, name=f"{ods} Trust", status="active", version=1))
    return stack


@pytest.mark.parametrize("service", SERVICES)
def test_every_tenant_table_has_forced_row_level_security(stack: PlrStack, service: str) -> None:
    with stack.engine(service, "owner").connect() as connection:
        rows = connection.execute(
            sa.text(
                "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r'"
            )
        ).all()
        tenant_tables = {
            r.table_name
            for r in connection.execute(
                sa.text(
                    "SELECT table_name FROM information_schema.columns WHERE table_schema = 'public' "
                    "AND column_name IN ('trust_ods', 'leader_id')"
                )
            )
        }
    tables = {r.relname: (r.relrowsecurity, r.relforcerowsecurity) for r in rows}
    tenant_tables -= PLATFORM_TABLES | PERSON_ACCOUNT_TABLES.get(service, set())
    if service in PERSON_ACCOUNT_TABLES:
        assert not tenant_tables, f"{service}: {sorted(tenant_tables)} hold a trust's or a person's data"
        return
    assert tenant_tables, "no tenant-owned tables found"
    for table in tenant_tables:
        assert tables[table] == (True, True), f"{service}.{table} lacks forced row-level security"


@pytest.mark.parametrize("service", SERVICES)
def test_the_application_role_owns_nothing_and_cannot_bypass_rls(stack: PlrStack, service: str) -> None:
    with stack.engine(service).connect() as connection:
        role = connection.execute(
            sa.text(
                "SELECT rolsuper, rolbypassrls, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = current_user"
            )
        ).one()
        owned = connection.execute(
            sa.text(
                "SELECT count(*) FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner WHERE r.rolname = current_user"
            )
        ).scalar_one()
        with pytest.raises(sa.exc.ProgrammingError):
            connection.execute(sa.text("ALTER TABLE trusts DISABLE ROW LEVEL SECURITY"))
    assert tuple(role) == (False, False, False, False)
    assert owned == 0


def test_with_no_trust_set_the_application_role_sees_no_tenant_rows(two_trusts: PlrStack) -> None:
    engine = two_trusts.engine("matching")
    with engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(trusts)).scalar_one() == 0
    with scoped_transaction(engine, TenantScope.nobody()) as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(trusts)).scalar_one() == 0
    with scoped_transaction(engine, TenantScope.platform_wide()) as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(trusts)).scalar_one() >= 2


def test_a_trust_scope_sees_and_writes_only_its_own_rows(two_trusts: PlrStack) -> None:
    engine = two_trusts.engine("matching")
    with scoped_transaction(engine, TenantScope.trust("RLA")) as connection:
        assert connection.execute(sa.select(trusts.c.trust_ods)).scalars().all() == ["RLA"]
        changed = connection.execute(trusts.update().where(trusts.c.trust_ods == "RLB").values(name="taken")).rowcount
        assert changed == 0
        assert connection.execute(trusts.delete().where(trusts.c.trust_ods == "RLB")).rowcount == 0
    with (
        pytest.raises(sa.exc.ProgrammingError, match="row-level security"),
        scoped_transaction(engine, TenantScope.trust("RLA")) as connection,
    ):
        connection.execute(trusts.insert().values(trust_ods="RLC", name="Smuggled", status="active", version=1))
    with scoped_transaction(engine, TenantScope.platform_wide()) as connection:
        assert (
            connection.execute(sa.select(trusts.c.name).where(trusts.c.trust_ods == "RLB")).scalar_one() == "RLB Trust"
        )


def test_the_setting_is_local_to_its_transaction(two_trusts: PlrStack) -> None:
    engine = two_trusts.engine("matching")
    with engine.connect() as connection:
        with connection.begin():
            connection.execute(sa.text("SELECT set_config('plr.trust', 'RLA', true)"))
            assert connection.execute(sa.select(sa.func.count()).select_from(trusts)).scalar_one() == 1
        # same pooled connection, next transaction: the trust is gone, so no rows
        assert connection.execute(sa.select(sa.func.count()).select_from(trusts)).scalar_one() == 0


def test_even_the_owner_is_held_by_the_forced_policy(two_trusts: PlrStack) -> None:
    with two_trusts.engine("matching", "owner").connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(trusts)).scalar_one() == 0
