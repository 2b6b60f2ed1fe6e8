"""A service declares its own settings in its manifest; each process reads, validates and requires only
those of its own service and role, from the environment or the env file, as it does the platform's."""

from __future__ import annotations

import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from services.common.manifest import ManifestError, ServiceManifest, Setting, manifest, manifests
from services.common.settings import SettingsError, integer, load_settings
from services.registry.manifest import KEY_CACHE_TTL
from tests.support.infra import free_port

ROOT = Path(__file__).parents[4]
BROKER = {
    "PLR_AMQP_URI": "amqp://guest:guest@127.0.0.1:5672/%2Fplr",
    "PLR_AMQP_MANAGEMENT_URL": "http://guest:guest@127.0.0.1:15672",
}
# each service's processes connect as its own broker user (a worker must)
REGISTRY = {
    **BROKER,
    "PLR_AMQP_URI": "amqp://plr-registry:secret@127.0.0.1:5672/%2Fplr",
    "PLR_DATABASE_URL_REGISTRY": "postgresql://app@127.0.0.1/plr_registry",
}
MATCHING = {
    **BROKER,
    "PLR_AMQP_URI": "amqp://plr-matching:secret@127.0.0.1:5672/%2Fplr",
    "PLR_DATABASE_URL_MATCHING": "postgresql://app@127.0.0.1/plr_matching",
}

# A service installed only for these tests (its own dist-info on PYTHONPATH, as `make venv` installs a
# real one): its api prints the setting it read and stops, so a test sees the value reach its code.
SAMPLE_SERVICE = """
from pathlib import Path

from services.common.manifest import Api, ServiceManifest, Setting
from services.common.settings import integer

BATCH = Setting("BATCH", "rows per batch", integer(1, 100), roles=("api", "worker"))

def run(settings):
    print("sample batch", settings.service("sample").value(BATCH))

MANIFEST = ServiceManifest(
    name="sample",
    migrations=Path(__file__).parent,
    settings=(BATCH,),
    api=Api(default_port=50999, run=run, requires=()),
)
"""


@pytest.fixture
def with_sample_service(tmp_path: Path) -> Path:
    (tmp_path / "plr_sample_service.py").write_text(SAMPLE_SERVICE)
    info = tmp_path / "plr_sample_service-0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: plr-sample-service\nVersion: 0\n")
    (info / "entry_points.txt").write_text("[plr.services]\nsample = plr_sample_service:MANIFEST\n")
    return tmp_path


def plr_process(*args: str, path: Path | None = None, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    extra = {"PYTHONPATH": str(path)} if path else {}
    return subprocess.run(
        [sys.executable, "-m", "services.common.process", *args],
        env={"PATH": "/usr/bin:/bin", "PLR_ENV_FILE": "/nonexistent", **extra, **env},
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )


SAMPLE = {**BROKER, "PLR_DATABASE_URL_SAMPLE": "postgresql://app@127.0.0.1/plr_sample"}


def test_a_missing_required_service_setting_stops_the_process_with_one_line_naming_it(
    with_sample_service: Path,
) -> None:
    result = plr_process("sample", "api", path=with_sample_service, env=SAMPLE)
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "PLR_SAMPLE_BATCH is not set (rows per batch)" in lines[0], lines


def test_a_malformed_service_setting_stops_the_process_with_one_line_naming_it(with_sample_service: Path) -> None:
    result = plr_process("sample", "api", path=with_sample_service, env={**SAMPLE, "PLR_SAMPLE_BATCH": "lots"})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "PLR_SAMPLE_BATCH is malformed: expected a whole number from 1 to 100" in lines[0]
    registry = plr_process(
        "registry", "api", env={**REGISTRY, "PLR_REGISTRY_KEY_CACHE_TTL_S": "60", "PLR_ADMIN_TOKEN": "t" * 30}
    )
    assert registry.returncode == 2
    assert "PLR_REGISTRY_KEY_CACHE_TTL_S is malformed: expected a number from 0 to 5, got '60'" in registry.stderr


def test_a_service_setting_in_the_env_file_reaches_the_services_code(with_sample_service: Path) -> None:
    env_file = with_sample_service / "plr.env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in SAMPLE.items()) + "PLR_SAMPLE_BATCH=42\n")
    result = plr_process("sample", "api", path=with_sample_service, env={"PLR_ENV_FILE": str(env_file)})
    assert result.returncode == 0, result.stderr
    assert "sample batch 42" in result.stdout
    # the environment wins over the file
    result = plr_process(
        "sample", "api", path=with_sample_service, env={"PLR_ENV_FILE": str(env_file), "PLR_SAMPLE_BATCH": "7"}
    )
    assert "sample batch 7" in result.stdout


def test_a_process_of_another_role_or_service_does_not_require_a_services_setting(with_sample_service: Path) -> None:
    """Past settings validation without PLR_SAMPLE_BATCH: each stops only at its (absent) database."""
    for service in ("sample", "matching"):
        database = f"postgresql://app@127.0.0.1:{free_port()}/plr_{service}"
        env = {**BROKER, f"PLR_DATABASE_URL_{service.upper()}": database, "PLR_MIGRATE_WAIT_S": "0"}
        result = plr_process(service, "migrate", path=with_sample_service, env=env)
        assert result.returncode == 1 and f"{service} migrate: database unreachable" in result.stderr, result.stderr


def test_matchings_processes_neither_read_nor_require_registrys_settings() -> None:
    settings = load_settings({**MATCHING, "PLR_REGISTRY_KEY_CACHE_TTL_S": "not a number"}, services=("matching",))
    with pytest.raises(SettingsError, match="did not load the settings of registry"):
        settings.service("registry")
    assert "PLR_REGISTRY_KEY_CACHE_TTL_S" not in manifest("matching").required_variables("worker")


def test_the_registry_api_reads_its_key_cache_ttl_with_a_default_and_from_the_environment() -> None:
    assert load_settings(REGISTRY, services=("registry",), role="api").service("registry").value(KEY_CACHE_TTL) == 1.0
    env = {**REGISTRY, "PLR_REGISTRY_KEY_CACHE_TTL_S": "0"}
    assert load_settings(env, services=("registry",), role="api").service("registry").get("KEY_CACHE_TTL_S") == 0.0
    # a worker does not read the api's setting: its malformed value does not stop it
    worker = load_settings({**REGISTRY, "PLR_REGISTRY_KEY_CACHE_TTL_S": "x"}, services=("registry",), role="worker")
    with pytest.raises(SettingsError, match="did not load registry's setting KEY_CACHE_TTL_S"):
        worker.service("registry").get("KEY_CACHE_TTL_S")


def test_a_required_setting_is_listed_in_the_variables_its_roles_require() -> None:
    needed = Setting("BATCH", "rows", integer(1, 9), roles=("worker",))
    service = ServiceManifest(name="sample", migrations=ROOT, settings=(needed,))
    assert "PLR_SAMPLE_BATCH" in service.required_variables("worker")
    assert "PLR_SAMPLE_BATCH" not in service.required_variables("migrate")


@pytest.mark.parametrize(
    "settings",
    [
        (Setting("batch", "lower case", integer(1, 9)),),
        (Setting("API_LISTEN", "the platform's", integer(1, 9)),),
        (Setting("BATCH", "twice", integer(1, 9)), Setting("BATCH", "twice", integer(1, 9))),
        (Setting("BATCH", "no such role", integer(1, 9), roles=("portal",)),),
    ],
)
def test_a_manifest_with_a_badly_declared_setting_is_refused(settings: tuple[Setting[int], ...]) -> None:
    with pytest.raises(ManifestError, match="sample: setting"):
        ServiceManifest(name="sample", migrations=ROOT, settings=settings)


def test_every_declared_setting_is_described_in_the_readme() -> None:
    """Every service's own settings are listed for the administrator, with their variable."""
    readme = (ROOT / "README.md").read_text()
    for service in manifests().values():
        for setting in service.settings:
            assert f"`{service.setting_variable(setting)}`" in readme, service.setting_variable(setting)


@pytest.mark.parametrize("variable", ["PLR_REGISTRY_PORTAL_TOKEN", "PLR_ADMIN_TOKEN"])
def test_a_short_token_stops_the_api_at_start_with_one_line_naming_it_and_never_its_value(variable: str) -> None:
    short = "Canary-Token-Of-31-Characters-X"
    assert len(short) == 31
    result = plr_process(
        "registry", "api", env={**REGISTRY, "PLR_ADMIN_TOKEN": secrets.token_urlsafe(32), variable: short}
    )
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and f"{variable} is malformed" in lines[0] and "at least 32 characters" in lines[0], lines
    assert short not in result.stderr


def test_only_the_api_reads_the_portal_credential() -> None:
    """No other process is given it: a worker and migrate do not even read it."""
    short = {**REGISTRY, "PLR_REGISTRY_PORTAL_TOKEN": "short"}
    for role in ("worker", "migrate"):
        assert "PORTAL_TOKEN" not in load_settings(short, services=("registry",), role=role).service("registry").values
    with pytest.raises(SettingsError, match="PLR_REGISTRY_PORTAL_TOKEN is malformed"):
        load_settings(short, services=("registry",), role="api")


def test_the_portals_credential_may_not_be_the_administrators() -> None:
    """Attack on issue 10 item 2 (a careless administrator): the same value given as PLR_ADMIN_TOKEN and
    PLR_REGISTRY_PORTAL_TOKEN starts today, and the administrator's token then authenticates as the portal
    (ListTrusts is PERMISSION_DENIED, 'the portal credential may not call ...'). Refuse it at start,
    naming both variables and no value."""
    token = "x" * 40
    env = {**REGISTRY, "PLR_ADMIN_TOKEN": token, "PLR_REGISTRY_PORTAL_TOKEN": token}
    with pytest.raises(SettingsError, match="PLR_REGISTRY_PORTAL_TOKEN") as refused:
        load_settings(env, services=("registry",), role="api")
    assert "PLR_ADMIN_TOKEN" in str(refused.value) and token not in str(refused.value)


@pytest.mark.parametrize(
    ("token", "why"),
    [(" " * 40, "white space"), ("ab" * 20, "distinct characters"), ("changeme " * 5, "white space")],
)
def test_a_placeholder_credential_stops_the_process_naming_the_variable(token: str, why: str) -> None:
    for variable in ("PLR_ADMIN_TOKEN", "PLR_REGISTRY_PORTAL_TOKEN"):
        with pytest.raises(SettingsError, match=f"{variable} is malformed: .*{why}") as refused:
            load_settings({**REGISTRY, variable: token}, services=("registry",), role="api")
        assert token not in str(refused.value)
