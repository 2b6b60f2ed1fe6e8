"""Writes deploy/k8s/base/processes.yaml from the service manifests: a Deployment for every api, web
process and worker, a Job for every migrate, a Service, PodDisruptionBudget and HorizontalPodAutoscaler
for every api, a Service and PodDisruptionBudget for every web process (probed at ``/healthz``), a
PodDisruptionBudget for every worker. Like docker-compose.yml, it follows the manifests, so a new
service needs only `make k8s` (tests/deploy/test_k8s.py fails while the file is stale).

    .venv/bin/python deploy/k8s/generate.py          # rewrite processes.yaml
    .venv/bin/python deploy/k8s/generate.py --check  # exit 1 if it is stale

Credentials: every URL is put together in the container's environment (Kubernetes' ``$(VAR)``
expansion) from three Secrets: ``plr-credentials`` (the kustomization's secretGenerator, from a
``secrets.env`` that is never committed, as its secrets.env.example lists), and the ones the
operators create, ``plr-rabbitmq-default-user`` (RabbitMQ Cluster Operator) and ``plr-postgres-superuser``
(CloudNativePG, ``enableSuperuserAccess``). Least privilege as in docker-compose.yml: the superuser and
owner URLs only reach migrate, the broker administrator's credentials (the management URL) only migrate and
the api `plr` runs in, the administrator's token only that api.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path
from typing import Any

warnings.filterwarnings("ignore", module="nameko")  # imported for the worker's stop deadline only
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from services.common.manifest import MANAGEMENT_ROLES, MANAGEMENT_URL_VARIABLE, ServiceManifest, manifests  # noqa: E402
from services.common.metrics import CONTAINER_METRICS_PORT  # noqa: E402
from services.common.worker import STOP_DEADLINE_S  # noqa: E402

OUTPUT = Path(__file__).resolve().parent / "base" / "processes.yaml"
IMAGE = "plr"  # the overlay names the registry and tag (kustomize `images:`)
POSTGRES = "plr-postgres-rw"  # CloudNativePG's read-write Service of the Cluster plr-postgres
RABBITMQ = "plr-rabbitmq"  # the RabbitmqCluster's client Service
CREDENTIALS = "plr-credentials"
UID = 10001  # the image's plr user (deploy/Dockerfile)
API_GRACE_S = 30  # the api drains in-flight calls for up to 10 s (services/common/grpc_server.py)
WORKER_GRACE_S = int(STOP_DEADLINE_S) + 6  # a worker is gone STOP_DEADLINE_S after SIGTERM, whatever happens


def secret(name: str, secret_name: str, key: str) -> dict[str, Any]:
    return {"name": name, "valueFrom": {"secretKeyRef": {"name": secret_name, "key": key}}}


def database_url(service: str, role: str, password_variable: str) -> str:
    return f"postgresql://plr_{service}_{role}:$({password_variable})@{POSTGRES}:5432/plr_{service}"


def administered(manifest: ServiceManifest, role: str) -> bool:
    """Whether this process is an api that checks the administrator's token."""
    return role == "api" and manifest.api is not None and "PLR_ADMIN_TOKEN" in manifest.api.requires


def uses_management(manifest: ServiceManifest, role: str) -> bool:
    """Whether this process uses the broker's management API (the administrator's credentials): migrate
    (its topology) and the api where the administrator runs `plr`; no worker, no other api."""
    return role in MANAGEMENT_ROLES or administered(manifest, role)


def broker_password_variable(manifest: ServiceManifest) -> str:
    return f"PLR_RABBITMQ_{manifest.name.upper()}_PASSWORD"


def broker_connection(manifest: ServiceManifest, role: str) -> list[dict[str, Any]]:
    """``PLR_AMQP_URI``: each service's processes connect as its own broker user, ``plr-<service>``, which
    its migrate makes with this password and which may publish only its routing keys (ADR 0009); the api
    where the administrator runs `plr` connects as the operator's default user (administrator and
    impersonator: `plr dlq replay` keeps each event's user_id)."""
    if administered(manifest, role):
        user, password = "$(RABBITMQ_USERNAME)", "$(RABBITMQ_PASSWORD)"
        made: list[dict[str, Any]] = []
    else:
        variable = broker_password_variable(manifest)
        user, password = f"plr-{manifest.name}", f"$({variable})"
        made = [secret(variable, CREDENTIALS, variable)]
    return [*made, {"name": "PLR_AMQP_URI", "value": f"amqp://{user}:{password}@{RABBITMQ}:5672/%2Fplr"}]


def environment(manifest: ServiceManifest, role: str) -> list[dict[str, Any]]:
    """The container's variables, in order: a ``$(VAR)`` only expands a variable defined before it."""
    env: list[dict[str, Any]] = []
    if uses_management(manifest, role):
        # the broker administrator's credentials: only what uses the management API gets them
        env += [
            secret("RABBITMQ_USERNAME", f"{RABBITMQ}-default-user", "username"),
            secret("RABBITMQ_PASSWORD", f"{RABBITMQ}-default-user", "password"),
        ]
    env += [
        secret("PLR_DB_APP_PASSWORD", CREDENTIALS, "PLR_DB_APP_PASSWORD"),
        *broker_connection(manifest, role),
    ]
    if uses_management(manifest, role):
        env.append(
            {
                "name": MANAGEMENT_URL_VARIABLE,
                "value": f"http://$(RABBITMQ_USERNAME):$(RABBITMQ_PASSWORD)@{RABBITMQ}:15672",
            }
        )
    # an api that takes the administrator's token is where the administrator runs `plr` (kubectl exec),
    # which reads every service's database; any other process gets its own service's only
    services = manifests().values() if administered(manifest, role) else [manifest]
    env += [
        {"name": m.database_url_variable, "value": database_url(m.name, "app", "PLR_DB_APP_PASSWORD")} for m in services
    ]
    # the rest of what the process requires (the administrator's token, a caller's token, a service's
    # own required settings) comes from plr-credentials, under its own name
    made = {item["name"] for item in env}
    env += [secret(name, CREDENTIALS, name) for name in manifest.required_variables(role) if name not in made]
    # and the optional credentials it reads (a caller's token; for a web process, those of the services
    # it calls), when secrets.env gives them
    for name in sorted(manifest.secret_variables(role) - made - set(manifest.required_variables(role))):
        optional = secret(name, CREDENTIALS, name)
        optional["valueFrom"]["secretKeyRef"]["optional"] = True
        env.append(optional)
    if role == "migrate":
        env += [
            secret("PLR_POSTGRES_PASSWORD", "plr-postgres-superuser", "password"),
            secret("PLR_DB_OWNER_PASSWORD", CREDENTIALS, "PLR_DB_OWNER_PASSWORD"),
            {
                "name": "PLR_DATABASE_ADMIN_URL",
                "value": f"postgresql://postgres:$(PLR_POSTGRES_PASSWORD)@{POSTGRES}:5432/postgres",
            },
            {
                "name": manifest.database_owner_url_variable,
                "value": database_url(manifest.name, "owner", "PLR_DB_OWNER_PASSWORD"),
            },
        ]
    return env


def container(manifest: ServiceManifest, role: str) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "name": role,
        "image": IMAGE,
        "args": [manifest.name, role],
        "envFrom": [{"configMapRef": {"name": "plr-config"}}],
        "env": environment(manifest, role),
        "ports": [{"name": "metrics", "containerPort": CONTAINER_METRICS_PORT}],
        "resources": {
            "requests": {"cpu": "100m", "memory": "192Mi"},
            "limits": {"cpu": "1", "memory": "512Mi"},
        },
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        },
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
    }
    if role == "api":
        assert manifest.api is not None
        port = manifest.api.default_port
        spec["ports"].insert(0, {"name": "grpc", "containerPort": port})
        # the standard gRPC health service, as `plr health` and the compose health check ask it
        spec["readinessProbe"] = {"grpc": {"port": port}, "periodSeconds": 5, "failureThreshold": 2}
        spec["livenessProbe"] = {"grpc": {"port": port}, "periodSeconds": 10, "failureThreshold": 3}
        spec["startupProbe"] = {"grpc": {"port": port}, "periodSeconds": 2, "failureThreshold": 60}
        if administered(manifest, role):  # files handed to `plr` (imports, exports), which runs here
            spec["volumeMounts"].append({"name": "files", "mountPath": "/var/lib/plr/files"})
    elif role == "web":
        assert manifest.web is not None
        spec["ports"].insert(0, {"name": "http", "containerPort": manifest.web.default_port})
        # GET /healthz, as `plr health` and the compose health check ask it
        check = {"httpGet": {"path": "/healthz", "port": "http"}}
        spec["readinessProbe"] = {**check, "periodSeconds": 5, "failureThreshold": 2}
        spec["livenessProbe"] = {**check, "periodSeconds": 10, "failureThreshold": 3}
    elif role == "worker":
        # a fresh heartbeat (written by the worker's relay every 2 s), the compose health check's test
        check = ["python", "-m", "services.common.healthcheck", manifest.name, "worker"]
        spec["livenessProbe"] = {
            "exec": {"command": check},
            "initialDelaySeconds": 20,
            "periodSeconds": 15,
            "timeoutSeconds": 10,
            "failureThreshold": 4,
        }
    return spec


def pod(manifest: ServiceManifest, role: str, labels: dict[str, str]) -> dict[str, Any]:
    volumes: list[dict[str, Any]] = [{"name": "tmp", "emptyDir": {}}]
    if administered(manifest, role):
        volumes.append({"name": "files", "emptyDir": {}})
    spec: dict[str, Any] = {
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": UID,
            "runAsGroup": UID,
            "fsGroup": UID,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containers": [container(manifest, role)],
        "volumes": volumes,
    }
    if role == "migrate":
        spec["restartPolicy"] = "OnFailure"
    else:
        spec["terminationGracePeriodSeconds"] = API_GRACE_S if role in ("api", "web") else WORKER_GRACE_S
    annotations = {"prometheus.io/scrape": "true", "prometheus.io/port": str(CONTAINER_METRICS_PORT)}
    return {"metadata": {"labels": labels, "annotations": annotations}, "spec": spec}


def labels_of(manifest: ServiceManifest, role: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": "plr", "app.kubernetes.io/component": f"{manifest.name}-{role}"}


def metadata(name: str, labels: dict[str, str]) -> dict[str, Any]:
    return {"name": name, "labels": labels}


def resources_of(manifest: ServiceManifest) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for role in manifest.roles:
        name = f"{manifest.name}-{role}"
        labels = labels_of(manifest, role)
        if role == "migrate":
            found.append(
                {
                    "apiVersion": "batch/v1",
                    "kind": "Job",
                    "metadata": metadata(name, labels),
                    "spec": {"backoffLimit": 6, "template": pod(manifest, role, labels)},
                }
            )
            continue
        replicas = 2
        found.append(
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": metadata(name, labels),
                "spec": {
                    "replicas": replicas,
                    "selector": {"matchLabels": labels},
                    "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}},
                    "template": pod(manifest, role, labels),
                },
            }
        )
        found.append(
            {
                "apiVersion": "policy/v1",
                "kind": "PodDisruptionBudget",
                "metadata": metadata(name, labels),
                "spec": {"minAvailable": 1, "selector": {"matchLabels": labels}},
            }
        )
        if role == "web":
            assert manifest.web is not None
            found.append(
                {
                    "apiVersion": "v1",
                    "kind": "Service",
                    "metadata": metadata(name, labels),
                    "spec": {
                        "selector": labels,
                        "ports": [
                            {"name": "http", "port": manifest.web.default_port, "targetPort": "http"},
                            {"name": "metrics", "port": CONTAINER_METRICS_PORT, "targetPort": "metrics"},
                        ],
                    },
                }
            )
        if role == "api":
            assert manifest.api is not None
            found.append(
                {
                    "apiVersion": "v1",
                    "kind": "Service",
                    "metadata": metadata(name, labels),
                    "spec": {
                        "selector": labels,
                        "ports": [
                            {"name": "grpc", "port": manifest.api.default_port, "targetPort": "grpc"},
                            {"name": "metrics", "port": CONTAINER_METRICS_PORT, "targetPort": "metrics"},
                        ],
                    },
                }
            )
            found.append(
                {
                    "apiVersion": "autoscaling/v2",
                    "kind": "HorizontalPodAutoscaler",
                    "metadata": metadata(name, labels),
                    "spec": {
                        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
                        "minReplicas": replicas,
                        "maxReplicas": 8,
                        "metrics": [
                            {
                                "type": "Resource",
                                "resource": {
                                    "name": "cpu",
                                    "target": {"type": "Utilization", "averageUtilization": 70},
                                },
                            }
                        ],
                    },
                }
            )
    return found


def config_map() -> dict[str, Any]:
    data = {"PLR_LOG_LEVEL": "INFO", "PLR_METRICS_PORT": str(CONTAINER_METRICS_PORT), "PLR_ENVIRONMENT": "production"}
    for manifest in manifests().values():
        if manifest.api is not None:
            data[manifest.api_listen_variable] = f"0.0.0.0:{manifest.api.default_port}"
            data[manifest.api_target_variable] = f"{manifest.name}-api:{manifest.api.default_port}"
        if manifest.web is not None:
            data[manifest.web_listen_variable] = f"0.0.0.0:{manifest.web.default_port}"
            # `plr health` (kubectl exec into the administrator's api) finds it at its Service
            data[manifest.web_target_variable] = f"{manifest.name}-web:{manifest.web.default_port}"
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "plr-config"}, "data": data}


def render() -> str:
    documents = [config_map()] + [r for m in manifests().values() for r in resources_of(m)]
    header = "# Generated by deploy/k8s/generate.py from the service manifests; do not edit (run `make k8s`).\n"
    return header + yaml.safe_dump_all(documents, sort_keys=False, width=120)


def main(argv: list[str]) -> int:
    text = render()
    if argv[1:] == ["--check"]:
        if not OUTPUT.is_file() or OUTPUT.read_text() != text:
            print(f"{OUTPUT.relative_to(ROOT)} is stale: run `make k8s`", file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_text(text)
    print(f"wrote {OUTPUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
