"""`make run` says which server it cannot reach, and how to start it."""

from __future__ import annotations

import socket

from services.common.admin.local_run import check_dependencies, ensure_env_file, local_env_lines
from services.common.settings import load_settings, read_env_file
from tests.support.infra import free_port


def _env(tmp_path, **overrides: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    file = tmp_path / "plr.env"
    file.write_text("\n".join(local_env_lines()) + "\n")
    env = read_env_file(file)
    env.update(overrides)
    return env


def test_the_local_env_file_is_complete_and_valid(tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = load_settings(_env(tmp_path))
    assert settings.amqp_vhost == "/plr" and settings.admin_token


def test_an_unreachable_postgresql_is_named_with_how_to_start_it(tmp_path) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    env = _env(tmp_path, PLR_DATABASE_URL_REGISTRY=f"postgresql://x@127.0.0.1:{port}/db")
    problems = check_dependencies(env)
    assert any(f"PostgreSQL is not reachable at 127.0.0.1:{port}" in p and "pg_ctlcluster" in p for p in problems)


def test_an_unreachable_rabbitmq_is_named_with_how_to_start_it(tmp_path) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    env = _env(tmp_path, PLR_AMQP_URI=f"amqp://guest:guest@127.0.0.1:{port}/%2Fplr")
    problems = check_dependencies(env)
    assert any(f"RabbitMQ is not reachable at 127.0.0.1:{port}" in p and "rabbitmq-server" in p for p in problems)


def test_an_env_file_from_before_a_service_was_added_gets_its_settings_and_keeps_its_credentials(
    tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """A developer's .plr/plr.env is written by their first `make run`; a service added later (matching
    here) must not make the next `make run` fail on its missing database URL."""
    monkeypatch.delenv("PLR_ENV_FILE", raising=False)
    file = tmp_path / "plr.env"
    old = [line for line in local_env_lines() if "MATCHING" not in line]
    file.write_text("\n".join(old))  # and no newline at the end
    before = read_env_file(file)
    ensure_env_file(file)
    after = read_env_file(file)
    assert {k: after[k] for k in before} == before  # the same credentials and URLs
    assert after["PLR_DATABASE_URL_MATCHING"].endswith("/plr_matching")
    assert after["PLR_DATABASE_OWNER_URL_MATCHING"].endswith("/plr_matching")
    check_dependencies(after)  # read every service's database URL: a KeyError before
    load_settings(after)  # every service's settings, as plr reads them
    ensure_env_file(file)
    assert read_env_file(file) == after  # nothing added twice


def test_an_api_port_held_by_another_program_is_named_before_anything_starts(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with socket.socket() as squatter:  # another checkout's `make run`, or any program
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        env = _env(tmp_path, PLR_REGISTRY_API_LISTEN=f"127.0.0.1:{port}")

        problems = check_dependencies(env)

    assert any(
        f"cannot listen on 127.0.0.1:{port} (PLR_REGISTRY_API_LISTEN): address already in use" in p
        and "another checkout" in p
        for p in problems
    ), problems
