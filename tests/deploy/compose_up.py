"""``make compose-test``: the project's own docker-compose.yml brought up for real, a smoke journey through
it, then ``down -v``; each stage timed.

There is no Docker engine on these machines: ``../shared/tools/compose-e2e/compose-e2e.sh`` (its README
lists the machine's quirks) runs rootful Podman with docker-compose 1.29.2 in a private network
namespace. This script installs what that needs when it is missing, builds the stand-ins of the base
images the compose file names (no image can be pulled), builds the plr image with the machine's
package-index settings as build arguments (never kept in the image: deploy/Dockerfile), brings every
service up with throw-away credentials made from ``.env.example``, waits for health, and runs
:func:`smoke_journey`. Everything it started is taken down whatever happens.

Settings (environment): ``PLR_COMPOSE_E2E`` (the tool), ``STATE`` and ``NETNS`` (passed to the tool;
default a state directory and namespace of plr's own), ``PLR_PIP_INDEX_URL`` and ``PLR_PIP_CA_PEM``
(default: this machine's pip ``index-url`` and the CA certificates in /usr/local/share/ca-certificates).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from tests.support.topics import routed_count

ROOT = Path(__file__).resolve().parents[2]
TOOL = Path(os.environ.get("PLR_COMPOSE_E2E", ROOT.parent / "shared" / "tools" / "compose-e2e" / "compose-e2e.sh"))
STANDINS = TOOL.parent / "standins"
PROJECT = "plr-e2e"
# the stand-ins built under the names the compose file and the Dockerfile use
BASE_IMAGES = {"postgres": "postgres:15", "rabbitmq": "rabbitmq:3", "python": "python:3.11-slim"}
HEALTH_TIMEOUT_S = 420.0
SMOKE_TRUST = "RSM"
EXAMPLE_IMPORT = ROOT / "docs" / "examples" / "leaders-import.csv"
# the test's mail catcher, added to docker-compose.yml (which runs no mail server)
MAIL_OVERRIDE = Path(__file__).resolve().parent / "compose.mail.yml"
FILES = "/var/lib/plr/files"  # the volume the image's plr user writes (docker-compose.yml)


class ComposeTestFailed(Exception):
    pass


class Stages:
    """Times each stage and prints a summary at the end."""

    def __init__(self) -> None:
        self.times: list[tuple[str, float, str]] = []

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        print(f"compose-test: {name} ...", flush=True)
        started = time.monotonic()
        outcome = "ok"
        try:
            yield
        except BaseException:
            outcome = "FAILED"
            raise
        finally:
            elapsed = time.monotonic() - started
            self.times.append((name, elapsed, outcome))
            print(f"compose-test: {name}: {outcome} in {elapsed:.1f}s", flush=True)

    def summary(self) -> str:
        lines = [f"  {name:<34} {elapsed:7.1f}s  {outcome}" for name, elapsed, outcome in self.times]
        total = sum(elapsed for _, elapsed, _ in self.times)
        return "\n".join(["compose-test: stage times", *lines, f"  {'total':<34} {total:7.1f}s"])


def tool_env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("STATE", str(Path(tempfile.gettempdir()) / "plr-compose-e2e"))
    env.setdefault("NETNS", "plr-e2e")
    return env


def run(
    args: Sequence[str], *, check: bool = True, capture: bool = False, input: str | None = None
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(list(args), text=True, capture_output=capture, env=tool_env(), input=input)
    if check and done.returncode != 0:
        detail = (done.stderr or "")[-3000:] if capture else ""
        raise ComposeTestFailed(f"{' '.join(args[:6])} ... exited {done.returncode}\n{detail}")
    return done


def tool(
    *args: str, check: bool = True, capture: bool = False, input: str | None = None
) -> subprocess.CompletedProcess[str]:
    return run(["bash", str(TOOL), *args], check=check, capture=capture, input=input)


def podman(*args: str, check: bool = True, capture: bool = False) -> subprocess.CompletedProcess[str]:
    return tool("podman", *args, check=check, capture=capture)


def dc(
    env_file: Path, *args: str, check: bool = True, capture: bool = False, input: str | None = None
) -> subprocess.CompletedProcess[str]:
    compose = ["dc", "-p", PROJECT, "-f", str(ROOT / "docker-compose.yml"), "-f", str(MAIL_OVERRIDE)]
    compose += ["--env-file", str(env_file)]
    return tool(*compose, *args, check=check, capture=capture, input=input)


# ---- set-up ----


def ensure_tools() -> None:
    """The tool's packages and its docker-compose venv, once per machine; iptables too, which netavark
    needs inside the namespace (its rules stay in the namespace) and the tool's list leaves out."""
    state = Path(tool_env()["STATE"])
    if not shutil.which("podman") or not (state / "venv-dc" / "bin" / "docker-compose").exists():
        tool("deps", capture=True)  # runs apt-get update first
    if not shutil.which("iptables"):
        run(["apt-get", "install", "-y", "-qq", "iptables"], capture=True)


def image_exists(name: str) -> bool:
    return podman("image", "exists", name, check=False).returncode == 0


def ensure_base_images() -> None:
    if not image_exists("localhost/bookworm-min"):
        tool("base", capture=True)
    for folder, name in BASE_IMAGES.items():
        if not image_exists(f"docker.io/library/{name}"):
            podman("build", "-q", "-t", f"docker.io/library/{name}", str(STANDINS / folder), capture=True)


def pip_build_args() -> dict[str, str]:
    """This machine's package index and its locally added CA certificates, for the image's build stage."""
    args = {}
    index = os.environ.get("PLR_PIP_INDEX_URL")
    if index is None:
        found = subprocess.run(
            [sys.executable, "-m", "pip", "config", "get", "global.index-url"], capture_output=True, text=True
        )
        index = found.stdout.strip() if found.returncode == 0 else ""
    args["PLR_PIP_INDEX_URL"] = index if index.startswith(("http://", "https://")) else ""
    pem = os.environ.get("PLR_PIP_CA_PEM")
    if pem is None:
        local = sorted(Path("/usr/local/share/ca-certificates").glob("*.crt"))
        pem = "\n".join(path.read_text().strip() for path in local)
    args["PLR_PIP_CA_PEM"] = pem
    return args


def throwaway_env_file(directory: Path) -> Path:
    """Every variable ``.env.example`` asks for, with a fresh random value (it has no defaults to use)."""
    lines = []
    for raw in (ROOT / ".env.example").read_text().splitlines():
        name, eq, value = raw.partition("=")
        if eq and not raw.startswith("#") and value == "":
            lines.append(f"{name}={secrets.token_urlsafe(32)}")
    path = directory / ".env"
    path.write_text("\n".join(lines) + "\n")
    path.chmod(0o600)
    return path


# ---- health ----


def containers() -> list[dict[str, object]]:
    found = podman(
        "ps", "-a", "--filter", f"label=com.docker.compose.project={PROJECT}", "--format", "json", capture=True
    )
    listed: list[dict[str, object]] = json.loads(found.stdout or "[]")
    return listed


def service_of(container: dict[str, object]) -> str:
    labels = container.get("Labels") or {}
    return str(labels.get("com.docker.compose.service", "?")) if isinstance(labels, dict) else "?"


def health_of(container: dict[str, object]) -> str:
    """From ``podman ps``'s status ("Up 2 minutes (healthy)"): one listing for every container, instead of
    an inspect each, which the shared machine's two cores feel."""
    status = str(container.get("Status", ""))
    for health in ("healthy", "unhealthy", "starting"):
        if f"({health})" in status:
            return health
    return "no health check yet"


def wait_until_healthy(expected: set[str], timeout_s: float = HEALTH_TIMEOUT_S) -> None:
    """Every migrate exited 0, every other container running and healthy."""
    deadline = time.monotonic() + timeout_s
    state: dict[str, str] = {}
    while time.monotonic() < deadline:
        state = {}
        for container in containers():
            name = service_of(container)
            if name.endswith("-migrate"):
                if container.get("State") == "exited":
                    code = container.get("ExitCode")
                    state[name] = "done" if code == 0 else f"exited {code}"
                else:
                    state[name] = str(container.get("State"))
            else:
                state[name] = (
                    health_of(container) if container.get("State") == "running" else str(container.get("State"))
                )
        failed = {name: s for name, s in state.items() if s.startswith("exited ") and s != "exited 0"}
        if failed:
            raise ComposeTestFailed(f"a migrate failed: {failed}")
        if set(state) >= expected and all(s in ("done", "healthy") for name, s in state.items() if name in expected):
            return
        time.sleep(3)
    raise ComposeTestFailed(f"not healthy within {timeout_s:.0f}s: {state}")


# ---- the smoke journey ----


def wait_for(what: str, check: Callable[[], bool], timeout_s: float = 120.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise ComposeTestFailed(f"{what}: not within {timeout_s:.0f}s")
        time.sleep(1)


def service_names() -> list[str]:
    """The services whose database holds the trust directory (the portal's holds accounts only)."""
    from services.common.manifest import manifests

    return [name for name, manifest in manifests().items() if manifest.trust_directory]


def psql(env_file: Path, service: str, query: str) -> list[list[str]]:
    """Rows of a query on a service's database, as the superuser inside the postgres container. Through
    podman directly: docker-compose's own start-up would cost seconds a query on a busy machine."""
    container = f"{PROJECT}_postgres_1"  # docker-compose 1.29's name for the one postgres container
    args = ["exec", container, "psql", "-U", "postgres", "-d", f"plr_{service}", "-tAF", "\t", "-c", query]
    done = podman(*args, capture=True)
    return [line.split("\t") for line in done.stdout.splitlines() if line]


COUNTS = (
    "select 'published', routing_key, count(*) from outbox where published_at is not null group by 2"
    " union all select 'applied', consumer, count(*) from inbox group by 2"
)


def delivery_counts(env_file: Path) -> dict[str, tuple[int, int]]:
    """For every consumer of every service: (events it applied, events published by any service's outbox
    that its queue's bindings route to it). Equal when every event reached every service that wants it."""
    from services.common.manifest import manifests

    published: dict[str, int] = {}
    applied: dict[str, int] = {}
    for service in manifests():
        for kind, key, count in psql(env_file, service, COUNTS):
            into = published if kind == "published" else applied
            into[key] = into.get(key, 0) + int(count)
    return {
        consumer.inbox_name: (applied.get(consumer.inbox_name, 0), routed_count(published, consumer.queue.bindings))
        for manifest in manifests().values()
        for consumer in manifest.consumers
    }


def plr(env_file: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return dc(env_file, "exec", "-T", "registry-api", "plr", *args, capture=True, check=check)


def smoke_journey(env_file: Path, trust: str = SMOKE_TRUST) -> None:
    """What an administrator does first, through `docker compose exec`: every process healthy; onboard a
    trust and see it reach every service; register people (an import through the files volume) and see
    their events applied by every service's consumers; nothing left in any outbox."""
    # a container is healthy once its process beats; a worker's consumers attach a moment later, and
    # `plr health` asks for both: wait for it, and show its last answer if it never turns green
    last: list[subprocess.CompletedProcess[str]] = []

    def healthy() -> bool:
        last[:] = [plr(env_file, "health", check=False)]
        return last[0].returncode == 0

    try:
        wait_for("plr health", healthy, timeout_s=60.0)
    except ComposeTestFailed:
        raise ComposeTestFailed(f"plr health:\n{last[0].stdout}{last[0].stderr}") from None
    onboarded = plr(env_file, "trust", "onboard", "--ods", trust, "--name", "Smoke Test NHS Trust", "--json")
    assert json.loads(onboarded.stdout)["created"] is True, onboarded.stdout
    for service in service_names():

        def holds_trust(service: str = service) -> bool:
            listed = json.loads(plr(env_file, "trust", "list", "--service", service, "--json").stdout)
            return trust in [row["ods"] for row in listed]

        wait_for(f"trust {trust} in the {service} database", holds_trust)
        print(f"compose-test:   {service} holds trust {trust}", flush=True)
    # the administrator's files go through the volume the image's user can write
    registered_events = "select count(*) from outbox where event_type = 'plr.registry.leader.registered.v1'"
    registered_before = int(psql(env_file, "registry", registered_events)[0][0])
    csv = EXAMPLE_IMPORT.read_text()
    dc(env_file, "exec", "-T", "registry-api", "sh", "-c", f"cat > {FILES}/leaders.csv", input=csv, capture=True)
    imported = plr(env_file, "leaders", "import", f"{FILES}/leaders.csv", "--trust", trust, check=False)
    if imported.returncode != 0:
        raise ComposeTestFailed(f"plr leaders import exited {imported.returncode}:\n{imported.stdout}{imported.stderr}")
    people = len(csv.strip().splitlines()) - 1
    registered = int(psql(env_file, "registry", registered_events)[0][0]) - registered_before
    assert registered == people, f"{people} people imported, {registered} leader.registered events"

    def every_event_delivered() -> bool:
        # at least: an erasure (the offboarding at the end of a journey) deletes the events naming its
        # people from the outbox, while each consumer's inbox keeps the ids it applied
        return all(applied >= wanted for applied, wanted in delivery_counts(env_file).values())

    try:
        # generous: each imported person is mailed, and on a busy two-core machine that takes a while
        wait_for("every published event applied", every_event_delivered, timeout_s=300.0)
    except ComposeTestFailed:
        counts = ", ".join(f"{c} {a}/{w}" for c, (a, w) in delivery_counts(env_file).items())
        raise ComposeTestFailed(f"not every published event was applied (applied/routed): {counts}") from None
    for consumer, (applied, _) in delivery_counts(env_file).items():
        print(f"compose-test:   {consumer} applied {applied} event(s), all that were routed to it", flush=True)
    outbox = json.loads(plr(env_file, "outbox", "status", "--json").stdout)
    assert all(row["pending"] == 0 for row in outbox), outbox
    # an export comes back out of the files volume; the offboarding reaches every service
    export = f"{FILES}/{trust}-export.json"
    plr(env_file, "trust", "offboard", trust, "--export-to", export, "--yes")
    exported = dc(env_file, "exec", "-T", "registry-api", "cat", export, capture=True).stdout
    assert json.loads(exported), "an empty export"
    for service in service_names():

        def offboarded(service: str = service) -> bool:
            listed = json.loads(plr(env_file, "trust", "list", "--service", service, "--json").stdout)
            return [row["status"] for row in listed if row["ods"] == trust] == ["offboarded"]

        wait_for(f"trust {trust} offboarded at {service}", offboarded)
    print(f"compose-test:   {trust} exported ({len(exported)} bytes) and offboarded everywhere", flush=True)
    # every process's metrics, read inside its container as Prometheus would on the compose network
    for name, metric in (("registry-worker", "plr_relay_published_total"), ("registry-api", "plr_grpc_requests_total")):
        scraped = podman("exec", f"{PROJECT}_{name}_1", "python", "-c", SCRAPE, capture=True).stdout
        samples = [line for line in scraped.splitlines() if line.startswith(metric + "{")]
        assert samples and any(float(line.rsplit(" ", 1)[1]) > 0 for line in samples), (name, metric, samples)
        print(f"compose-test:   {name} metrics: {samples[0]}", flush=True)


# ---- backup, then restore into empty servers ----

BACKUP = f"{FILES}/backup"
RESTORED_TRUST = "RSR"


def admin_plr(env_file: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``docker compose run --rm plr-admin ...``: plr with the superuser's settings and pg_dump/pg_restore."""
    done = dc(env_file, "run", "--rm", "-T", "plr-admin", *args, capture=True, check=False)
    if done.returncode != 0:
        raise ComposeTestFailed(f"plr {args[0]} exited {done.returncode}:\n{done.stdout}{done.stderr}")
    print(f"compose-test:   {done.stdout.strip().splitlines()[0] if done.stdout.strip() else 'plr ' + args[0]}")
    return done


def take_backup(env_file: Path) -> dict[str, tuple[int, int]]:
    """``plr backup`` into the files volume; what every consumer had applied then."""
    admin_plr(env_file, "backup", "--to", BACKUP)
    return delivery_counts(env_file)


def restore_into_empty_servers(env_file: Path, expected: set[str], before: dict[str, tuple[int, int]]) -> None:
    """What an administrator does after losing both servers: remove every container and the servers'
    volumes (the files volume with the backup stays), start empty servers, ``plr restore``, then ``up``.
    Every consumer ends with exactly what it had applied at the backup, and the system works again."""
    dc(env_file, "rm", "--stop", "--force", capture=True)
    for volume in ("pgdata", "rabbitmq-data"):
        podman("volume", "rm", f"{PROJECT}_{volume}", capture=True)
    dc(env_file, "up", "-d", "--no-build", "postgres", "rabbitmq", capture=True)
    wait_until_healthy({"postgres", "rabbitmq"})
    admin_plr(env_file, "restore", "--from", BACKUP, "--yes")
    dc(env_file, "up", "-d", "--no-build", capture=True)
    wait_until_healthy(expected)

    def replayed() -> bool:
        return delivery_counts(env_file) == before

    wait_for("every consumer back to what it had applied at the backup, nothing twice", replayed)
    print(f"compose-test:   every consumer holds what it held at the backup ({len(before)} consumers)", flush=True)


SCRAPE = (
    "import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:9464/metrics', timeout=5).read().decode())"
)


def main() -> int:
    if not TOOL.is_file():
        print(f"compose-test: {TOOL} not found (set PLR_COMPOSE_E2E)", file=sys.stderr)
        return 1
    stages = Stages()
    import yaml

    # what `up` starts: every service but those behind a profile (plr-admin runs only when asked for)
    declared = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    expected = {name for name, service in declared.items() if not service.get("profiles")}
    status = 1
    with tempfile.TemporaryDirectory(prefix="plr-compose-test-") as scratch:
        env_file = throwaway_env_file(Path(scratch))
        started = False
        try:
            with stages.stage("install tools (once a machine)"):
                ensure_tools()
            with stages.stage("base images (once a machine)"):
                tool("stop", check=False, capture=True)  # a namespace left by an interrupted run
                tool("start", capture=True)
                started = True
                ensure_base_images()
                # what an interrupted run left (its volumes hold other passwords)
                dc(env_file, "down", "-v", "--remove-orphans", check=False, capture=True)
            with stages.stage("build the plr image"):
                os.environ.update(pip_build_args())
                dc(env_file, "build", "registry-api", capture=True)
            with stages.stage("up (servers, migrate, api, workers)"):
                dc(env_file, "up", "-d", "--no-build", capture=True)
            with stages.stage("wait until healthy"):
                wait_until_healthy(expected)
            with stages.stage("smoke journey"):
                smoke_journey(env_file)
            with stages.stage("backup (plr-admin)"):
                applied = take_backup(env_file)
            with stages.stage("restore into empty servers"):
                restore_into_empty_servers(env_file, expected, applied)
            with stages.stage("smoke journey on the restored system"):
                smoke_journey(env_file, RESTORED_TRUST)
            status = 0
        except (ComposeTestFailed, AssertionError) as error:
            print(f"compose-test: FAILED: {error}", file=sys.stderr)
            if started:
                logs = dc(env_file, "logs", "--no-color", "--tail", "40", check=False, capture=True)
                print(logs.stdout[-12000:], file=sys.stderr)
        finally:
            if started:
                with stages.stage("down -v"):
                    dc(env_file, "down", "-v", "--remove-orphans", check=False, capture=True)
                    tool("stop", check=False, capture=True)
    print(stages.summary(), flush=True)
    print("compose-test: " + ("passed" if status == 0 else "FAILED"), flush=True)
    return status


if __name__ == "__main__":
    raise SystemExit(main())
