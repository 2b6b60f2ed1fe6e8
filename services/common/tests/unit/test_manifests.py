"""The manifests are what the platform knows of each service: every reference in them resolves, and
each process loads and requires only its own service's settings."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

from services.common.manifest import Commands, ManifestError, Ref, ServiceManifest, manifest, manifests
from services.common.settings import SettingsError, load_settings
from tests.support.infra import free_port

BROKER = {
    "PLR_AMQP_URI": "amqp://guest:guest@127.0.0.1:5672/%2Fplr",
    "PLR_AMQP_MANAGEMENT_URL": "http://guest:guest@127.0.0.1:15672",
}
MATCHING_ONLY = {**BROKER, "PLR_DATABASE_URL_MATCHING": "postgresql://app@127.0.0.1/plr_matching"}


def refs() -> list[tuple[str, Ref]]:
    return [(name, ref) for name, service in manifests().items() for ref in service.references()]


def test_a_manifests_references_are_every_ref_it_names() -> None:
    registry = manifest("registry")
    assert {ref.path for ref in registry.references()} >= {
        "services.registry.entrypoints.api:run",
        "services.registry.entrypoints.cli:register",
        "services.registry.entrypoints.demo:run",
        *(timer.work.path for timer in registry.timers if isinstance(timer.work, Ref)),
    }


@pytest.mark.parametrize(("service", "ref"), refs(), ids=lambda v: getattr(v, "path", v))
def test_every_reference_in_a_manifest_resolves_to_a_callable(service: str, ref: Ref) -> None:
    assert callable(ref.resolve()), f"{service}: {ref.path}"


def test_every_consumer_has_handlers_and_every_queue_is_its_services_own() -> None:
    for name, service in manifests().items():
        for consumer in service.consumers:
            assert consumer.queue.name.startswith(f"{name}."), consumer.queue.name
            assert consumer.handlers(), f"{name}: {consumer.queue.name} has no handlers"


def test_a_manifest_names_the_settings_of_each_of_its_processes() -> None:
    registry, matching, recruitment = manifest("registry"), manifest("matching"), manifest("recruitment")
    assert registry.roles == matching.roles == ("api", "worker", "migrate")
    assert recruitment.roles == ("worker", "migrate")
    # the broker administrator's management URL: migrate's alone (least privilege)
    assert matching.required_variables("worker") == ("PLR_AMQP_URI", "PLR_DATABASE_URL_MATCHING")
    migrate = ("PLR_AMQP_URI", "PLR_DATABASE_URL_MATCHING", "PLR_AMQP_MANAGEMENT_URL")
    assert matching.required_variables("migrate") == migrate
    assert "PLR_ADMIN_TOKEN" in registry.required_variables("api")
    # matching's api takes trust keys only: it needs no administrator's token
    assert "PLR_ADMIN_TOKEN" not in matching.required_variables("api")
    with pytest.raises(ValueError, match="recruitment has no api"):
        recruitment.required_variables("api")
    # a web application's service: its web process (no api), and the worker and migrate every service has
    portal = manifest("portal")
    assert portal.roles == ("worker", "migrate", "web") and portal.api is None
    assert portal.required_variables("web") == ("PLR_AMQP_URI", "PLR_DATABASE_URL_PORTAL")
    with pytest.raises(ValueError, match="registry has no web"):
        registry.required_variables("web")
    with pytest.raises(ManifestError, match="no service 'pharmacy'"):
        manifest("pharmacy")


def test_the_matching_worker_loads_with_matchings_settings_alone() -> None:
    settings = load_settings(MATCHING_ONLY, services=("matching",))
    assert settings.database("matching").app_url.endswith("/plr_matching")
    with pytest.raises(SettingsError, match="registry's database"):
        settings.database("registry")
    with pytest.raises(SettingsError, match="PLR_DATABASE_URL_MATCHING"):
        load_settings(BROKER, services=("matching",))
    # what ``plr`` reads (every service) does need the others
    with pytest.raises(SettingsError, match="PLR_DATABASE_URL_"):
        load_settings(MATCHING_ONLY)


def test_an_api_address_defaults_to_the_port_its_manifest_names() -> None:
    env = {**BROKER, "PLR_DATABASE_URL_REGISTRY": "postgresql://app@127.0.0.1/plr_registry"}
    address = load_settings(env, services=("registry",)).api("registry")
    port = manifest("registry").api.default_port  # type: ignore[union-attr]
    assert address.listen == address.target == f"127.0.0.1:{port}"
    assert load_settings({**env, "PLR_REGISTRY_API_TARGET": "api:1234"}, services=("registry",)).api(
        "registry"
    ).target == ("api:1234")


def plr_process(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "services.common.process", *args],
        env={"PATH": "/usr/bin:/bin", "PLR_ENV_FILE": "/nonexistent", **env},
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).parents[4],
    )


def test_a_matching_process_starts_without_any_other_services_settings() -> None:
    """Past settings validation with matching's variables alone: it stops only at the (absent) database."""
    database = f"postgresql://app@127.0.0.1:{free_port()}/plr_matching"
    result = plr_process("matching", "migrate", **BROKER, PLR_DATABASE_URL_MATCHING=database, PLR_MIGRATE_WAIT_S="1")
    assert result.returncode == 1, result.stderr
    # a database that does not answer is waited for (PLR_MIGRATE_WAIT_S), then named
    assert "matching migrate: database unreachable, retrying in 2s" in result.stderr
    assert "matching migrate: database unreachable: " in result.stderr
    assert "configuration error" not in result.stderr


def test_an_unknown_service_or_role_is_refused_naming_what_the_manifests_declare() -> None:
    unknown = plr_process("pharmacy", "worker")
    assert unknown.returncode == 2 and f"{{{'|'.join(manifests())}}}" in unknown.stderr
    no_api = plr_process("recruitment", "api")
    assert no_api.returncode == 2 and "recruitment has no api process" in no_api.stderr
    no_web = plr_process("registry", "web")
    assert no_web.returncode == 2 and "registry has no web process" in no_web.stderr


def test_services_share_a_command_group_and_plr_has_each_services_commands() -> None:
    from services.common.admin.cli import parser

    top = argparse.ArgumentParser()
    commands = Commands(top.add_subparsers(dest="command"))
    assert commands.group("trust", "x") is commands.group("trust", "y")
    args = parser().parse_args(["trust", "onboard", "--ods", "RXX", "--name", "X"])
    assert args.run.__module__ == "services.registry.entrypoints.cli"
    args = parser().parse_args(["trust", "list", "--service", "matching"])
    assert args.run.__module__ == "services.common.admin.cli"


def test_no_two_apis_default_to_one_port() -> None:
    """``make run`` starts every api and web process at its default port on one machine: a second on
    the same port fails."""
    ports: dict[int, str] = {}
    for name, service in manifests().items():
        for listener in (service.api, service.web):
            if listener is not None:
                port = listener.default_port
                assert port not in ports, f"{name} and {ports.get(port)} both default to port {port}"
                ports[port] = name
    assert len(ports) == sum(1 for m in manifests().values() for x in (m.api, m.web) if x is not None)


def test_a_demo_runs_after_the_demos_it_names_and_otherwise_in_name_order() -> None:
    from services.common.manifest import in_demo_order

    def manifest(name: str, *after: str) -> ServiceManifest:
        return ServiceManifest(name=name, migrations=Path("."), demo_after=after)

    found = {m.name: m for m in (manifest("portal", "registry"), manifest("matching"), manifest("registry"))}
    assert in_demo_order(found) == ["matching", "registry", "portal"]
    cycle = {m.name: m for m in (manifest("a", "b"), manifest("b", "a"), manifest("c", "nowhere"))}
    assert sorted(in_demo_order(cycle)) == ["a", "b", "c"]
    installed = in_demo_order(manifests())
    assert installed.index("registry") < installed.index("portal")  # the portal's demo person is the registry's
