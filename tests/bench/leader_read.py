"""``make bench``: what a leader read costs through the registry's gRPC API, against a bare grpcio call.

1. The leader read: ``LeaderService.GetLeader`` as a trust's API key, on a leader that the trust
   registered, that confirmed the affiliation and consented to be contacted by it (so the whole
   profile is shown). Each call goes through what every call goes through: our own deserialization,
   authentication (the key looked up and verified), the trust's row-level-security scope, the read of
   the leader, its consents and the affiliation, the consent-gated view, the audit row written and
   committed, and the response serialized.
2. Bare grpcio: a minimal generic unary handler that returns its request bytes, on a server with the
   same thread pool size, called with the same request bytes and metadata.

3. The request schema: what reading GetLeader's request through its marshmallow schema costs, against
   checking its one field by hand, and its share of the CPU per leader read. The schema is used: it
   cost about 1% of a read when measured; a method whose schema costs its read path noticeably keeps
   the hand-written path and says so here.

Two arrangements, in one run: ``in-process`` (both servers in this process beside the client threads,
as the issue asks) and ``processes`` (the registry api as deployed, ``plr-process registry api`` with
its JSON logs at INFO, and the echo server, each in a process of its own; the CPU column is then that
server process's alone). Each side is called from 1 and from 8 client threads (one channel each) for
a fixed time after a warm-up, in interleaved windows (echo, leader read, echo, leader read, ...
``--windows`` pairs, 3 by default) so that a drift of the machine's load hits both: calls per second,
p50 and p99 latency, CPU per call and the load average of each window, each window's ratio leader
read / echo, and their median (the ratio reported). Prints figures; asserts nothing. Runs on the
servers named by PLR_TEST_* (as ``make test`` does), defaulting to the local ones, in databases and a
vhost of its own that are dropped afterwards.
About three minutes with the defaults.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
import timeit
from collections.abc import Callable, Iterator, Sequence
from concurrent import futures
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import grpc
import sqlalchemy as sa
from plr.registry.v1 import leaders_pb2 as lpb
from plr.registry.v1 import leaders_pb2_grpc, registry_pb2_grpc
from plr.registry.v1 import registry_pb2 as pb

from services.common.db import scoped_transaction
from services.common.grpc_client import bearer
from services.common.manifest import manifests
from services.common.settings import Settings
from services.common.tenancy import TenantScope
from services.registry.adapters.tables import audit_log
from services.registry.entrypoints.api import build_server
from tests.bench.pipeline import load_average, median_ratio, say, setting
from tests.support.infra import ROOT, Infra, PlrStack, free_port, plr_stack

ECHO_METHOD = "/plr.bench.Echo/Echo"
THREADS = (1, 8)


@dataclass(frozen=True)
class Result:
    name: str
    threads: int
    calls: int
    seconds: float
    latencies_ms: list[float]
    errors: int
    all_calls: int  # warm-up included
    cpu_s: float  # CPU time (user + system) of the server side's process while measuring
    client_cpu_s: float | None = None  # the client threads' process's (None in-process: cpu_s is all of it)
    database_cpu_s: float = 0.0  # PostgreSQL's: the bench's backends and the server's own processes
    window: int = 1
    load: str = ""  # the machine's load average once the window ended

    @property
    def rate(self) -> float:
        return self.calls / self.seconds

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies_ms)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]

    def per_call(self, cpu_s: float) -> float:
        """Milliseconds of that CPU per measured call."""
        return cpu_s / max(self.calls, 1) * 1000

    def line(self) -> str:
        return (
            f"  w{self.window} {self.name:<12} {self.threads:>2} threads  {self.rate:8.0f} calls/s   "
            f"p50 {self.percentile(50):6.2f} ms   p99 {self.percentile(99):6.2f} ms   "
            f"CPU {self.per_call(self.cpu_s):5.2f} ms/call ("
            + ("" if self.client_cpu_s is None else f"client {self.per_call(self.client_cpu_s):4.2f}, ")
            + f"PostgreSQL {self.per_call(self.database_cpu_s):4.2f})   ({self.load})"
            + (f"   ({self.errors} errors)" if self.errors else "")
        )


def _cpu() -> float:
    times = os.times()
    return times.user + times.system


def database_cpu(database_prefix: str) -> Callable[[], dict[int, float]]:
    """CPU seconds of each PostgreSQL process that serves the bench: the backends of its databases
    (named ``database_prefix``...) and the server's own (WAL writer, checkpointer, ...), from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")

    def read() -> dict[int, float]:
        seen: dict[int, float] = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                    title = cmdline.read().decode(errors="replace")
                with open(f"/proc/{entry}/stat") as stat:
                    fields = stat.read().rpartition(")")[2].split()
            except OSError:  # gone meanwhile
                continue
            if not title.startswith("postgres:"):
                continue
            # a backend's title is "postgres: <cluster>: <user> <database> <client> <state>"
            words = title.split(":", 2)[-1].split()
            backend = len(words) >= 3 and "(" in words[2]
            if backend and not words[1].startswith(database_prefix):
                continue  # another database's backend (another session's tests, say)
            if words[:2] == ["autovacuum", "worker"] and len(words) > 2 and not words[2].startswith(database_prefix):
                continue
            seen[int(entry)] = (int(fields[11]) + int(fields[12])) / ticks
        return seen

    return read


def drive(
    name: str,
    one_call: Callable[[], object],
    threads: int,
    seconds: float,
    warmup_s: float,
    cpu: Callable[[], float],
    database: Callable[[], dict[int, float]] = dict,
) -> Result:
    """Call ``one_call`` from ``threads`` threads: a warm-up, then ``seconds`` measured."""
    start = threading.Barrier(threads + 1)
    measuring = threading.Event()
    stop = threading.Event()
    per_thread: list[list[float]] = [[] for _ in range(threads)]
    errors = [0] * threads
    made = [0] * threads

    def loop(n: int) -> None:
        own = per_thread[n]
        start.wait()
        while not stop.is_set():
            began = time.perf_counter()
            try:
                one_call()
            except grpc.RpcError:
                errors[n] += 1
                continue
            made[n] += 1
            if measuring.is_set():
                own.append((time.perf_counter() - began) * 1000)

    workers = [threading.Thread(target=loop, args=(n,), daemon=True) for n in range(threads)]
    for worker in workers:
        worker.start()
    start.wait()
    time.sleep(warmup_s)
    measuring.set()
    began, cpu_began, client_began, database_began = time.perf_counter(), cpu(), _cpu(), database()
    time.sleep(seconds)
    measuring.clear()
    elapsed, cpu_s, client_s = time.perf_counter() - began, cpu() - cpu_began, _cpu() - client_began
    database_s = sum(spent - database_began.get(pid, 0.0) for pid, spent in database().items())
    stop.set()
    for worker in workers:
        worker.join(30)
    latencies = [ms for own in per_thread for ms in own]
    return Result(
        name,
        threads,
        len(latencies),
        elapsed,
        latencies,
        sum(errors),
        sum(made),
        cpu_s,
        None if cpu is _cpu else client_s,  # in-process, the servers' CPU is the client's process's
        database_s,
    )


@contextmanager
def echo_server(max_workers: int, listen: str = "127.0.0.1:0") -> Iterator[str]:
    def echo(request: bytes, context: grpc.ServicerContext) -> bytes:
        return request

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=max_workers), options=[("grpc.so_reuseport", 0)])
    handler = grpc.unary_unary_rpc_method_handler(echo, request_deserializer=None, response_serializer=None)
    server.add_generic_rpc_handlers([grpc.method_handlers_generic_handler("plr.bench.Echo", {"Echo": handler})])
    port = server.add_insecure_port(listen)
    server.start()
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.stop(1).wait()


def serve_echo(port: int, max_workers: int) -> None:
    """``--serve-echo``: the echo server alone, in a process of its own, until stdin closes."""
    with echo_server(max_workers, f"127.0.0.1:{port}"):
        print("ready", flush=True)
        sys.stdin.read()


@contextmanager
def echo_process(max_workers: int) -> Iterator[tuple[str, int]]:
    port = free_port()
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.bench.leader_read", "--serve-echo", str(port), "--pool-size", str(max_workers)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "ready", "the echo server did not start"
        yield f"127.0.0.1:{port}", child.pid
    finally:
        assert child.stdin is not None
        child.stdin.close()
        try:
            child.wait(10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait(5)


# ``--compare-with DIR``: the api run from another checkout's code (this venv's editable install, which
# would find this checkout's, set aside), for an A/B of two versions of the code in one run
OTHER_CHECKOUT = """import sys
sys.meta_path[:] = [f for f in sys.meta_path if not (getattr(f, '__module__', '') or '').startswith('__editable__')]
sys.path[:0] = [sys.argv[1], sys.argv[1] + '/proto/gen/python']
from services.common.process import main
sys.argv[:] = ['plr-process', sys.argv[2], 'api']
sys.exit(main())
"""


@contextmanager
def api_process(
    stack: PlrStack, settings: Settings, checkout: Path | None = None, service: str = "registry"
) -> Iterator[tuple[str, int]]:
    """The service's api as it is deployed (``plr-process SERVICE api``, JSON logs at INFO), to /dev/null;
    ``checkout``: from that checkout's code instead of this one's."""
    port = free_port()
    env = {
        **os.environ,
        **stack.env,
        manifests()[service].api_listen_variable: f"127.0.0.1:{port}",
        "PLR_DB_POOL_SIZE": str(settings.pool_size),
        "PLR_LOG_LEVEL": "INFO",
    }
    command = (
        [sys.executable, "-c", OTHER_CHECKOUT, str(checkout), service]
        if checkout
        else [str(Path(sys.executable).parent / "plr-process"), service, "api"]
    )
    child = subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    target = f"127.0.0.1:{port}"
    try:
        with grpc.insecure_channel(target) as channel:
            grpc.channel_ready_future(channel).result(timeout=30)
        yield target, child.pid
    finally:
        child.send_signal(signal.SIGTERM)
        try:
            child.wait(15)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait(5)


@contextmanager
def in_process_api(settings: Settings) -> Iterator[str]:
    server = build_server(settings, "127.0.0.1:0")
    server.start()
    try:
        yield f"127.0.0.1:{server.port}"
    finally:
        server.stop(grace_s=1)


@dataclass(frozen=True)
class Fixture:
    key: str
    leader_id: str


def prepare(stack: PlrStack, target: str, ods: str) -> Fixture:
    """A trust, and a leader it registered, confirmed by the leader, contactable by the trust."""
    with grpc.insecure_channel(target) as channel:
        registry = registry_pb2_grpc.RegistryServiceStub(channel)
        leaders = leaders_pb2_grpc.LeaderServiceStub(channel)
        made = registry.CreateTrust(
            pb.CreateTrustRequest(ods=ods, name=f"Benchmark NHS Trust {ods}"),
            metadata=bearer(stack.env["PLR_ADMIN_TOKEN"]),
            timeout=10,
        )
        key = made.initial_key.key
        profile = lpb.LeaderProfile(
            given_name="Bench",
            family_name="Leader",
            email=f"bench.leader.{ods.lower()}@example.org",
            phone="01234 567890",
            postcode="SE1 7EH",
            skills=["chairing", "reviewing_documents"],
            interests=["ppv_level_3"],
            availability=lpb.Availability(hours_per_month=8, days=["mon", "wed"], modes=["remote"]),
            access_needs="Step-free access",
            preferred_formats=["email", "large_print"],
        )
        affiliation = leaders.RegisterLeader(
            lpb.RegisterLeaderRequest(profile=profile), metadata=bearer(key), timeout=10
        ).affiliation
        as_leader = (*bearer(stack.env["PLR_REGISTRY_PORTAL_TOKEN"]), ("x-plr-leader", affiliation.leader_id))
        leaders.ConfirmAffiliation(
            lpb.ConfirmAffiliationRequest(affiliation_id=affiliation.affiliation_id), metadata=as_leader, timeout=10
        )
        leaders.RecordConsent(
            lpb.RecordConsentRequest(
                leader_id=affiliation.leader_id,
                purpose="contact_by_trust",
                target=ods,
                grant=True,
                wording_version="2026-11",
            ),
            metadata=as_leader,
            timeout=10,
        )
        seen = leaders.GetLeader(
            lpb.GetLeaderRequest(leader_id=affiliation.leader_id), metadata=bearer(key), timeout=10
        )
        assert seen.profile.email == profile.email and seen.contactable, seen
    return Fixture(key, affiliation.leader_id)


def audit_rows(stack: PlrStack) -> int:
    with scoped_transaction(stack.engine("registry"), TenantScope.platform_wide()) as connection:
        return int(connection.execute(sa.select(sa.func.count()).select_from(audit_log)).scalar_one())


def process_cpu(pid: int) -> Callable[[], float]:
    """CPU seconds (user + system) of another process, from /proc (Linux)."""
    ticks = os.sysconf("SC_CLK_TCK")

    def read() -> float:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / ticks

    return read


def measure(
    mode: str, stack: PlrStack, settings: Settings, options: argparse.Namespace
) -> tuple[list[Result], int, int]:
    """Both sides in one mode: (results, audit rows written, leader reads answered)."""
    results: list[Result] = []
    pool = settings.pool_size
    if mode == "in-process":
        servers = contextlib.ExitStack()
        target = servers.enter_context(in_process_api(settings))
        echo_target = servers.enter_context(echo_server(pool))
        read_cpu = bare_cpu = _cpu
    else:
        servers = contextlib.ExitStack()
        target, api_pid = servers.enter_context(api_process(stack, settings))
        echo_target, echo_pid = servers.enter_context(echo_process(pool))
        read_cpu, bare_cpu = process_cpu(api_pid), process_cpu(echo_pid)
    subjects: list[tuple[str, str, Callable[[], float]]] = [("leader read", target, read_cpu)]
    if mode == "processes" and options.compare_with:
        other_target, other_pid = servers.enter_context(api_process(stack, settings, options.compare_with))
        subjects.append(("other read", other_target, process_cpu(other_pid)))
    with servers:
        fixture = prepare(stack, target, f"RBN{list(MODES).index(mode) + 1}")
        before = audit_rows(stack)
        request = lpb.GetLeaderRequest(leader_id=fixture.leader_id)
        raw = request.SerializeToString()
        with contextlib.ExitStack() as channels:
            echo_channel = channels.enter_context(grpc.insecure_channel(echo_target))
            metadata = bearer(fixture.key)
            echo = echo_channel.unary_unary(ECHO_METHOD, request_serializer=None, response_deserializer=None)

            def reader(stub: leaders_pb2_grpc.LeaderServiceStub) -> Callable[[], object]:
                return lambda: stub.GetLeader(request, metadata=metadata, timeout=10)

            def bare() -> object:
                return echo(raw, metadata=metadata, timeout=10)

            sides: list[tuple[str, Callable[[], object], Callable[[], float]]] = [("echo", bare, bare_cpu)] + [
                (
                    name,
                    reader(leaders_pb2_grpc.LeaderServiceStub(channels.enter_context(grpc.insecure_channel(at)))),
                    cpu,
                )
                for name, at, cpu in subjects
            ]
            for threads in options.threads:
                for window in range(1, options.windows + 1):
                    # the peer first, then the subject: a load that drifts through the run hits both
                    for name, one_call, cpu in sides:
                        if options.only and name != options.only:
                            continue
                        result = drive(
                            name,
                            one_call,
                            threads,
                            options.seconds,
                            options.warmup_s,
                            cpu,
                            database_cpu(f"plr_t{stack.suffix}_"),
                        )
                        result = replace(result, window=window, load=load_average())
                        say(result.line())
                        results.append(result)
        audited = audit_rows(stack) - before
    return results, audited, sum(r.all_calls for r in results if r.name != "echo")


MODES = {
    "in-process": "both servers in this process, beside the client threads (CPU: the whole process)",
    "processes": "the registry api as deployed (plr-process registry api, JSON logs at INFO) and the echo "
    "server each in a process of its own (CPU: that server process only)",
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.leader_read", description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0, help="measured time per window")
    parser.add_argument(
        "--windows", type=int, default=3, help="interleaved echo/leader read windows; the median counts"
    )
    parser.add_argument("--warmup-s", type=float, default=1.0)
    parser.add_argument("--threads", type=int, nargs="+", default=list(THREADS), help="client threads per run")
    parser.add_argument("--mode", choices=[*MODES, "both"], default="both")
    parser.add_argument("--only", choices=("leader read", "echo"), help="run one side only (for profiling)")
    parser.add_argument("--pool-size", type=int, default=0, help="server threads = database pool (0: PLR_DB_POOL_SIZE)")
    parser.add_argument("--serve-echo", type=int, metavar="PORT", help=argparse.SUPPRESS)
    parser.add_argument(
        "--compare-with",
        type=Path,
        metavar="DIR",
        help="also run the api (processes mode) from another checkout's code, as 'other read', in the same "
        "windows: an A/B of two versions of the code under the same load",
    )
    options = parser.parse_args(argv)
    if options.serve_echo:
        serve_echo(options.serve_echo, options.pool_size or 5)
        return

    infra = Infra(
        setting("PLR_TEST_DATABASE_ADMIN_URL"),
        setting("PLR_TEST_AMQP_URI"),
        setting("PLR_TEST_AMQP_MANAGEMENT_URL"),
    )
    say(
        f"bench: PostgreSQL {infra.pg_admin_url.rpartition('@')[2]}, RabbitMQ {infra.amqp_uri.rpartition('@')[2]}, "
        f"{os.cpu_count()} cores"
    )
    modes = list(MODES) if options.mode == "both" else [options.mode]
    measured: dict[str, tuple[list[Result], int, int]] = {}
    with plr_stack(infra, services=("registry",)) as stack:
        settings = stack.settings
        if options.pool_size:
            settings = replace(settings, pool_size=options.pool_size)
        say(
            f"bench: databases plr_t{stack.suffix}_*, vhost {stack.vhost} (dropped at the end); "
            f"server threads {settings.pool_size}"
        )
        for mode in modes:
            say(f"{mode}: {MODES[mode]}")
            measured[mode] = measure(mode, stack, settings, options)

    say("")
    say("leader read: GetLeader as a trust's key (authentication, tenancy, the read, the consent-gated view,")
    say(
        f"an audit row committed) against a bare grpcio echo (generic unary handler); server threads "
        f"{settings.pool_size} each"
    )
    for mode, (results, audited, reads) in measured.items():
        say(f"{mode}: {MODES[mode]}")
        for result in results:
            say(result.line())
        subjects = [] if options.only else sorted({r.name for r in results if r.name != "echo"})
        for threads, subject in [(t, s) for t in options.threads for s in subjects]:
            pairs = [
                (read, bare)
                for read in results
                if read.name == subject and read.threads == threads
                for bare in results
                if bare.name == "echo" and bare.threads == threads and bare.window == read.window
            ]
            each = ", ".join(f"w{read.window} {read.rate / bare.rate:.2f}" for read, bare in pairs)
            say(
                f"  ratio {subject} / echo at {threads} thread{'s' if threads > 1 else ''} ({mode}): "
                f"{median_ratio([read.rate / bare.rate for read, bare in pairs]):.2f} (median of {each}; "
                f"median p50 {statistics.median(r.percentile(50) for r, _ in pairs):.2f} vs "
                f"{statistics.median(b.percentile(50) for _, b in pairs):.2f} ms)"
            )
            if mode == "processes" and pairs:
                say(machine_cpu(subject, threads, pairs))
        say(f"  audit rows written: {audited}, one per leader read answered ({reads}, warm-up included)")
    schema_us, direct_us = request_schema_cost()
    cpu_ms = [r.cpu_s / max(r.calls, 1) * 1000 for rs, _, _ in measured.values() for r in rs if r.name == "leader read"]
    share = f" ({schema_us / 10 / min(cpu_ms):.1f}% of the least CPU per leader read above)" if cpu_ms else ""
    say(
        f"request schema: GetLeader reads its request through its marshmallow schema (grpc_leaders.LEADER_REF), "
        f"{schema_us:.1f} us a call{share}; the id checked by hand would take {direct_us:.1f} us"
    )


def machine_cpu(subject: str, threads: int, pairs: Sequence[tuple[Result, Result]]) -> str:
    """The machine's CPU per call on each side (medians of the windows), and what it bounds: where the
    cores are what limits both sides, a read cannot be answered faster than the CPU it costs allows."""

    def median_ms(results: Sequence[Result], part: Callable[[Result], float | None]) -> float:
        return statistics.median(r.per_call(part(r) or 0.0) for r in results)

    reads, bares = [r for r, _ in pairs], [b for _, b in pairs]
    api, client, database = (
        median_ms(reads, lambda r: r.cpu_s),
        median_ms(reads, lambda r: r.client_cpu_s),
        median_ms(reads, lambda r: r.database_cpu_s),
    )
    server, echo_client = median_ms(bares, lambda r: r.cpu_s), median_ms(bares, lambda r: r.client_cpu_s)
    read_total, echo_total = api + client + database, server + echo_client
    spent = (
        f"  machine CPU per call at {threads} thread{'s' if threads > 1 else ''} (medians): {subject}: api {api:.2f} + "
        f"client {client:.2f} + PostgreSQL {database:.2f} = {read_total:.2f} ms; echo: server {server:.2f} + client "
        f"{echo_client:.2f} = {echo_total:.2f} ms"
    )
    if threads == 1:  # one call at a time waits more than it computes: the cores are not what limits it
        return spent
    return (
        f"{spent}. Where the cores are the limit the ratio is at most {echo_total / read_total:.2f}, and with an "
        f"api that cost nothing {echo_total / (client + database):.2f}"
    )


def request_schema_cost(calls: int = 20000) -> tuple[float, float]:
    """Microseconds per call: GetLeader's request schema, and the same id check by hand (best of 5)."""
    from services.common.grpc_edge import parse_uuid
    from services.registry.entrypoints.grpc_leaders import LEADER_REF

    request = lpb.GetLeaderRequest(leader_id="0b5e4c9a-3f0e-4a51-9d4e-2f6c1d7b8a90")
    schema = min(timeit.repeat(lambda: LEADER_REF.parse(request), number=calls, repeat=5)) / calls * 1e6
    direct = min(timeit.repeat(lambda: parse_uuid(request.leader_id), number=calls, repeat=5)) / calls * 1e6
    return schema, direct


if __name__ == "__main__":
    main()
