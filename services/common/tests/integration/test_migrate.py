"""Only `migrate` changes schema, under an advisory lock: concurrent and repeated runs are safe."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory

from services.common.db import make_engine
from services.common.give_back import read_give_back_seal
from services.common.manifest import manifest
from services.common.migrate import bootstrap_database, migrate_database
from services.common.platform_tables import give_back_key
from services.common.settings import load_settings
from services.common.topology import Management, declare_topology
from tests.support.infra import Infra, drop_stack, stack_env, wait_for

pytestmark = pytest.mark.integration
MIGRATIONS = manifest("matching").migrations
# the head of matching's revisions, read from them (a new revision must not break this test)
HEAD = ScriptDirectory(str(MIGRATIONS)).get_current_head()
QUEUES = manifest("matching").queues


def test_concurrent_and_repeated_migrations_end_at_head_without_errors(infra: Infra) -> None:
    settings = load_settings(stack_env(infra, "mig" + threading.get_ident().__format__("x")[-6:]))
    database = settings.database("matching")
    errors: list[BaseException] = []
    revisions: list[str] = []

    def migrate() -> None:
        try:
            bootstrap_database(infra.pg_admin_url, database)
            revisions.append(migrate_database(database, MIGRATIONS))
        except BaseException as error:
            errors.append(error)

    try:
        threads = [threading.Thread(target=migrate) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert not errors, errors
        assert revisions == [HEAD] * 3 and HEAD is not None
        migrate()
        assert not errors and revisions[-1] == HEAD
        engine = make_engine(database.owner_url, pool_size=1)
        with engine.connect() as connection:
            assert connection.execute(sa.text("SELECT count(*) FROM alembic_version")).scalar_one() == 1
        engine.dispose()
    finally:
        drop_stack(infra, settings)


def test_migrate_makes_the_give_back_key_once_which_the_application_role_reads_and_cannot_change(
    infra: Infra,
) -> None:
    settings = load_settings(stack_env(infra, "gbk" + threading.get_ident().__format__("x")[-6:]))
    database = settings.database("matching")
    app = make_engine(database.app_url, pool_size=1)
    try:
        bootstrap_database(infra.pg_admin_url, database)
        migrate_database(database, MIGRATIONS)
        with app.connect() as connection:
            first = read_give_back_seal(connection)
        migrate_database(database, MIGRATIONS)
        with app.connect() as connection:
            assert read_give_back_seal(connection) == first  # copies sealed before a migrate still hold
        assert len(first.key) == 32
        for change in (sa.update(give_back_key).values(key="00"), sa.delete(give_back_key)):
            with pytest.raises(sa.exc.ProgrammingError, match="permission denied"), app.begin() as connection:
                connection.execute(change)
    finally:
        app.dispose()
        drop_stack(infra, settings)


def test_topology_declaration_is_idempotent_and_sets_the_dead_letter_policy(infra: Infra) -> None:
    settings = load_settings(stack_env(infra, "topo" + threading.get_ident().__format__("x")[-6:]))
    try:
        declare_topology(settings.management_url(), settings.amqp_vhost, QUEUES)
        declare_topology(settings.management_url(), settings.amqp_vhost, QUEUES)
        management = Management(settings.management_url(), settings.amqp_vhost)
        vhost = management.request("GET", f"/vhosts/{management.v}").json()
        assert vhost["default_queue_type"] == "quorum"
        # the management API reports a new queue's effective policy once its stats are collected
        info = wait_for(
            lambda: (
                (management.queue_info(QUEUES[0].name) or {}).get("effective_policy_definition")
                and management.queue_info(QUEUES[0].name)
            ),
            timeout=15,
            message="the queue's policy",
        )
        assert info["type"] == "quorum"
        definition = info["effective_policy_definition"]
        assert definition["dead-letter-strategy"] == "at-least-once"
        assert definition["overflow"] == "reject-publish"
        assert definition["dead-letter-exchange"] == "plr.dead-letter"
        assert int(definition["delivery-limit"]) > 3
        assert management.queue_info(QUEUES[0].dead_letter_queue) is not None
        assert management.queue_info("plr.unrouted") is not None
    finally:
        drop_stack(infra, settings)
