"""``make run``: the whole system on this machine, without Docker, in the foreground.

Writes ``.plr/plr.env`` once (local URLs and freshly generated credentials), checks that PostgreSQL
and RabbitMQ answer (saying which does not, and how to start it), migrates every service, starts a mail
catcher (``mail_catcher.py``: messages land in ``.plr/mail/``) and every process with its logs, runs
each service's demo (its manifest's ``demo``: the registry onboards a demo
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

from services.common.admin.mail_catcher import LISTEN, catcher_listen
from services.common.admin.private_file import PathRefused, open_private
from services.common.admin.supervision import (
    AlreadyRunning,
    controlling_terminal,
    die_with_parent,
    hold_run_lock,
    hung_up,
)
from services.common.broker_users import (
    BrokerUsers,
    given_passwords,
    service_uri_variable,
    uri_as,
    with_own_broker_user,
)
from services.common.listen import why_cannot_listen
from services.common.manifest import in_demo_order, manifests
from services.common.settings import DEFAULT_ENV_FILE, PROJECT_ROOT, Settings, environment, load_settings, read_env_file
from services.common.topology import Management, ensure_broker_users

RUN_LOCK = PROJECT_ROOT / ".plr" / "run.lock"
# how long an api may take to serve, once started, before the demos are given up
API_START_S = 60.0


LOCAL_VHOST_URI = "amqp://127.0.0.1:5672/%2Fplr"


def local_env_lines() -> list[str]:
    users = BrokerUsers()
    lines = [
        "# written once by `make run`; delete it to start afresh with new credentials",
        # the administrator's broker user (plr's; tagged impersonator: `plr dlq replay` keeps each sender)
        f"PLR_AMQP_URI={uri_as(LOCAL_VHOST_URI, users.admin, secrets.token_urlsafe(24))}",
        # the local broker's own administrator, with which `make run` makes the broker users and migrate
        # declares the topology
        "PLR_AMQP_MANAGEMENT_URL=http://guest:guest@127.0.0.1:15672",
        "PLR_DATABASE_ADMIN_URL=postgresql://postgres@127.0.0.1:5432/postgres",
        f"PLR_ADMIN_TOKEN={secrets.token_urlsafe(32)}",
    ]
    for service, manifest in manifests().items():
        # each service's own broker user: its processes are given it as PLR_AMQP_URI (process_env)
        lines.append(
            f"{service_uri_variable(service)}={uri_as(LOCAL_VHOST_URI, users.of(service), secrets.token_urlsafe(24))}"
        )
        # each internal caller's own credential (the registry's portal), 43 characters
        lines += [f"{manifest.setting_variable(s)}={secrets.token_urlsafe(32)}" for s in manifest.settings if s.secret]
        lines.append(f"{manifest.database_url_variable}=postgresql://plr_{service}_app@127.0.0.1:5432/plr_{service}")
        lines.append(
            f"{manifest.database_owner_url_variable}=postgresql://plr_{service}_owner@127.0.0.1:5432/plr_{service}"
        )
        if manifest.api is not None:
            address = f"127.0.0.1:{manifest.api.default_port}"
            lines.append(f"{manifest.api_listen_variable}={address}")
            lines.append(f"{manifest.api_target_variable}={address}")
    return lines


def process_env(env: dict[str, str], service: str | None, role: str | None) -> dict[str, str]:
    """What one process is given: the settings, without the credentials it never reads (the
    administrator's token but to an api; each internal caller's token but to the roles that read it;
    none to a process of no service, the mail catcher; a service's processes connect to the broker as its
    own user, and none is given another's), and without the env file, which holds them all."""
    secret = {m.setting_variable(s) for m in manifests().values() for s in m.settings if s.secret}
    secret.add("PLR_ADMIN_TOKEN")
    reads: set[str] = set()
    if service is not None and role is not None:
        manifest = manifests()[service]
        reads = manifest.secret_variables(role)
        if role == "api" and manifest.api is not None and "PLR_ADMIN_TOKEN" in manifest.api.requires:
            reads.add("PLR_ADMIN_TOKEN")
    env = following_the_mail_catcher(env)
    given = with_own_broker_user({k: v for k, v in env.items() if k not in secret - reads}, service)
    given["PLR_ENV_FILE"] = os.devnull  # everything it reads is in its environment
    return given


def following_the_mail_catcher(env: dict[str, str]) -> dict[str, str]:
    """Where ``PLR_MAIL_CATCHER_LISTEN`` moves the catcher, every service setting that defaults to the
    catcher's address (an SMTP URL) follows it, unless it is set itself."""
    listen = env.get("PLR_MAIL_CATCHER_LISTEN")
    if not listen or listen == LISTEN:
        return env
    moved = dict(env)
    for manifest in manifests().values():
        for setting in manifest.settings:
            if setting.default == f"smtp://{LISTEN}":
                moved.setdefault(manifest.setting_variable(setting), f"smtp://{listen}")
    return moved


def ensure_env_file(path: Path = DEFAULT_ENV_FILE) -> None:
    if "PLR_ENV_FILE" in os.environ:
        return
    if path.is_symlink():  # never read, extended or written through a link planted in its place
        raise SystemExit(f"plr: the local settings were not written: {path} is a symbolic link; remove it")
    if path.exists():
        # written by an earlier `make run`: a service added since gets its settings, and nothing already
        # there changes (the credentials stay)
        present = read_env_file(path)
        missing = [line for line in local_env_lines()[1:] if line.partition("=")[0] not in present]
        if missing:
            ends_a_line = path.read_text().endswith("\n") or path.stat().st_size == 0
            with os.fdopen(os.open(path, os.O_WRONLY | os.O_APPEND | os.O_NOFOLLOW), "a") as file:
                file.write(("" if ends_a_line else "\n") + "".join(f"{line}\n" for line in missing))
            names = ", ".join(line.partition("=")[0] for line in missing)
            print(f"plr: added to {_shown(path)}: {names}")
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with open_private(path) as written:
            written.write("\n".join(local_env_lines()) + "\n")
    except PathRefused as refused:
        raise SystemExit(f"plr: the local settings were not written: {refused}") from None
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
    catcher = env.get("PLR_MAIL_CATCHER_LISTEN") or catcher_listen()
    taken = why_cannot_listen(catcher)
    if taken:
        problems.append(
            f"the mail catcher cannot listen on {catcher} (PLR_MAIL_CATCHER_LISTEN): {taken}. Another `make run` "
            f"(or another SMTP server) holds it: `ss -ltnp 'sport = :{catcher.rsplit(':', 1)[1]}'` names it"
        )
    for manifest in manifests().values():
        if manifest.web is not None:
            listen = env.get(manifest.web_listen_variable) or f"127.0.0.1:{manifest.web.default_port}"
            taken = why_cannot_listen(listen)
            if taken:
                problems.append(
                    f"{manifest.name}'s web cannot listen on {listen} ({manifest.web_listen_variable}): {taken}"
                )
        if manifest.api is None:
            continue
        listen = env.get(manifest.api_listen_variable) or f"127.0.0.1:{manifest.api.default_port}"
        taken = why_cannot_listen(listen)
        if taken:
            port = listen.rsplit(":", 1)[1]
            problems.append(
                f"{manifest.name}'s api cannot listen on {listen} ({manifest.api_listen_variable}): {taken}. "
                f"Another `make run` (in another checkout?) or another program holds it: `ss -ltnp 'sport = :{port}'` "
                f"names it. Stop it, or give {manifest.api_listen_variable} and {manifest.api_target_variable} "
                "another port in .plr/plr.env"
            )
    return problems


def ensure_local_broker_users(env: dict[str, str]) -> None:
    """The broker users the settings name (each service's, and the administrator's when PLR_AMQP_URI is
    his), made or given their passwords through the management API (ADR 0009)."""
    settings = load_settings(env)
    users = settings.broker_users
    passwords = given_passwords(users, settings.amqp_uri, settings.service_amqp_uris)
    ensure_broker_users(Management(settings.management_url(), settings.amqp_vhost), users, passwords)
    say(f"plr: broker users ready on vhost {settings.amqp_vhost}: {', '.join(sorted(passwords))}")


def say(text: str, *, error: bool = False) -> None:
    """One line on the terminal; a terminal that is gone (closed window: EIO, or a pipe whose reader
    died) must not stop the supervisor from stopping its processes in order."""
    stream = sys.stderr if error else sys.stdout
    try:
        stream.write(text + "\n")
        stream.flush()
    except OSError:
        pass


def _pump(name: str, stream: object) -> None:
    # drained to the end whatever happens to our own output: a child writing to a full pipe would block
    for line in iter(stream.readline, ""):  # type: ignore[attr-defined]
        say(f"{name:<22} | {line.rstrip(chr(10))}")


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
    # make (or whatever started this supervisor) killed with SIGKILL would leave it running, and its
    # children with it: it is told with SIGTERM, and stops everything as when its terminal is closed
    die_with_parent()
    # `nohup make run` asks to outlive the terminal: then neither SIGHUP nor a closed terminal stops it
    nohup = signal.getsignal(signal.SIGHUP) == signal.SIG_IGN
    terminal = None if nohup else controlling_terminal()
    ensure_env_file()
    env = environment()
    problems = check_dependencies(env)
    if problems:
        for problem in problems:
            say(f"plr: {problem}", error=True)
        raise SystemExit(1)
    bin_dir = Path(sys.executable).parent
    process_cmd = [str(bin_dir / "plr-process")]
    services = manifests()
    ensure_local_broker_users(env)
    for service in services:
        say(f"plr: migrating {service} ...")
        result = subprocess.run(
            [*process_cmd, service, "migrate"], env=process_env(env, service, "migrate"), preexec_fn=die_with_parent
        )
        if result.returncode != 0:
            raise SystemExit(f"plr: {service} migrate failed (exit {result.returncode})")
    processes: list[tuple[str, subprocess.Popen[str]]] = []
    plan = [(s, "api") for s, m in services.items() if m.api is not None] + [(s, "worker") for s in services]
    plan += [(s, "web") for s, m in services.items() if m.web is not None]
    # the mail catcher first: mail sent by a worker lands in .plr/mail/ (plr mail list), never delivered
    catcher = [sys.executable, "-m", "services.common.admin.mail_catcher"]  # PLR_MAIL_CATCHER_LISTEN, PLR_MAIL_DIR
    commands = [("mail-catcher", catcher, process_env(env, None, None))]
    commands += [(f"{s}-{r}", [*process_cmd, s, r], process_env(env, s, r)) for s, r in plan]
    for name, command, given in commands:
        child = subprocess.Popen(
            command,
            env=given,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            # its own session: Ctrl-C reaches only this supervisor, which stops everything in order;
            # and it dies with this supervisor however that dies (SIGKILL, a closed terminal)
            start_new_session=True,
            preexec_fn=die_with_parent,
        )
        processes.append((name, child))
        threading.Thread(target=_pump, args=(name, child.stdout), daemon=True).start()

    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    if not nohup:
        signal.signal(signal.SIGHUP, lambda *_: stopping.set())  # the terminal was closed
    failed: list[str] = []

    def keep_running() -> bool:
        """False once a process has ended by itself (the system is no longer whole), or once the
        terminal this run was started from is closed."""
        for name, child in processes:
            if child.poll() is not None and not failed:
                failed.append(name)
                say(f"plr: {name} exited with {child.returncode}; stopping everything", error=True)
                stopping.set()
        if terminal is not None and hung_up(terminal):
            stopping.set()
        return not stopping.is_set()

    try:
        # the demos in the background: a process that ends by itself meanwhile stops the run at once
        threading.Thread(target=_demos_then_running, args=(env, stopping), daemon=True).start()
        while keep_running():
            stopping.wait(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        stop_all(processes)
    if failed:  # whoever started `make run` (a script, CI) must see that it did not run
        raise SystemExit(1)


def stop_all(processes: list[tuple[str, subprocess.Popen[str]]], grace_s: float = 25.0) -> None:
    """SIGTERM to every process, then SIGKILL to those still running after ``grace_s``, or at once on
    a second Ctrl-C (an impatient administrator gets a prompt back, not a traceback)."""
    hurry = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: hurry.set())
    say("plr: stopping ... (Ctrl-C again to kill them now)")
    for _, child in processes:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    while any(child.poll() is None for _, child in processes) and time.monotonic() < deadline:
        hurry.wait(0.1)
        if hurry.is_set():
            break
    for name, child in processes:
        if child.poll() is None:
            say(f"plr: {name} did not stop {'yet' if hurry.is_set() else 'in time'}; killing it", error=True)
            child.kill()
            child.wait()
    say("plr: stopped.")


def _demos_then_running(env: dict[str, str], stopping: threading.Event) -> None:
    try:
        settings = load_settings(env)
    except Exception as error:  # the processes read these settings already: only a changed file gets here
        say(f"plr: the demos cannot read the settings: {error}", error=True)
        return
    if not _apis_serving(settings, stopping):
        return
    run_demos(settings, stopping)
    if not stopping.is_set():
        for name, listen in settings.webs.items():
            say(f"plr: the {name} is at http://{listen}/")
        say("plr: running. Try: .venv/bin/plr health   ·   Ctrl-C stops everything.")


def _apis_serving(settings: Settings, stopping: threading.Event) -> bool:
    """Waits until every api answers its health service SERVING; False when the run is stopping
    instead (a process ended: no demo, no "running"), or when one does not within API_START_S."""
    from services.common.admin.operations import api_health

    deadline = time.monotonic() + API_START_S
    waiting = [name for name, manifest in manifests().items() if manifest.api is not None]
    while not stopping.is_set():
        waiting = [name for name in waiting if not api_health(name, settings.api(name).target, settings.grpc_tls).ok]
        if not waiting:
            return True
        if time.monotonic() > deadline:
            say(f"plr: the {', '.join(waiting)} api did not answer within {API_START_S:.0f} s", error=True)
            return False
        stopping.wait(0.5)
    return False


def run_demos(settings: Settings, stopping: threading.Event) -> None:
    """Each service's demo (its manifest's ``demo``), once every process is started, saying what it
    did; one that fails is named and the others still run (what runs stays up to look at)."""
    found = manifests()
    for service in in_demo_order(found):
        manifest = found[service]
        if manifest.demo is None or stopping.is_set():
            continue
        try:
            done = manifest.demo(settings)
        except Exception as error:  # a demo is a convenience: `make run` goes on without it
            details = getattr(error, "details", None)  # a gRPC error's own message, without its debug string
            detail = details() if callable(details) else str(error)
            say(f"plr: the {service} demo failed: {type(error).__name__}: {detail}", error=True)
            continue
        say("plr: " + str(done).strip().replace("\n", "\nplr: "))


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:  # Ctrl-C before anything ran: its children die with it (die_with_parent)
        say("plr: interrupted", error=True)
        raise SystemExit(130) from None
