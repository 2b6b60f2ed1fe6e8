"""``plr backup`` and ``plr restore`` refuse what they cannot do with one ``plr:`` line, never a traceback,
and a backup that cannot start makes no directory."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from services.common.manifest import manifests
from tests.support.infra import ROOT, Infra

pytestmark = pytest.mark.integration

UNREACHABLE_DATABASE = "postgresql://postgres@127.0.0.1:1/postgres"


def plr(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(Path(sys.executable).parent / "plr"), *args],
        env={"PATH": "/usr/bin:/bin", "PLR_ENV_FILE": "/nonexistent", **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def settings_env(infra: Infra, vhost: str, database_admin_url: str) -> dict[str, str]:
    amqp = urlsplit(infra.amqp_uri)
    return {
        "PLR_AMQP_URI": urlunsplit((amqp.scheme, amqp.netloc, "/" + vhost.replace("/", "%2F"), "", "")),
        "PLR_AMQP_MANAGEMENT_URL": infra.management_url,
        "PLR_DATABASE_ADMIN_URL": database_admin_url,
        **{m.database_url_variable: f"postgresql://app@127.0.0.1:1/plr_{name}" for name, m in manifests().items()},
    }


def refused(result: subprocess.CompletedProcess[str], says: str) -> None:
    assert result.returncode == 1, result.stderr
    assert result.stderr.startswith("plr: ") and says in result.stderr, result.stderr
    assert "Traceback" not in result.stderr, result.stderr


def test_a_backup_to_a_file_or_where_no_directory_can_be_made_is_refused(infra: Infra, tmp_path: Path) -> None:
    env = settings_env(infra, "/", infra.pg_admin_url)
    file = tmp_path / "a-file"
    file.write_text("")
    refused(plr(env, "backup", "--to", str(file)), f"--to {file} is a file")
    # under a file: no directory can be made there, whoever runs it (root too)
    under = file / "backup"
    refused(plr(env, "backup", "--to", str(under)), f"nothing was backed up: cannot make {under}")


def test_a_backup_of_a_missing_vhost_or_an_unreachable_database_makes_nothing(infra: Infra, tmp_path: Path) -> None:
    to = tmp_path / "backup"
    missing = settings_env(infra, "/plr-no-such-vhost", infra.pg_admin_url)
    refused(plr(missing, "backup", "--to", str(to)), "the broker has no vhost /plr-no-such-vhost")
    unreachable = settings_env(infra, "/", UNREACHABLE_DATABASE)
    refused(plr(unreachable, "backup", "--to", str(to)), "nothing was backed up: PostgreSQL: ")
    assert not to.exists(), "a backup that could not start made its directory"


def test_a_restore_into_an_unreachable_database_restores_nothing(infra: Infra, tmp_path: Path) -> None:
    summary = {
        "format": 1,
        "started_at": "2026-01-31T10:00:00+00:00",
        "vhost": "/",
        "databases": {name: {"database": f"plr_{name}", "file": f"{name}.dump"} for name in manifests()},
    }
    (tmp_path / "backup.json").write_text(json.dumps(summary))
    env = settings_env(infra, "/", UNREACHABLE_DATABASE)
    refused(plr(env, "restore", "--from", str(tmp_path), "--yes"), "nothing was restored: PostgreSQL: ")
