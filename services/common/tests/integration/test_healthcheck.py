"""The one container health check (``python -m services.common.healthcheck SERVICE ROLE``) that
docker-compose.yml gives every api and worker: exit 0 healthy, 1 otherwise (never Docker's reserved 2)."""

from __future__ import annotations

import subprocess
import sys
from concurrent import futures

import grpc
import pytest
import sqlalchemy as sa
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from services.common.broker_users import with_own_broker_user
from services.common.platform_tables import worker_heartbeats
from tests.support.infra import ROOT, PlrStack, free_port

pytestmark = pytest.mark.integration


def healthcheck(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "services.common.healthcheck", *args],
        env={"PATH": "/usr/bin:/bin", **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def only(stack: PlrStack, service: str) -> dict[str, str]:
    """What the service's container has: the broker and its own database, nothing of the others."""
    keep = (
        "PLR_ENV_FILE",
        "PLR_AMQP_URI",
        "PLR_AMQP_USER_PREFIX",
        "PLR_AMQP_MANAGEMENT_URL",
        f"PLR_DATABASE_URL_{service.upper()}",
    )
    # its own service's broker user (ADR 0009), as its container is given it
    own = with_own_broker_user(stack.env, service)
    return {key: own[key] for key in keep}


def test_a_worker_is_healthy_while_its_own_heartbeat_is_fresh(stack: PlrStack) -> None:
    env = only(stack, "recruitment")
    with stack.engine("recruitment").begin() as connection:
        connection.execute(sa.delete(worker_heartbeats).where(worker_heartbeats.c.worker == "recruitment-worker"))
    never = healthcheck(env, "recruitment", "worker")
    assert never.returncode == 1 and "recruitment worker: has never run" in never.stderr
    with stack.engine("recruitment").begin() as connection:
        connection.execute(sa.insert(worker_heartbeats).values(worker="recruitment-worker", beat_at=sa.func.now()))
    fresh = healthcheck(env, "recruitment", "worker")
    assert fresh.returncode == 0, fresh.stderr
    with stack.engine("recruitment").begin() as connection:
        connection.execute(
            sa.update(worker_heartbeats)
            .where(worker_heartbeats.c.worker == "recruitment-worker")
            .values(beat_at=sa.func.now() - sa.text("interval '1 hour'"))
        )
    stale = healthcheck(env, "recruitment", "worker")
    assert stale.returncode == 1 and "last heartbeat" in stale.stderr


def test_an_api_is_asked_the_grpc_health_service_on_its_own_listening_port(stack: PlrStack) -> None:
    port = free_port()
    env = {**only(stack, "registry"), "PLR_REGISTRY_API_LISTEN": f"0.0.0.0:{port}"}
    down = healthcheck(env, "registry", "api")
    assert down.returncode == 1 and "UNAVAILABLE" in down.stderr
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    server.add_insecure_port(f"127.0.0.1:{port}")
    server.start()
    try:
        servicer.set("", health_pb2.HealthCheckResponse.SERVING)
        assert healthcheck(env, "registry", "api").returncode == 0
        servicer.set("", health_pb2.HealthCheckResponse.NOT_SERVING)
        assert healthcheck(env, "registry", "api").returncode == 1
    finally:
        server.stop(grace=None)


@pytest.mark.parametrize("args", [("portal", "worker"), ("matching", "api"), ("matching", "migrate"), ("matching",)])
def test_bad_usage_or_settings_is_unhealthy_never_dockers_reserved_2(stack: PlrStack, args: tuple[str, ...]) -> None:
    assert healthcheck(only(stack, "matching"), *args).returncode == 1
    assert healthcheck({"PLR_ENV_FILE": "/nonexistent"}, "matching", "worker").returncode == 1  # no settings
