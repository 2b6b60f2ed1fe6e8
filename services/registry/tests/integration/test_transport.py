"""The apis' transport (issue 10, item 5): TLS by configuration, for the api and every client of it
(`plr` included), mutual TLS when a client CA is set, and reflection in development only. The
certificates are made by the test (tests/support/certificates.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from plr.registry.v1 import registry_pb2 as pb
from plr.registry.v1 import registry_pb2_grpc

from services.common.grpc_client import bearer, open_channel
from services.common.grpc_server import ApiServer
from services.common.settings import PLAINTEXT, GrpcTls, Settings, SettingsError, load_settings
from services.registry.entrypoints.api import build_server
from tests.support.certificates import CertificateAuthority, client_tls_env, server_tls_env
from tests.support.infra import PlrStack
from tests.support.ports import free_port


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    directory = tmp_path_factory.mktemp("pki")
    apis, callers, strangers = (CertificateAuthority(directory, n) for n in ("apis", "callers", "strangers"))
    return {
        "apis": apis,
        "callers": callers,
        "strangers": strangers,
        "server": apis.issue("registry-api", server=True),
        "portal": callers.issue("portal", server=False),
        "impostor": strangers.issue("impostor", server=False),
    }


def settings_with(stack: PlrStack, extra: dict[str, str]) -> Settings:
    return load_settings({**stack.env, **extra})


@contextmanager
def serving(settings: Settings, listen: str = "127.0.0.1:0") -> Iterator[ApiServer]:
    server = build_server(settings, listen)
    server.start()
    try:
        yield server
    finally:
        server.stop(grace_s=0.5)


def health(target: str, tls: GrpcTls) -> grpc.StatusCode | str:
    with open_channel(target, tls) as channel:
        try:
            answer = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=3)
        except grpc.RpcError as error:
            return error.code()  # type: ignore[no-any-return]
    return health_pb2.HealthCheckResponse.ServingStatus.Name(answer.status)


def test_an_api_with_tls_refuses_a_plaintext_client_and_answers_one_that_trusts_its_ca(
    stack: PlrStack, pki: dict
) -> None:
    settings = settings_with(stack, server_tls_env(pki["apis"], pki["server"]))
    with serving(settings) as server:
        target = f"127.0.0.1:{server.port}"
        assert health(target, PLAINTEXT) == grpc.StatusCode.UNAVAILABLE
        assert health(target, GrpcTls(ca=pki["strangers"].cert.read_bytes())) == grpc.StatusCode.UNAVAILABLE
        assert health(target, settings.grpc_tls) == "SERVING"
        with open_channel(target, settings.grpc_tls) as channel:  # a real call, as the administrator
            trusts = registry_pb2_grpc.RegistryServiceStub(channel).ListTrusts(
                pb.ListTrustsRequest(), metadata=bearer(stack.env["PLR_ADMIN_TOKEN"]), timeout=5
            )
        assert trusts is not None


def test_with_a_client_ca_an_api_answers_only_callers_with_a_certificate_it_signed(stack: PlrStack, pki: dict) -> None:
    settings = settings_with(stack, server_tls_env(pki["apis"], pki["server"], client_ca=pki["callers"]))
    with serving(settings) as server:
        target = f"127.0.0.1:{server.port}"
        assert health(target, settings.grpc_tls) == grpc.StatusCode.UNAVAILABLE  # TLS, but no certificate
        impostor = settings_with(
            stack, {**server_tls_env(pki["apis"], pki["server"]), **client_tls_env(pki["impostor"])}
        )
        assert health(target, impostor.grpc_tls) == grpc.StatusCode.UNAVAILABLE  # signed by another CA
        portal = settings_with(stack, {**server_tls_env(pki["apis"], pki["server"]), **client_tls_env(pki["portal"])})
        assert health(target, portal.grpc_tls) == "SERVING"


def test_plr_health_and_the_container_health_check_ask_the_api_over_tls(stack: PlrStack, pki: dict) -> None:
    address = f"127.0.0.1:{free_port()}"
    tls_env = {
        **server_tls_env(pki["apis"], pki["server"], client_ca=pki["callers"]),
        **client_tls_env(pki["portal"]),
        "PLR_REGISTRY_API_LISTEN": address,
        "PLR_REGISTRY_API_TARGET": address,
    }
    env = {**os.environ, **stack.env, **tls_env}
    with serving(settings_with(stack, tls_env), address):
        answered = subprocess.run(
            [str(Path(sys.executable).parent / "plr"), "health", "--json"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        checks = {c["name"]: c for c in json.loads(answered.stdout)}
        assert checks["registry api"]["ok"], checks["registry api"]
        container = subprocess.run(
            [sys.executable, "-m", "services.common.healthcheck", "registry", "api"],
            env={**env, "PLR_METRICS_PORT": "0"},
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert container.returncode == 0, container.stderr
        plaintext = {k: v for k, v in env.items() if not k.startswith("PLR_GRPC_TLS")}
        refused = subprocess.run(
            [str(Path(sys.executable).parent / "plr"), "health", "--json"],
            env=plaintext,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert not {c["name"]: c for c in json.loads(refused.stdout)}["registry api"]["ok"]


@pytest.mark.parametrize(("environment", "answers"), [("development", True), ("production", False)])
def test_reflection_answers_in_development_only(stack: PlrStack, environment: str, answers: bool) -> None:
    settings = settings_with(stack, {"PLR_ENVIRONMENT": environment})
    with serving(settings) as server, open_channel(f"127.0.0.1:{server.port}", PLAINTEXT) as channel:
        ask = reflection_pb2.ServerReflectionRequest(list_services="")
        try:
            replies = list(
                reflection_pb2_grpc.ServerReflectionStub(channel).ServerReflectionInfo(iter([ask]), timeout=5)
            )
            services = {s.name for s in replies[0].list_services_response.service}
        except grpc.RpcError as error:
            assert error.code() == grpc.StatusCode.UNIMPLEMENTED
            services = set()
    assert ("plr.registry.v1.RegistryService" in services) is answers


@pytest.mark.parametrize(
    ("given", "named"),
    [
        ({"PLR_GRPC_TLS_CERT": "server"}, "PLR_GRPC_TLS_KEY is not set"),
        ({"PLR_GRPC_TLS_CLIENT_CERT": "portal", "PLR_GRPC_TLS_CLIENT_KEY": "portal-key"}, "PLR_GRPC_TLS_CA is not set"),
        ({"PLR_GRPC_TLS_CA": "missing"}, "PLR_GRPC_TLS_CA names"),
        ({"PLR_GRPC_TLS_CA": "not-pem"}, "PLR_GRPC_TLS_CA is malformed"),
        # swapped, or a key of another certificate: named at start, not met as grpcio's "failed to bind"
        ({"PLR_GRPC_TLS_CERT": "server-key", "PLR_GRPC_TLS_KEY": "server"}, "PLR_GRPC_TLS_CERT and PLR_GRPC_TLS_KEY"),
        ({"PLR_GRPC_TLS_CERT": "server", "PLR_GRPC_TLS_KEY": "portal-key"}, "PLR_GRPC_TLS_CERT and PLR_GRPC_TLS_KEY"),
        (
            {
                "PLR_GRPC_TLS_CA": "server",
                "PLR_GRPC_TLS_CLIENT_CERT": "portal",
                "PLR_GRPC_TLS_CLIENT_KEY": "server-key",
            },
            "PLR_GRPC_TLS_CLIENT_CERT and PLR_GRPC_TLS_CLIENT_KEY",
        ),
    ],
)
def test_a_tls_setting_missing_its_pair_or_naming_no_pem_stops_the_process_naming_it(
    stack: PlrStack, pki: dict, tmp_path: Path, given: dict[str, str], named: str
) -> None:
    files = {
        "server": pki["server"].cert,
        "server-key": pki["server"].key,
        "portal": pki["portal"].cert,
        "portal-key": pki["portal"].key,
        "missing": tmp_path / "missing.pem",
        "not-pem": tmp_path / "not.pem",
    }
    files["not-pem"].write_text("not a certificate")
    with pytest.raises(SettingsError, match=named):
        load_settings({**stack.env, **{k: str(files[v]) for k, v in given.items()}})
