"""Every transaction of a unit of work is scoped: the first, and each one begun after commit or rollback."""

from __future__ import annotations

import sqlalchemy as sa

from services.common.tenancy import TenantScope
from services.registry.adapters.unit_of_work import SqlUnitOfWork
from tests.support.infra import PlrStack

SCOPE = sa.text("SELECT current_setting('plr.trust', true), current_setting('plr.platform', true)")


def test_each_transaction_is_scoped_after_commit_and_rollback(stack: PlrStack) -> None:
    with SqlUnitOfWork(stack.engine("registry"), TenantScope.trust("RSC1")) as uow:
        assert tuple(uow.connection.execute(SCOPE).one()) == ("RSC1", "off")
        uow.commit()
        assert tuple(uow.connection.execute(SCOPE).one()) == ("RSC1", "off")
        uow.rollback()
        many = uow.connection.execute(sa.text("SELECT current_setting('plr.trust', true) FROM generate_series(1, 3)"))
        assert [r[0] for r in many] == ["RSC1"] * 3
