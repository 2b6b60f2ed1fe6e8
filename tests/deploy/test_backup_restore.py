"""``plr backup`` then ``plr restore`` into empty servers (a private PostgreSQL and a private RabbitMQ),
with an event in flight at backup time, followed by the smoke journey on the restored system.

The in-flight event: the matching worker is stopped before a trust is onboarded, so the events sit in
matching's queue when the backup is taken. Queued messages are not in a backup; the restore's outbox
replay publishes them again, and the restored inboxes drop what each consumer had already applied, so
every service ends with exactly what the source had, and nothing twice.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import sqlalchemy as sa

from services.common.broker_users import SERVICE_URI_VARIABLE_PREFIX
from services.common.db import make_engine
from services.common.manifest import manifests
from services.common.topology import Management
from tests.support.infra import TRUST_SERVICES, Infra, PlrStack, plr_stack, service_env, wait_for
from tests.support.private_broker import PrivateBrokerUnavailable, new_private_broker
from tests.support.private_postgres import PrivatePostgresUnavailable, new_private_postgres
from tests.support.topics import routed_count

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

# the services that keep the trust directory (the portal keeps accounts and sessions only, ADR 0010)
EXAMPLE_IMPORT = Path(__file__).resolve().parents[2] / "docs" / "examples" / "leaders-import.csv"


class System:
    """Every api and worker, on the servers ``env`` names."""

    def __init__(self, env: dict[str, str]):
        self.env = env
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, service: str, role: str) -> None:
        self.processes[f"{service}-{role}"] = subprocess.Popen(
            [str(Path(sys.executable).parent / "plr-process"), service, role],
            env=service_env({**os.environ, **self.env}, service),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def start_all(self) -> None:
        for service, manifest in manifests().items():
            for role in manifest.roles:
                if role != "migrate":
                    self.start(service, role)

    def stop(self, name: str | None = None) -> None:
        for key in [name] if name else list(self.processes):
            process = self.processes.pop(key)
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()

    def plr(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(Path(sys.executable).parent / "plr"), *args],
            env={**os.environ, **self.env},
            capture_output=True,
            text=True,
            timeout=180,
        )

    def trusts(self, service: str) -> list[str]:
        listed = self.plr("trust", "list", "--service", service, "--json")
        assert listed.returncode == 0, listed.stderr
        return [row["ods"] for row in json.loads(listed.stdout)]

    def counts(self) -> dict[str, tuple[int, int]]:
        """For every consumer: (events it applied, published events its bindings route to it)."""
        published: dict[str, int] = {}
        applied: dict[str, int] = {}
        for manifest in manifests().values():
            engine = make_engine(self.env[manifest.database_owner_url_variable], pool_size=1)
            try:
                with engine.connect() as connection:
                    for key, count in connection.execute(
                        sa.text("SELECT routing_key, count(*) FROM outbox WHERE published_at IS NOT NULL GROUP BY 1")
                    ):
                        published[key] = published.get(key, 0) + count
                    for consumer in manifest.consumers:
                        applied[consumer.inbox_name] = connection.execute(
                            sa.text("SELECT count(*) FROM inbox WHERE consumer = :c"), {"c": consumer.inbox_name}
                        ).scalar_one()
            finally:
                engine.dispose()
        return {
            consumer.inbox_name: (applied[consumer.inbox_name], routed_count(published, consumer.queue.bindings))
            for manifest in manifests().values()
            for consumer in manifest.consumers
        }

    def all_delivered(self) -> bool:
        return all(got == wanted for got, wanted in self.counts().values())

    def healthy(self) -> bool:
        return self.plr("health").returncode == 0


def table_counts(admin_url: str, env: dict[str, str]) -> dict[str, int]:
    """Rows of every table of every service's database, counted as the superuser (past row security)."""
    counts = {}
    for service, manifest in manifests().items():
        dbname = urlsplit(env[manifest.database_url_variable]).path.lstrip("/")
        engine = make_engine(urlunsplit(urlsplit(admin_url)._replace(path="/" + dbname)), pool_size=1)
        try:
            with engine.connect() as connection:
                tables = connection.execute(sa.text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))
                for (table,) in tables.all():
                    counts[f"{service}.{table}"] = connection.execute(
                        sa.text(f'SELECT count(*) FROM "{table}"')
                    ).scalar_one()
        finally:
            engine.dispose()
    return counts


def moved(url: str, port: int) -> str:
    parts = urlsplit(url)
    user = parts.netloc.rsplit("@", 1)[0] + "@" if "@" in parts.netloc else ""
    return urlunsplit((parts.scheme, f"{user}127.0.0.1:{port}", parts.path, parts.query, ""))


@pytest.fixture
def source(infra: Infra) -> Iterator[PlrStack]:
    with plr_stack(infra) as stack:  # its own mail catcher takes the import's registrations' email
        yield stack


def test_a_backup_restored_into_empty_servers_has_every_event_and_passes_the_smoke_journey(
    source: PlrStack, tmp_path: Path
) -> None:
    try:
        postgres, broker = new_private_postgres(), new_private_broker()
    except (PrivatePostgresUnavailable, PrivateBrokerUnavailable) as error:
        pytest.fail(f"no private servers for the restore: {error}")
    old = System(source.env)
    old.start_all()
    try:
        wait_for(old.healthy, timeout=90, interval=0.5, message="the source system healthy")
        assert old.plr("trust", "onboard", "--ods", "RBA", "--name", "Backup Trust A").returncode == 0
        imported = old.plr(
            "leaders", "import", str(EXAMPLE_IMPORT), "--trust", "RBA", "--errors-to", str(tmp_path / "e.csv")
        )
        assert imported.returncode == 0, imported.stderr
        wait_for(old.all_delivered, timeout=60, interval=0.5, message="every event delivered (source)")
        # in flight at backup time: matching's worker is down, the trust's events wait in its queue
        old.stop("matching-worker")
        assert old.plr("trust", "onboard", "--ods", "RBB", "--name", "Backup Trust B").returncode == 0
        for service in ("recruitment", "integration"):
            wait_for(lambda service=service: "RBB" in old.trusts(service), timeout=60, message=f"RBB at {service}")
        backed_up = old.plr("backup", "--to", str(tmp_path / "backup"))
        assert backed_up.returncode == 0, backed_up.stderr
    finally:
        old.stop()
    assert "RBB" not in old.trusts("matching"), "the in-flight events were meant to be in the queue"
    expected = {service: old.trusts(service) for service in TRUST_SERVICES}
    backed_up_rows = table_counts(source.infra.pg_admin_url, source.env)
    assert backed_up_rows["registry.leaders"] == 3, backed_up_rows
    files = sorted(p.name for p in (tmp_path / "backup").iterdir())
    assert files == sorted(["backup.json", "broker.json", *(f"{s}.dump" for s in manifests())])
    assert oct((tmp_path / "backup").stat().st_mode & 0o777) == "0o700"

    postgres.start()
    try:
        broker.start()
        env = dict(source.env)
        for name, value in source.env.items():
            if name.startswith("PLR_DATABASE_"):
                env[name] = moved(value, postgres.port)
            # the administrator's connection and each service's own broker user's (ADR 0009)
            if name.startswith(("PLR_AMQP_URI", SERVICE_URI_VARIABLE_PREFIX)):
                env[name] = moved(value, broker.amqp_port)
        env["PLR_AMQP_MANAGEMENT_URL"] = broker.management_url
        new = System(env)
        # a restore refuses to write over a database that is not empty: the source's
        refused = System(source.env).plr("restore", "--from", str(tmp_path / "backup"), "--yes")
        assert refused.returncode == 1 and "already has tables" in refused.stderr, refused.stderr
        restored = new.plr("restore", "--from", str(tmp_path / "backup"), "--yes")
        assert restored.returncode == 0, restored.stderr
        # every table of every service as it was backed up, row for row
        assert table_counts(postgres.admin_url, env) == backed_up_rows
        new.start_all()
        try:
            wait_for(new.healthy, timeout=90, interval=0.5, message="the restored system healthy")
            # the replay brought the in-flight events to matching; the others dropped them as duplicates
            wait_for(lambda: "RBB" in new.trusts("matching"), timeout=60, message="RBB at matching after the replay")
            wait_for(new.all_delivered, timeout=60, interval=0.5, message="every event delivered (restored)")
            assert {service: new.trusts(service) for service in TRUST_SERVICES} == {
                service: sorted({*expected[service], "RBB"}) for service in TRUST_SERVICES
            }
            # the smoke journey on the restored servers
            assert new.plr("trust", "onboard", "--ods", "RBC", "--name", "After Restore").returncode == 0
            for service in TRUST_SERVICES:
                wait_for(lambda service=service: "RBC" in new.trusts(service), timeout=60, message=f"RBC at {service}")
            wait_for(new.all_delivered, timeout=60, interval=0.5, message="every event delivered after the journey")
        finally:
            new.stop()
    finally:
        broker.remove()
        postgres.remove()


def test_a_restore_keeps_the_broker_administrators_current_password(source: PlrStack, tmp_path: Path) -> None:
    """A backup holds the password hashes of every user on plr's vhost, the administrator's among them
    (the management URL's user, whom migrate gives the vhost). Restoring it must not put back the
    administrator's password of backup time: after a rotation (docs/operations.md, "Rotate keys") or on a
    new machine with a fresh `.env`, that would lock the administrator out halfway through the restore
    (its next management call refused), leaving one database restored and a rerun refused."""
    backed_up = System(source.env).plr("backup", "--to", str(tmp_path / "backup"))
    assert backed_up.returncode == 0, backed_up.stderr
    try:
        postgres, broker = new_private_postgres(), new_private_broker()
    except (PrivatePostgresUnavailable, PrivateBrokerUnavailable) as error:
        pytest.fail(f"no private servers for the restore: {error}")
    postgres.start()
    try:
        broker.start()
        # this installation's administrator password is not the one of backup time
        rotated = "rotated-administrator-password"
        admin = urlsplit(broker.management_url).username or "guest"
        Management(broker.management_url, "/").request(
            "PUT", f"/users/{admin}", {"password": rotated, "tags": "administrator,impersonator"}
        )
        management_url = broker.management_url.replace(f"{admin}:guest@", f"{admin}:{rotated}@")
        env = {
            name: moved(value, postgres.port) if name.startswith("PLR_DATABASE_") else value
            for name, value in source.env.items()
        }
        env["PLR_AMQP_MANAGEMENT_URL"] = management_url
        restored = System(env).plr("restore", "--from", str(tmp_path / "backup"), "--yes")
        assert restored.returncode == 0, restored.stderr[-2000:]
        answer = Management(management_url, "/").request("GET", "/overview", ok=(401,))
        assert answer.status_code == 200, "the restore put back the administrator's old broker password"
    finally:
        broker.remove()
        postgres.remove()
