"""docker-compose.yml, deploy/Dockerfile and .dockerignore, checked offline (no Docker engine here).

The Compose Specification check uses the PyPI package ``compose-spec`` (a dev dependency). It ships
no JSON Schema file: it is a binding of the Rust crate ``compose_spec``, whose parser follows the
specification strictly (unknown keys, wrong types, bad durations and unknown ``depends_on``
conditions are errors), plus pydantic models generated from the specification's schema. Both are
used. What they cannot know is checked here: that ``depends_on`` names services that exist, that
the health checks suit Podman, that the file agrees with the service manifests (every service's
migrate and worker, its api where it has one, on its port), that every plr process gets the settings
its manifest requires, that the start order is the one ``make run`` uses, and
that the Dockerfile builds the layout the code expects (``PROJECT_ROOT/proto/events``).

Values are resolved as compose resolves them (``${VAR}``, ``${VAR:-default}``, ``${VAR:?error}``,
``$$``) against placeholder credentials, never against this machine's environment or a ``.env``.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from services.common.manifest import ROLES, manifests
from services.common.settings import load_settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"

# Every credential the compose file takes from the environment or .env. Each placeholder is
# distinct, so that a URL carrying the wrong password is told apart from one carrying the right one.
CREDENTIALS = {
    "PLR_ADMIN_TOKEN": "placeholder-admin-token-0123456789abcdef",
    "PLR_REGISTRY_PORTAL_TOKEN": "placeholder-portal-token-0123456789abcdef",
    "PLR_REGISTRY_MATCHING_TOKEN": "placeholder-matching-token-0123456789abcdef",
    "PLR_REGISTRY_CONFIRM_LINK_KEY": "placeholder-confirm-link-key-0123456789abcdef",
    "PLR_POSTGRES_PASSWORD": "placeholder-postgres-superuser",
    "PLR_RABBITMQ_PASSWORD": "placeholder-rabbitmq",
    "PLR_RABBITMQ_REGISTRY_PASSWORD": "placeholder-rabbitmq-registry",
    "PLR_RABBITMQ_MATCHING_PASSWORD": "placeholder-rabbitmq-matching",
    "PLR_RABBITMQ_RECRUITMENT_PASSWORD": "placeholder-rabbitmq-recruitment",
    "PLR_RABBITMQ_INTEGRATION_PASSWORD": "placeholder-rabbitmq-integration",
    "PLR_RABBITMQ_PORTAL_PASSWORD": "placeholder-rabbitmq-portal",
    "PLR_DB_OWNER_PASSWORD": "placeholder-db-owner",
    "PLR_DB_APP_PASSWORD": "placeholder-db-app",
}

# docker-compose 1.29.2 (the compose that runs under Podman here) rejects these newer keys
KEYS_1_29_REJECTS = {"top level": {"name"}, "service": {"develop"}, "healthcheck": {"start_interval"}}

# No image can be pulled on these machines: the stand-ins of ../shared/tools/compose-e2e provide
# these names, and the plr image is built from deploy/Dockerfile.
KNOWN_BASE_IMAGES = {"postgres:15", "rabbitmq:3", "python:3.11-slim"}
PLR_IMAGE_DOCKERFILE = "deploy/Dockerfile"


# ---- compose's variable interpolation ----


class MissingVariable(Exception):
    pass


_REFERENCE = re.compile(r"\$(?:(?P<escaped>\$)|\{(?P<braced>[^}]*)\}|(?P<named>[A-Za-z_][A-Za-z0-9_]*))")
_BRACED = re.compile(r"(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>.*))?", re.S)


def interpolate_text(text: str, env: Mapping[str, str]) -> str:
    def substitute(match: re.Match[str]) -> str:
        if match["escaped"]:
            return "$"
        if match["named"]:
            return env.get(match["named"], "")
        braced = _BRACED.fullmatch(match["braced"])
        if braced is None or "${" in (braced["arg"] or ""):
            raise ValueError(f"interpolation this test does not understand: {match[0]!r}")
        name, op, arg = braced["name"], braced["op"], braced["arg"]
        value = env.get(name)
        if op is None:
            return value or ""
        unset = value is None or (op.startswith(":") and value == "")
        if op.endswith("-"):
            return arg if unset else value  # type: ignore[return-value]
        if unset:
            raise MissingVariable(f"required variable {name} is missing a value: {arg}")
        return value  # type: ignore[return-value]

    return _REFERENCE.sub(substitute, text)


def interpolate(node: Any, env: Mapping[str, str]) -> Any:
    if isinstance(node, str):
        return interpolate_text(node, env)
    if isinstance(node, list):
        return [interpolate(item, env) for item in node]
    if isinstance(node, dict):
        return {key: interpolate(value, env) for key, value in node.items()}
    return node


def load_compose(env: Mapping[str, str] = CREDENTIALS, text: str | None = None) -> dict[str, Any]:
    """The file as compose sees it: YAML anchors and merge keys resolved, variables interpolated."""
    raw = yaml.safe_load(COMPOSE_FILE.read_text() if text is None else text)
    resolved: dict[str, Any] = interpolate(raw, env)
    return resolved


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return load_compose()


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = compose["services"]
    return found


# ---- reading services ----


def environment_of(service: Mapping[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {str(key): "" if value is None else str(value) for key, value in env.items()}


def depends_on(service: Mapping[str, Any]) -> dict[str, str]:
    """Each dependency and its condition (the short list form means service_started)."""
    deps = service.get("depends_on") or {}
    if isinstance(deps, list):
        return {name: "service_started" for name in deps}
    return {name: (spec or {}).get("condition", "service_started") for name, spec in deps.items()}


def command_of(service: Mapping[str, Any]) -> list[str]:
    command = service.get("command") or []
    return shlex.split(command) if isinstance(command, str) else [str(part) for part in command]


def is_plr_image(service: Mapping[str, Any]) -> bool:
    build = service.get("build")
    dockerfile = build.get("dockerfile") if isinstance(build, dict) else None
    return dockerfile == PLR_IMAGE_DOCKERFILE


def plr_processes(services: Mapping[str, dict[str, Any]]) -> dict[str, tuple[str, str]]:
    """Compose service name -> (plr service, role) for every service that runs ``plr-process`` (the
    image's entrypoint; the administrator's tool, ``plr-admin``, overrides it with ``plr``)."""
    return {
        name: tuple(command_of(svc))  # type: ignore[misc]
        for name, svc in services.items()
        if is_plr_image(svc) and "entrypoint" not in svc
    }


def shell_test(service: Mapping[str, Any]) -> str:
    test = (service.get("healthcheck") or {}).get("test")
    assert isinstance(test, list) and len(test) == 2 and test[0] == "CMD-SHELL", (
        f"health check must be [CMD-SHELL, '...'] (Podman 4.3 splits CMD arguments on spaces), got {test!r}"
    )
    return str(test[1])


# ---- the Compose Specification ----


def test_compose_file_follows_the_compose_specification(compose: dict[str, Any]) -> None:
    from compose_spec import PyCompose

    parsed = PyCompose.from_yaml(yaml.safe_dump(compose, sort_keys=False))  # raises ValueError, naming the key
    parsed.validate()
    parsed.to_spec()  # and the pydantic models generated from the specification's schema
    assert sorted(parsed.service_names()) == sorted(compose["services"])


@pytest.mark.parametrize(
    "breakage",
    [
        ("interval: 5s", "interval: 5 parsecs"),
        ("condition: service_completed_successfully", "condition: service_done"),
        ("    restart: unless-stopped\n", "    restart: unless-stopped\n    restarts: 3\n"),
    ],
)
def test_the_specification_check_catches_what_it_should(breakage: tuple[str, str]) -> None:
    """The check above is not vacuous: the same file, broken in one place, is refused."""
    from compose_spec import PyCompose

    old, new = breakage
    text = COMPOSE_FILE.read_text()
    assert old in text
    broken = load_compose(text=text.replace(old, new, 1))
    with pytest.raises(ValueError):
        PyCompose.from_yaml(yaml.safe_dump(broken, sort_keys=False)).validate()


def test_no_key_that_docker_compose_1_29_rejects(compose: dict[str, Any]) -> None:
    assert not KEYS_1_29_REJECTS["top level"] & set(compose)
    for name, service in compose["services"].items():
        assert not KEYS_1_29_REJECTS["service"] & set(service), name
        assert not KEYS_1_29_REJECTS["healthcheck"] & set(service.get("healthcheck") or {}), name


# ---- what the specification does not check ----


def test_every_depends_on_target_exists(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        missing = set(depends_on(service)) - set(services)
        assert not missing, f"{name} depends on undefined service(s) {sorted(missing)}"


def test_every_image_can_be_had_here(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        if is_plr_image(service):
            assert (ROOT / service["build"].get("context", ".") / service["build"]["dockerfile"]).is_file()
        else:
            assert service.get("image") in KNOWN_BASE_IMAGES, f"{name}: image {service.get('image')!r}"


def test_every_bind_mount_source_exists(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        for volume in service.get("volumes") or []:
            source = volume.split(":", 1)[0] if isinstance(volume, str) else volume.get("source", "")
            if source.startswith((".", "/")):
                assert (ROOT / source).exists(), f"{name}: bind mount source {source} does not exist"


def test_every_long_running_service_has_a_cmd_shell_health_check(services: dict[str, dict[str, Any]]) -> None:
    processes = plr_processes(services)
    long_running = [
        name
        for name, service in services.items()
        if processes.get(name, ("", ""))[1] != "migrate" and "admin" not in service.get("profiles", [])
    ]
    assert {"postgres", "rabbitmq", "registry-api"} <= set(long_running)
    for name in long_running:
        command = shell_test(services[name])
        assert command.strip(), name
        assert not (services[name]["healthcheck"].get("disable")), name


def test_every_plr_process_is_checked_by_the_one_health_check_naming_itself(
    services: dict[str, dict[str, Any]],
) -> None:
    """services/common/healthcheck.py checks any service's api (on its own port) or worker (its own
    heartbeat): each container names its own service and role, not a neighbour's."""
    for name, (service, role) in plr_processes(services).items():
        if role == "migrate":
            continue
        command = shlex.split(shell_test(services[name]))
        assert command == ["python", "-m", "services.common.healthcheck", service, role], name


def test_every_service_and_role_is_deployed(services: dict[str, dict[str, Any]]) -> None:
    """What ``make run`` starts, as the manifests declare it: each service's migrate and worker, and
    an api where it has one; a service added without its compose services fails here, naming them."""
    deployed = set(plr_processes(services).values())
    expected = {(name, role) for name, manifest in manifests().items() for role in manifest.roles}
    assert not expected - deployed, f"not in docker-compose.yml: {sorted(expected - deployed)}"
    assert not deployed - expected, f"no manifest declares: {sorted(deployed - expected)}"
    for name, (service, role) in plr_processes(services).items():
        assert name == f"{service}-{role}" and role in ROLES, name


def test_every_api_listens_on_its_manifests_port_and_is_published_there(services: dict[str, dict[str, Any]]) -> None:
    for service, manifest in manifests().items():
        if manifest.api is None:
            continue
        assert f"{service}-api" in services, f"no {service}-api in docker-compose.yml"
        env = environment_of(services[f"{service}-api"])
        assert manifest.api_listen_variable in env, (
            f"{service}-api: set {manifest.api_listen_variable} (0.0.0.0:{manifest.api.default_port}) in x-plr-env"
        )
        host, _, port = env[manifest.api_listen_variable].rpartition(":")
        assert int(port) == manifest.api.default_port, f"{service}-api listens on {port}"
        # listening on 127.0.0.1 inside a container would be unreachable from every other container
        assert host in ("0.0.0.0", "[::]"), f"{service}-api listens on {host} only"
        assert any(str(p).endswith(f":{port}") for p in services[f"{service}-api"].get("ports", [])), service


def test_every_web_process_listens_on_its_manifests_port_and_is_published_there(
    services: dict[str, dict[str, Any]],
) -> None:
    webs = {service: manifest for service, manifest in manifests().items() if manifest.web is not None}
    assert webs
    for service, manifest in webs.items():
        assert manifest.web is not None
        env = environment_of(services[f"{service}-web"])
        assert env.get(manifest.web_listen_variable) == f"0.0.0.0:{manifest.web.default_port}", service
        published = f"127.0.0.1:{manifest.web.default_port}:{manifest.web.default_port}"
        assert published in services[f"{service}-web"].get("ports", []), service


def test_migrate_waits_for_healthy_servers(services: dict[str, dict[str, Any]]) -> None:
    for name, (_, role) in plr_processes(services).items():
        if role == "migrate":
            deps = depends_on(services[name])
            assert deps.get("postgres") == "service_healthy", name
            assert deps.get("rabbitmq") == "service_healthy", name
            assert services[name].get("restart", "no") == "no", f"{name} runs once"


def test_api_and_workers_wait_for_every_migrate_to_succeed(services: dict[str, dict[str, Any]]) -> None:
    """Like ``make run``: every queue is declared (by its consumer's migrate) before anything publishes."""
    processes = plr_processes(services)
    migrates = {name for name, (_, role) in processes.items() if role == "migrate"}
    for name, (service, role) in processes.items():
        if role == "migrate":
            continue
        deps = depends_on(services[name])
        assert f"{service}-migrate" in migrates, f"{name} has no migrate of its own"
        for migrate in migrates:
            assert deps.get(migrate) == "service_completed_successfully", f"{name} does not wait for {migrate}"
        assert deps.get("postgres") == "service_healthy", name
        assert deps.get("rabbitmq") == "service_healthy", name


# ---- settings: every plr process starts with a valid configuration ----


def test_every_plr_process_gets_the_settings_it_requires(services: dict[str, dict[str, Any]]) -> None:
    for name, (service, role) in plr_processes(services).items():
        env = environment_of(services[name])
        manifest = manifests()[service]
        missing = set(manifest.required_variables(role)) - set(env)
        assert not missing, f"{name} lacks {sorted(missing)}, which its manifest requires"
        # what plr-process itself loads for the role, and what migrate needs here to bootstrap
        require: tuple[str, ...] = ("PLR_DATABASE_ADMIN_URL",) if role == "migrate" else ()
        if role == "api" and manifest.api is not None:
            require = manifest.api.requires
        # SettingsError names a missing or malformed one
        settings = load_settings(env, services=(service,), require=require, role=role)
        assert settings.amqp_vhost == "/plr", name
        if role == "migrate":
            database = settings.database(service)
            owner, app = urlsplit(database.owner_url), urlsplit(database.app_url)
            # an owner defaulting to the app URL would make the application role own its tables,
            # and owners bypass row-level security
            assert owner.username != app.username, f"{name}: PLR_DATABASE_OWNER_URL_{service.upper()} not set"
            assert (owner.hostname, owner.path) == (app.hostname, app.path), name
        else:
            assert not any(key.startswith(("PLR_DATABASE_OWNER_URL_", "PLR_DATABASE_ADMIN_URL")) for key in env), (
                f"{name} gets a schema owner's or the superuser's URL; only migrate needs them"
            )
        if role != "api":
            assert "PLR_ADMIN_TOKEN" not in env, f"{name} gets the administrator's token; only the api checks it"


def test_each_credential_goes_only_to_the_processes_that_read_it(services: dict[str, dict[str, Any]]) -> None:
    """An internal caller's token (a service's secret setting) reaches only the processes whose role reads
    it; the old all-powerful service token reaches none."""
    secret = {m.setting_variable(s) for m in manifests().values() for s in m.settings if s.secret}
    assert "PLR_REGISTRY_PORTAL_TOKEN" in secret
    for name, (service, role) in plr_processes(services).items():
        env = environment_of(services[name])
        manifest = manifests()[service]
        reads = manifest.secret_variables(role)
        assert not (secret & set(env)) - reads, (
            f"{name} gets {sorted((secret & set(env)) - reads)}, which it never reads"
        )
        assert "PLR_SERVICE_TOKEN" not in env, name


def test_only_migrate_and_the_api_plr_runs_in_get_the_broker_administrators_management_url(
    services: dict[str, dict[str, Any]],
) -> None:
    """Least privilege: the management URL carries the broker administrator's password (every vhost,
    every user). Migrate declares its topology with it and `plr` runs in the api given the administrator's
    token; no worker and no other api uses it, so none is given it."""
    for name, (_, role) in plr_processes(services).items():
        env = environment_of(services[name])
        uses_it = role == "migrate" or (role == "api" and "PLR_ADMIN_TOKEN" in env)
        assert ("PLR_AMQP_MANAGEMENT_URL" in env) == uses_it, (
            f"{name} {'lacks' if uses_it else 'gets'} the broker administrator's management URL"
        )


def test_urls_point_at_the_servers_with_their_credentials(services: dict[str, dict[str, Any]]) -> None:
    postgres = environment_of(services["postgres"])
    rabbitmq = environment_of(services["rabbitmq"])
    administrator = (rabbitmq["RABBITMQ_DEFAULT_USER"], rabbitmq["RABBITMQ_DEFAULT_PASS"])
    for name, (service, role) in plr_processes(services).items():
        env = environment_of(services[name])
        for key in ("PLR_AMQP_URI", "PLR_AMQP_MANAGEMENT_URL"):
            if key in env:
                assert urlsplit(env[key]).hostname == "rabbitmq", f"{name} {key}"
        # the management API is the administrator's (migrate declares, `plr` reads); each process connects
        # as its service's own broker user (ADR 0009), but for the api `plr` runs in, the administrator's
        if "PLR_AMQP_MANAGEMENT_URL" in env:
            management = urlsplit(env["PLR_AMQP_MANAGEMENT_URL"])
            assert (management.username, management.password) == administrator, f"{name}: not the administrator"
        own = (f"plr-{service}", CREDENTIALS[f"PLR_RABBITMQ_{service.upper()}_PASSWORD"])
        connection = urlsplit(env["PLR_AMQP_URI"])
        expected = administrator if "PLR_ADMIN_TOKEN" in env else own
        assert (connection.username, connection.password) == expected, f"{name} PLR_AMQP_URI: {connection.username}"
        for key, value in env.items():
            if key.startswith("PLR_DATABASE_"):
                url = urlsplit(value)
                assert url.hostname == "postgres" and url.port in (None, 5432), f"{name} {key}"
                assert url.password, f"{name} {key} has no password (the server requires one over TCP)"
        if role == "migrate":
            admin = urlsplit(env["PLR_DATABASE_ADMIN_URL"])
            assert admin.username == postgres.get("POSTGRES_USER", "postgres"), name
            assert admin.password == postgres["POSTGRES_PASSWORD"], name
        for api_service, manifest in manifests().items():
            if manifest.api is None or manifest.api_target_variable not in env:
                continue
            # a client finds each api at that api's compose service, on the port it listens on
            target_host, _, target_port = env[manifest.api_target_variable].rpartition(":")
            assert plr_processes(services).get(target_host) == (api_service, "api"), f"{name}: {target_host}"
            assert target_port == str(manifest.api.default_port), name


def test_plr_run_in_an_api_container_finds_every_web_application(services: dict[str, dict[str, Any]]) -> None:
    """``plr health`` in registry-api asks each web application at its compose service: by default it
    would ask 127.0.0.1 (its own container) and report a running portal as failed."""
    env = environment_of(services["registry-api"])
    for service, manifest in manifests().items():
        if manifest.web is not None:
            host, _, port = env.get(manifest.web_target_variable, "").rpartition(":")
            assert host == f"{service}-web" and port == str(manifest.web.default_port), (
                f"set {manifest.web_target_variable} ({service}-web:{manifest.web.default_port}) in x-plr-env"
            )


def test_plr_run_in_an_api_container_finds_every_api(services: dict[str, dict[str, Any]]) -> None:
    """``docker compose exec registry-api plr health`` asks every service's api: without its target, plr
    would ask 127.0.0.1 (the container itself) and report a running api as failed."""
    for name, (_, role) in plr_processes(services).items():
        if role != "api":
            continue
        env = environment_of(services[name])
        for service, manifest in manifests().items():
            if manifest.api is not None:
                assert manifest.api_target_variable in env, (
                    f"{name}: set {manifest.api_target_variable} ({service}-api:{manifest.api.default_port}) "
                    "in x-plr-env"
                )


@pytest.mark.parametrize("variable", sorted(CREDENTIALS))
def test_a_missing_credential_stops_compose_naming_it(variable: str) -> None:
    env = {k: v for k, v in CREDENTIALS.items() if k != variable}
    with pytest.raises(MissingVariable, match=variable):
        load_compose(env)
    with pytest.raises(MissingVariable, match=variable):
        load_compose({**env, variable: ""})  # `:?` also refuses an empty value


def test_no_credential_is_written_in_the_file(services: dict[str, dict[str, Any]]) -> None:
    """Every password and token in the resolved file is one of the placeholders, so came from ``${...}``."""
    placeholders = set(CREDENTIALS.values())
    for name, service in services.items():
        for key, value in environment_of(service).items():
            if re.search(r"PASS|TOKEN|SECRET", key):
                assert value in placeholders, f"{name} {key} is written in the file"
            if "://" in value and urlsplit(value).password is not None:
                assert urlsplit(value).password in placeholders, f"{name} {key} carries a literal password"


def test_rabbitmq_has_the_management_plugin(services: dict[str, dict[str, Any]]) -> None:
    mounts = {v.split(":")[1]: v.split(":")[0] for v in services["rabbitmq"]["volumes"] if isinstance(v, str)}
    source = mounts.get("/etc/rabbitmq/enabled_plugins")
    assert source, "rabbitmq:3 has no management plugin unless enabled_plugins says so"
    assert "rabbitmq_management" in (ROOT / source).read_text()
    assert re.fullmatch(r"\[[a-z_,\s]*\]\.\s*", (ROOT / source).read_text()), "an Erlang term: [plugin, ...]."


# ---- deploy/Dockerfile ----


def dockerfile_stages() -> list[list[tuple[str, str]]]:
    """The instructions of each stage, as (INSTRUCTION, arguments), continuation lines joined."""
    stages: list[list[tuple[str, str]]] = []
    pending = ""
    for line in DOCKERFILE.read_text().splitlines():
        if line.lstrip().startswith("#") or (not pending and not line.strip()):
            continue  # comments, also those inside a continued instruction, are dropped
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1]  # Docker removes the escape and the newline, nothing more
            continue
        instruction, _, arguments = (pending + line).strip().partition(" ")
        pending = ""
        if instruction.upper() == "FROM":
            stages.append([])
        assert stages, "the Dockerfile must begin with FROM"
        stages[-1].append((instruction.upper(), arguments.strip()))
    return stages


def copy_sources_and_destination(arguments: str) -> tuple[dict[str, str], list[str], str]:
    words = json.loads(arguments) if arguments.startswith("[") else shlex.split(arguments)
    flags = dict(w[2:].split("=", 1) for w in words if w.startswith("--"))
    paths = [w for w in words if not w.startswith("--")]
    return flags, paths[:-1], paths[-1]


def test_dockerfile_is_multi_stage_on_the_known_base() -> None:
    stages = dockerfile_stages()
    assert len(stages) >= 2, "a builder stage and a runtime stage"
    for stage in stages:
        assert stage[0][1].split()[0] in KNOWN_BASE_IMAGES, stage[0]
    names = [stage[0][1].split()[2] for stage in stages[:-1] if len(stage[0][1].split()) == 3]
    final_copies = [copy_sources_and_destination(a)[0] for i, a in stages[-1] if i == "COPY"]
    assert any(flags.get("from") in names for flags in final_copies), "the final stage copies from a builder"


def test_final_stage_runs_as_a_non_root_user_without_build_tools() -> None:
    final = dockerfile_stages()[-1]
    users = [arguments for instruction, arguments in final if instruction == "USER"]
    assert users, "the final stage must set USER"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0"), users[-1]
    for instruction, arguments in final:
        if instruction != "RUN":
            continue
        # installing belongs to the builder: the final stage gets no compiler and no pip run; apt only
        # for the runtime clients plr itself calls (RUNTIME_PACKAGES), without recommends or package lists
        assert not re.search(r"\bpip\s+install\b|\bgcc\b|build-essential", arguments), arguments
        installs = re.findall(r"\bapt(?:-get)?\s+install\s+([^&]*)", arguments)
        for words in installs:
            packages = {w for w in words.split() if not w.startswith("-")}
            assert packages <= RUNTIME_PACKAGES, f"{packages - RUNTIME_PACKAGES} in the runtime image"
            assert "--no-install-recommends" in words, arguments
        if installs:
            assert "rm -rf /var/lib/apt/lists/*" in arguments, "the package lists stay in the image"


# what the runtime image installs besides Python: pg_dump and pg_restore for `plr backup` / `plr restore`
RUNTIME_PACKAGES = {"postgresql-client"}


def test_entrypoint_is_plr_process() -> None:
    final = dict(dockerfile_stages()[-1])
    assert json.loads(final["ENTRYPOINT"]) == ["plr-process"]  # exec form: plr-process gets SIGTERM


def test_the_image_layout_puts_proto_events_at_project_root() -> None:
    """services/common/settings.py finds PROJECT_ROOT three levels up and reads PROJECT_ROOT/proto/events."""
    final = dockerfile_stages()[-1]
    workdir = PurePosixPath("/")
    pythonpath: list[str] = []
    copied: dict[str, PurePosixPath] = {}
    for instruction, arguments in final:
        if instruction == "WORKDIR":
            workdir = workdir / arguments
        elif instruction == "ENV":
            found = re.search(r"\bPYTHONPATH=(\S+)", arguments)
            pythonpath = found.group(1).split(":") if found else pythonpath
        elif instruction == "COPY":
            flags, sources, destination = copy_sources_and_destination(arguments)
            if "from" not in flags:
                for source in sources:
                    copied[source.rstrip("/")] = workdir / destination
    assert "services" in copied and "proto/events" in copied, copied
    # `COPY services ./services`; a COPY into /app itself would spill the packages into /app
    assert copied["services"].name == "services", copied["services"]
    project_root = copied["services"].parent
    assert str(project_root) in pythonpath, "the copied services/ must come first on PYTHONPATH"
    events = copied["proto/events"]
    assert events == project_root / "proto" / "events", events


def image_smoke_check() -> str:
    """The Python code of the final stage's smoke test (``python -c "..."``)."""
    for instruction, arguments in dockerfile_stages()[-1]:
        words = shlex.split(arguments) if instruction == "RUN" else []
        for at in range(len(words) - 2):
            if words[at : at + 2] == ["python", "-c"]:
                return words[at + 2]
    raise AssertionError("the final stage runs no `python -c` smoke test")


def test_the_images_smoke_test_imports_every_services_code_and_names_none() -> None:
    """Run here with this checkout as the image's /app: every manifest's code and every generated module
    import, found through the manifests and the generated package, so a new service needs no edit."""
    code = image_smoke_check()
    for service in manifests():
        assert not re.search(rf"\b{service}\b", code), f"the Dockerfile's smoke test names {service}"
    assert "references()" in code and "walk_packages" in code
    local = code.replace("pathlib.Path('/app')", f"pathlib.Path({str(ROOT)!r})")
    assert local != code, "the smoke test no longer checks PROJECT_ROOT"
    done = subprocess.run([sys.executable, "-c", local], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


# ---- the build context ----


def dockerignore_patterns() -> list[tuple[bool, re.Pattern[str]]]:
    """(excludes?, pattern) in order; the last pattern that matches decides, as in Docker."""
    patterns = []
    for line in DOCKERIGNORE.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        glob = line.removeprefix("!").strip("/")
        regex = "".join(
            ".*" if part == "**" else re.escape(part).replace(r"\*", "[^/]*").replace(r"\?", "[^/]")
            for part in re.split(r"(\*\*)", glob)
        )
        patterns.append((not negated, re.compile(regex.replace(".*/", "(.*/)?"))))
    return patterns


def in_build_context(path: str) -> bool:
    """Whether ``path`` (relative to the repository root) reaches the build context."""
    parts = PurePosixPath(path).parts
    excluded = False
    for excludes, pattern in dockerignore_patterns():
        # a pattern that matches a directory takes everything in it
        if any(pattern.fullmatch("/".join(parts[:n])) for n in range(1, len(parts) + 1)):
            excluded = excludes
    return not excluded


def test_dockerfile_copy_sources_exist_in_the_build_context() -> None:
    for stage in dockerfile_stages():
        for instruction, arguments in stage:
            if instruction not in ("COPY", "ADD"):
                continue
            flags, sources, _ = copy_sources_and_destination(arguments)
            if "from" in flags:
                continue
            for source in sources:
                assert (ROOT / source).exists(), f"COPY {source}: no such file or directory"
                assert in_build_context(source), f"COPY {source}: .dockerignore leaves it out"


@pytest.mark.parametrize(
    "path",
    [
        "pyproject.toml",
        "services/common/settings.py",
        "services/registry/migrations/env.py",
        "proto/events/cloudevent.schema.json",
        "proto/gen/python/plr/registry/v1/registry_pb2.py",
        "services/portal/frontend/node_modules/nhsuk-frontend/dist/nhsuk/nhsuk-frontend.min.css",
        "services/portal/frontend/node_modules/nhsuk-frontend/dist/nhsuk/assets/manifest.json",
    ],
)
def test_what_the_image_needs_reaches_the_build_context(path: str) -> None:
    assert (ROOT / path).exists() and in_build_context(path)


@pytest.mark.parametrize(
    "path",
    [
        ".env",
        ".plr/plr.env",
        ".venv/bin/python",
        "services/common/__pycache__/db.pyc",
        "services/registry/tests/unit/__init__.py",
        ".git/config",
        "services/portal/frontend/node_modules/nhsuk-frontend/package.json",
        "services/portal/frontend/node_modules/nhsuk-frontend/dist/nhsuk/index.mjs",
    ],
)
def test_secrets_and_build_output_stay_out_of_the_build_context(path: str) -> None:
    assert not in_build_context(path)


# ---- what an administrator is given: .env.example, the files volume, metrics, the build's pip settings ----


def required_variables(text: str) -> set[str]:
    return set(re.findall(r"\$\{([A-Z_]+):\?", text))


def test_env_example_lists_every_required_variable_with_no_default() -> None:
    """Every ``${VAR:?...}`` of the compose file is in .env.example, empty: no default passwords."""
    example = (ROOT / ".env.example").read_text()
    listed = dict(re.findall(r"^([A-Z_]+)=(.*)$", example, re.M))
    assert set(listed) == required_variables(COMPOSE_FILE.read_text())
    assert all(value == "" for value in listed.values()), listed
    assert set(listed) == set(CREDENTIALS), "the placeholders above must cover .env.example"
    assert ".env" in (ROOT / ".gitignore").read_text().split()


def test_every_plr_process_serves_metrics_on_the_container_port(services: dict[str, dict[str, Any]]) -> None:
    from services.common.metrics import CONTAINER_METRICS_PORT

    for name in plr_processes(services):
        assert environment_of(services[name]).get("PLR_METRICS_PORT") == str(CONTAINER_METRICS_PORT), name


def test_the_api_container_has_a_files_volume_its_user_can_write(services: dict[str, dict[str, Any]]) -> None:
    """Where `plr` runs (`docker compose exec`): an api given the administrator's token."""
    administered = [
        name
        for name, (_, role) in plr_processes(services).items()
        if role == "api" and "PLR_ADMIN_TOKEN" in environment_of(services[name])
    ]
    assert administered
    for name in administered:
        mounts = {v.split(":")[1]: v.split(":")[0] for v in services[name].get("volumes", []) if isinstance(v, str)}
        assert mounts.get("/var/lib/plr/files") == "plr-files", name
    assert "plr-files" in load_compose()["volumes"]
    final = dockerfile_stages()[-1]
    made = [a for i, a in final if i == "RUN" and "/var/lib/plr/files" in a]
    assert made and re.search(r"install -d -o plr -g plr\b", made[0]), "the image's plr user must own it"


def test_the_builds_pip_settings_stay_in_the_build_stage() -> None:
    """The package index and CA certificates are build arguments of the builder stage only: the final
    stage neither declares them nor copies the pip configuration they are written to."""
    stages = dockerfile_stages()
    builder_args = {a.split("=")[0] for i, a in stages[0] if i == "ARG"}
    assert {"PLR_PIP_INDEX_URL", "PLR_PIP_CA_PEM"} <= builder_args
    for instruction, arguments in stages[-1]:
        assert "PLR_PIP" not in arguments and "pip-build" not in arguments, (instruction, arguments)
    for service in load_compose()["services"].values():
        args = (service.get("build") or {}).get("args") if isinstance(service.get("build"), dict) else None
        if args is not None:
            assert set(args) == {"PLR_PIP_INDEX_URL", "PLR_PIP_CA_PEM"}
            assert all(value == "" for value in args.values()), "empty unless the environment sets them"


# ---- the administrator's tool ----


def test_plr_admin_runs_plr_with_what_backup_and_restore_need(services: dict[str, dict[str, Any]]) -> None:
    """``docker compose run --rm plr-admin backup --to ...``: the plr image with ``plr`` as its entrypoint,
    only when asked for (a profile, so ``up`` does not start it), with the superuser's URL and the broker's
    management URL that backup and restore need, the administrator's token for every other command, and
    the files volume the backups go to."""
    admin = services["plr-admin"]
    assert is_plr_image(admin) and admin["entrypoint"] == ["plr"]
    assert admin.get("profiles") == ["admin"], "without a profile, `docker compose up` would run it"
    env = environment_of(admin)
    for key in ("PLR_DATABASE_ADMIN_URL", "PLR_AMQP_MANAGEMENT_URL", "PLR_ADMIN_TOKEN", "PLR_REGISTRY_API_TARGET"):
        assert env.get(key), f"plr-admin lacks {key}"
    settings = load_settings(env, services=tuple(manifests()), require=("PLR_DATABASE_ADMIN_URL",), role="admin")
    for service in manifests():
        database = settings.database(service)
        # restore makes the owner role and restores the tables it owns: not the application's role
        assert urlsplit(database.owner_url).username != urlsplit(database.app_url).username, service
    assert "plr-files:/var/lib/plr/files" in admin.get("volumes", []), admin.get("volumes")
    assert set(depends_on(admin)) == {"postgres", "rabbitmq"}, "a restore runs before anything else is up"
