"""``make run``: the whole system on this machine, without Docker, in the foreground.

Writes ``.plr/plr.env`` once (local URLs and freshly generated credentials), checks that PostgreSQL
and RabbitMQ answer (saying which does not, and how to start it), migrates every service, starts every
process with its logs, runs each service's demo (its manifest's ``demo``: the registry onboards a demo
trust), and stops everything on Ctrl-C.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

from services.common.admin.supervision import AlreadyRunning, die_with_parent, hold_run_lock
from services.common.manifest import manifests
from services.common.settings import DEFAULT_ENV_FILE, PROJECT_ROOT, Settings, environment, load_settings, read_env_file

RUN_LOCK = PROJECT_ROOT / ".plr" / "run.lock"


def local_env_lines() -> list[str]:
    lines = [
        "# written once by `make run`; delete it to start afresh with new credentials",
        "PLR_AMQP_URI=amqp://guest:guest@127.0.0.1:5672/%2Fplr",
        "PLR_AMQP_MANAGEMENT_URL=http://guest:guest@127.0.0.1:15672",
        "PLR_DATABASE_ADMIN_URL=postgresql://postgres@127.0.0.1:5432/postgres",
        f"PLR_ADMIN_TOKEN={secrets.token_urlsafe(32)}",
        f"PLR_SERVICE_TOKEN={secrets.token_urlsafe(32)}",
    ]
    for service, manifest in manifests().items():
        lines.append(f"{manifest.database_url_variable}=postgresql://plr_{service}_app@127.0.0.1:5432/plr_{service}")
        lines.append(
            f"{manifest.database_owner_url_variable}=postgresql://plr_{service}_owner@127.0.0.1:5432/plr_{service}"
        )
        if manifest.api is not None:
            address = f"127.0.0.1:{manifest.api.default_port}"
            lines.append(f"{manifest.api_listen_variable}={address}")
            lines.append(f"{manifest.api_target_variable}={address}")
    return lines


def ensure_env_file(path: Path = DEFAULT_ENV_FILE) -> None:
    if "PLR_ENV_FILE" in os.environ:
        return
    if path.exists():
        # written by an earlier `make run`: a service added since gets its settings, and nothing already
        # there changes (the credentials stay)
        present = read_env_file(path)
        missing = [line for line in local_env_lines()[1:] if line.partition("=")[0] not in present]
        if missing:
            ends_a_line = path.read_text().endswith("\n") or path.stat().st_size == 0
            with path.open("a") as file:
                file.write(("" if ends_a_line else "\n") + "".join(f"{line}\n" for line in missing))
            names = ", ".join(line.partition("=")[0] for line in missing)
            print(f"plr: added to {_shown(path)}: {names}")
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(local_env_lines()) + "\n")
    path.chmod(0o600)
    print(f"plr: wrote {_shown(path)} (local settings and new credentials)")


def _shown(path: Path) -> Path:
    return path.relative_to(PROJECT_ROOT) if path.is_relative_to(PROJECT_ROOT) else path


def reachable(url: str, default_port: int) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or default_port), timeout=3):
            return True
    except OSError:
        return False


def check_dependencies(env: dict[str, str]) -> list[str]:
    problems = []
    # every service's database, each server once
    servers = {
        urlsplit(env[m.database_url_variable]).netloc.split("@")[-1]: env[m.database_url_variable]
        for m in manifests().values()
    }
    for server, url in servers.items():
        if not reachable(url, 5432):
            problems.append(
                f"PostgreSQL is not reachable at {server}; start it with: pg_ctlcluster --skip-systemctl-redirect "
                "$(ls /etc/postgresql) main start"
            )
    if not reachable(env["PLR_AMQP_URI"], 5672):
        problems.append(
            "RabbitMQ is not reachable at "
            + urlsplit(env["PLR_AMQP_URI"]).netloc.split("@")[-1]
            + "; start it with: rabbitmq-server -detached"
        )
    elif not reachable(env["PLR_AMQP_MANAGEMENT_URL"], 15672):
        problems.append(
            "the RabbitMQ management API is not reachable; enable it with: rabbitmq-plugins enable rabbitmq_management"
        )
    return problems


def _pump(name: str, stream: object) -> None:
    for line in iter(stream.readline, ""):  # type: ignore[attr-defined]
        sys.stdout.write(f"{name:<22} | {line}")
        sys.stdout.flush()


def take_run_lock() -> object:
    """One ``make run`` at a time: a second one would find the api port taken, and say so less clearly."""
    path = Path(os.environ.get("PLR_RUN_LOCK", str(RUN_LOCK)))
    try:
        return hold_run_lock(path)
    except AlreadyRunning as running:
        who, how = (f"pid {running.pid}", f"kill {running.pid}") if running.pid else (f"see {path}", "kill it")
        raise SystemExit(
            f"plr: `make run` is already running ({who}); "
            f"stop it (Ctrl-C in its terminal, or {how}) before starting another"
        ) from None


def main() -> None:
    lock = take_run_lock()  # noqa: F841 - held until this process ends
    ensure_env_file()
    env = environment()
    problems = check_dependencies(env)
    if problems:
        for problem in problems:
            print(f"plr: {problem}", file=sys.stderr)
        raise SystemExit(1)
    bin_dir = Path(sys.executable).parent
    process_cmd = [str(bin_dir / "plr-process")]
    services = manifests()
    for service in services:
        print(f"plr: migrating {service} ...", flush=True)
        result = subprocess.run([*process_cmd, service, "migrate"], env=env, preexec_fn=die_with_parent)
        if result.returncode != 0:
            raise SystemExit(f"plr: {service} migrate failed (exit {result.returncode})")
    processes: list[tuple[str, subprocess.Popen[str]]] = []
    plan = [(s, "api") for s, m in services.items() if m.api is not None] + [(s, "worker") for s in services]
    for service, role in plan:
        child = subprocess.Popen(
            [*process_cmd, service, role],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            # its own session: Ctrl-C reaches only this supervisor, which stops everything in order;
            # and it dies with this supervisor however that dies (SIGKILL, a closed terminal)
            start_new_session=True,
            preexec_fn=die_with_parent,
        )
        processes.append((f"{service}-{role}", child))
        threading.Thread(target=_pump, args=(f"{service}-{role}", child.stdout), daemon=True).start()

    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    signal.signal(signal.SIGHUP, lambda *_: stopping.set())  # the terminal was closed
    try:
        run_demos(load_settings(env), stopping)
        print("plr: running. Try: .venv/bin/plr health   ·   Ctrl-C stops everything.", flush=True)
        while not stopping.is_set():
            for name, child in processes:
                if child.poll() is not None:
                    print(f"plr: {name} exited with {child.returncode}; stopping everything", file=sys.stderr)
                    stopping.set()
            stopping.wait(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        print("plr: stopping ...", flush=True)
        for _, child in processes:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 25
        for name, child in processes:
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                print(f"plr: {name} did not stop in time; killing it", file=sys.stderr)
                child.kill()
        print("plr: stopped.")


def run_demos(settings: Settings, stopping: threading.Event) -> None:
    """Each service's demo, once every process is started, saying what it did; one that fails is named
    and the others still run (what runs stays up for the developer to look at)."""
    for service, manifest in manifests().items():
        if manifest.demo is None or stopping.is_set():
            continue
        try:
            done = manifest.demo(settings)
        except Exception as error:  # a demo is a convenience: `make run` goes on without it
            details = getattr(error, "details", None)  # a gRPC error's own message, without its debug string
            detail = details() if callable(details) else str(error)
            print(f"plr: the {service} demo failed: {type(error).__name__}: {detail}", file=sys.stderr, flush=True)
            continue
        print("plr: " + str(done).strip().replace("\n", "\nplr: "), flush=True)


if __name__ == "__main__":
    main()
