"""`make run` says which server it cannot reach, and how to start it."""

from __future__ import annotations

import os
import socket
from urllib.parse import urlsplit

from services.common.admin.local_run import check_dependencies, ensure_env_file, local_env_lines, process_env
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


def test_a_moved_mail_catcher_moves_the_smtp_url_that_defaults_to_it(tmp_path) -> None:  # type: ignore[no-untyped-def]
    moved = {**_env(tmp_path), "PLR_MAIL_CATCHER_LISTEN": "127.0.0.1:18025"}
    assert process_env(moved, "registry", "worker")["PLR_REGISTRY_SMTP_URL"] == "smtp://127.0.0.1:18025"
    own = {**moved, "PLR_REGISTRY_SMTP_URL": "smtp://relay.example:25"}
    assert process_env(own, "registry", "worker")["PLR_REGISTRY_SMTP_URL"] == "smtp://relay.example:25"
    assert "PLR_REGISTRY_SMTP_URL" not in process_env(_env(tmp_path), "registry", "worker")


def test_each_process_is_given_only_the_credentials_it_reads(tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = _env(tmp_path)
    assert len(env["PLR_REGISTRY_PORTAL_TOKEN"]) >= 32 and "PLR_SERVICE_TOKEN" not in env
    api = process_env(env, "registry", "api")
    assert api["PLR_ADMIN_TOKEN"] == env["PLR_ADMIN_TOKEN"]
    assert api["PLR_REGISTRY_PORTAL_TOKEN"] == env["PLR_REGISTRY_PORTAL_TOKEN"]
    for service, role in (("registry", "worker"), ("registry", "migrate"), ("matching", "worker"), ("matching", "api")):
        given = process_env(env, service, role)
        assert not {"PLR_ADMIN_TOKEN", "PLR_REGISTRY_PORTAL_TOKEN"} & set(given), (service, role)
        # each service's processes connect as its own broker user, and are given no other's
        assert given["PLR_AMQP_URI"] == env[f"PLR_AMQP_URI_{service.upper()}"] != env["PLR_AMQP_URI"]
        assert not [name for name in given if name.startswith("PLR_AMQP_URI_")], (service, role)
        assert urlsplit(given["PLR_AMQP_URI"]).username == f"plr-{service}"
    # and none reads them from the env file behind its back
    assert {process_env(env, s, r)["PLR_ENV_FILE"] for s, r in (("registry", "api"), ("matching", "worker"))} == {
        os.devnull
    }


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


def test_make_run_names_no_service_and_no_services_command() -> None:
    """What `make run` does for a service beyond starting it (the registry's demo trust) is the service's
    own demo, declared in its manifest: no string of local_run's code names a service or its command."""
    import ast
    import inspect

    from services.common.admin import local_run
    from services.common.manifest import manifests

    tree = ast.parse(inspect.getsource(local_run))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.FunctionDef | ast.ClassDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    strings = " ".join(
        node.value.lower()
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    )
    for word in (*manifests(), "onboard", "trust", "rxx"):
        assert word not in strings, f"local_run's code names {word!r}"


def test_make_run_runs_every_declared_demo_and_names_one_that_fails(monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    import threading
    from dataclasses import replace

    from services.common.admin import local_run
    from services.common.manifest import manifest

    given = []

    def demo(settings: object) -> str:
        given.append(settings)
        return "made a thing\nand another"

    def broken(settings: object) -> str:
        raise RuntimeError("the api said no")

    base = manifest("matching")
    fake = {
        "alpha": replace(base, name="alpha", demo=broken),
        "beta": replace(base, name="beta", demo=None),
        "gamma": replace(base, name="gamma", demo=demo),
    }
    monkeypatch.setattr(local_run, "manifests", lambda: fake)
    settings = object()
    local_run.run_demos(settings, threading.Event())  # type: ignore[arg-type]
    out, err = capsys.readouterr()
    assert given == [settings]
    assert out == "plr: made a thing\nplr: and another\n"
    assert err == "plr: the alpha demo failed: RuntimeError: the api said no\n"
    stopping = threading.Event()
    stopping.set()  # Ctrl-C before the demos: none runs
    local_run.run_demos(settings, stopping)  # type: ignore[arg-type]
    assert given == [settings]


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


def test_a_mail_catcher_port_held_by_another_program_is_named_before_anything_starts(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        problems = check_dependencies(_env(tmp_path, PLR_MAIL_CATCHER_LISTEN=f"127.0.0.1:{port}"))
    assert any(f"mail catcher cannot listen on 127.0.0.1:{port} (PLR_MAIL_CATCHER_LISTEN)" in p for p in problems)


def test_a_worker_is_given_the_credential_an_api_declares_for_it_and_no_other_process_is(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Matching's worker reads the registry's people with its own credential (its manifest's
    ``worker_reads``): it is given that token and the registry api's address; matching's api, the
    registry's worker and the portal's web process are not given the token."""
    env = _env(tmp_path)
    token = env["PLR_REGISTRY_MATCHING_TOKEN"]
    worker = process_env(env, "matching", "worker")
    assert worker["PLR_REGISTRY_MATCHING_TOKEN"] == token and "PLR_REGISTRY_PORTAL_TOKEN" not in worker
    assert process_env(env, "registry", "api")["PLR_REGISTRY_MATCHING_TOKEN"] == token
    for service, role in (("matching", "api"), ("matching", "migrate"), ("registry", "worker"), ("portal", "web")):
        assert "PLR_REGISTRY_MATCHING_TOKEN" not in process_env(env, service, role), (service, role)
    settings = load_settings({**worker, "PLR_ENV_FILE": "/nonexistent"}, services=("matching",), role="worker")
    assert settings.service("registry").get("MATCHING_TOKEN") == token
    assert settings.api("registry").target == env["PLR_REGISTRY_API_TARGET"]
