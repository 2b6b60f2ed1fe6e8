"""Settings are read from the environment and a bad one stops the process with one line naming it."""

from __future__ import annotations

import json
import secrets
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from services.common.settings import SettingsError, load_settings, read_env_file

VALID = {
    "PLR_AMQP_URI": "amqp://guest:guest@127.0.0.1:5672/%2Fplr",
    "PLR_AMQP_MANAGEMENT_URL": "http://guest:guest@127.0.0.1:15672",
    **{
        f"PLR_DATABASE_URL_{s}": f"postgresql://app@127.0.0.1/plr_{s.lower()}"
        for s in ("REGISTRY", "MATCHING", "RECRUITMENT", "INTEGRATION", "PORTAL")
    },
}


def test_a_complete_environment_loads() -> None:
    settings = load_settings(VALID)
    assert settings.amqp_vhost == "/plr"
    assert settings.database("matching").owner_url == settings.database("matching").app_url


MANAGEMENT_URL = "PLR_AMQP_MANAGEMENT_URL"


@pytest.mark.parametrize("name", sorted(set(VALID) - {MANAGEMENT_URL}))
def test_a_missing_variable_is_named(name: str) -> None:
    env = {k: v for k, v in VALID.items() if k != name}
    with pytest.raises(SettingsError, match=name):
        load_settings(env)


def test_only_migrate_requires_the_broker_administrators_management_url() -> None:
    """Least privilege: the management URL holds the broker administrator's credentials. Migrate (its
    topology) stops at start without it; an api or worker, which never uses it, starts without it, and
    whatever would use it there stops naming it."""
    without = {k: v for k, v in VALID.items() if k != MANAGEMENT_URL}
    with pytest.raises(SettingsError, match=MANAGEMENT_URL):
        load_settings(without, services=("matching",), role="migrate")
    for role in ("api", None):
        settings = load_settings(without, services=("matching",), role=role)
        assert settings.amqp_management_url is None
        with pytest.raises(SettingsError, match=f"{MANAGEMENT_URL} is not set"):
            settings.management_url()
    worker = {**without, "PLR_AMQP_URI": "amqp://plr-matching:secret@127.0.0.1:5672/%2Fplr"}
    assert load_settings(worker, services=("matching",), role="worker").amqp_management_url is None
    assert load_settings(VALID).management_url() == VALID[MANAGEMENT_URL]


def test_a_plr_command_that_needs_the_management_url_says_so_without_a_traceback() -> None:
    without = {k: v for k, v in VALID.items() if k != MANAGEMENT_URL}
    result = subprocess.run(
        [sys.executable, "-m", "services.common.admin.cli", "dlq", "list"],
        env={"PATH": "/usr/bin:/bin", "PLR_ENV_FILE": "/nonexistent", **without},
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).parents[4],
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(f"plr: configuration error: {MANAGEMENT_URL} is not set"), result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PLR_AMQP_URI", "http://localhost"),
        ("PLR_DATABASE_URL_REGISTRY", "mysql://x@h/db"),
        ("PLR_AMQP_MANAGEMENT_URL", "not a url"),
        ("PLR_DB_POOL_SIZE", "lots"),
        ("PLR_DB_POOL_SIZE", "0"),
        ("PLR_REGISTRY_API_LISTEN", "no-port"),
        ("PLR_REGISTRY_API_LISTEN", "127.0.0.1:99999"),
        ("PLR_LOG_LEVEL", "LOUD"),
        ("PLR_ADMIN_TOKEN", "short"),
    ],
)
def test_a_malformed_variable_is_named(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        load_settings({**VALID, name: value})


def test_a_password_is_not_echoed_in_the_error() -> None:
    with pytest.raises(SettingsError) as error:
        load_settings({**VALID, "PLR_DATABASE_URL_MATCHING": "mysql://user:secretpw@h/db"})
    assert "secretpw" not in str(error.value)


def test_an_env_file_is_read_and_the_environment_wins(tmp_path: Path) -> None:
    file = tmp_path / "plr.env"
    file.write_text("# comment\nexport PLR_A='1'\nPLR_B=2\n")
    assert read_env_file(file) == {"PLR_A": "1", "PLR_B": "2"}
    file.write_text("oops\n")
    with pytest.raises(SettingsError, match="plr.env:1"):
        read_env_file(file)


def run_process(service: str, role: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "services.common.process", service, role],
        env={"PATH": "/usr/bin:/bin", "PLR_ENV_FILE": "/nonexistent", **env},
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).parents[4],
    )


def json_lines(text: str) -> list[dict[str, object]]:
    """Every line of ``text`` as a JSON object (a line that is not one fails the test, quoted)."""
    parsed = []
    for line in text.splitlines():
        try:
            parsed.append(json.loads(line))
        except ValueError:
            pytest.fail(f"not a JSON log line: {line!r}\n{text}")
    return parsed


@pytest.mark.parametrize("role", ["migrate", "worker"])
def test_a_process_with_a_missing_setting_exits_with_one_json_line_naming_it(role: str) -> None:
    result = run_process("registry", role, {})

    assert result.returncode == 2
    assert result.stdout == ""
    (line,) = json_lines(result.stderr)
    assert line["level"] == "error" and "PLR_AMQP_URI" in str(line["message"]), line


@pytest.mark.parametrize("role", ["api", "worker"])
def test_a_process_with_an_unknown_log_level_exits_with_one_json_line_naming_it(role: str) -> None:
    result = run_process(
        "registry", role, {**VALID, "PLR_ADMIN_TOKEN": secrets.token_urlsafe(32), "PLR_LOG_LEVEL": "LOUD"}
    )

    assert result.returncode == 2
    (line,) = json_lines(result.stderr)
    assert "PLR_LOG_LEVEL" in str(line["message"]) and "LOUD" in str(line["message"]), line


def test_an_api_whose_port_is_taken_exits_with_one_json_line_naming_the_address() -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        address = f"127.0.0.1:{squatter.getsockname()[1]}"
        env = {**VALID, "PLR_ADMIN_TOKEN": secrets.token_urlsafe(32), "PLR_REGISTRY_API_LISTEN": address}

        result = run_process("registry", "api", env)

    assert result.returncode == 1
    lines = json_lines(result.stderr)
    assert any(f"cannot listen on {address}: address already in use" in str(line.get("error")) for line in lines), lines


def test_a_worker_must_connect_as_its_own_services_broker_user() -> None:
    """Each service's worker publishes as its own broker user (ADR 0009): given another's, it stops at
    start naming the variable, instead of having every publish refused."""
    env = {**VALID, "PLR_AMQP_URI": "amqp://plr-matching:secret@127.0.0.1:5672/%2Fplr"}
    with pytest.raises(SettingsError, match="PLR_AMQP_URI connects as broker user 'plr-matching'.*'plr-registry'"):
        load_settings(env, services=("registry",), role="worker")
    assert load_settings(env, services=("matching",), role="worker").broker_users.of("matching") == "plr-matching"
    prefixed = {**env, "PLR_AMQP_URI": "amqp://t1-registry:secret@127.0.0.1/%2Fplr", "PLR_AMQP_USER_PREFIX": "t1-"}
    assert load_settings(prefixed, services=("registry",), role="worker").amqp_user_prefix == "t1-"
    with pytest.raises(SettingsError, match="PLR_AMQP_USER_PREFIX is malformed"):
        load_settings({**env, "PLR_AMQP_USER_PREFIX": "bad prefix/"})
