"""``plr``: the administrator's command.

plr trust onboard --ods RXX --name "Example NHS Trust"
plr trust list --service registry|matching|recruitment|integration [--json]
plr trust key rotate RXX [--yes]
plr health [--json]
plr outbox status [--json]
plr dlq list [--json]
plr dlq replay QUEUE [--id EVENT_ID]
plr leaders import FILE.csv --trust RXX [--errors-to PATH] [--batch-size N]

Exit codes: 0 done; 1 failed (refused, or an api unreachable); 2 bad input; 3 some import rows refused;
75 a service's database unavailable or too slow, or the api did not answer in time: the call was rolled
back (or, cut at its commit or past plr's deadline, took effect once): run the same command again.
"""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from typing import Any

import grpc

from services.common.settings import SERVICES, Settings, load_or_exit

EXIT_USAGE = 2
EXIT_FAILED = 1
EXIT_ROWS_REFUSED = 3
# a service's database is unavailable or did not answer in time: the call was rolled back (a call cut at
# its commit took effect once), and every plr command is safe to run again (sysexits.h's EX_TEMPFAIL)
EXIT_TRY_AGAIN = 75


def _print_table(rows: list[dict[str, Any]], columns: list[str]) -> None:
    if not rows:
        print("(none)")
        return
    widths = {c: max(len(c), *(len(str(r.get(c, ""))) for r in rows)) for c in columns}
    print("  ".join(c.upper().ljust(widths[c]) for c in columns))
    for row in rows:
        print("  ".join(str(row.get(c, "")).ljust(widths[c]) for c in columns))


def _registry(settings: Settings) -> tuple[Any, grpc.Channel]:
    from plr.registry.v1 import registry_pb2_grpc

    from services.common.grpc_client import insecure_channel

    # an offboarding export can be large, and it is answered once: accept up to 1 GiB
    channel = insecure_channel(settings.registry_api_target, max_receive_bytes=1024 * 1024 * 1024)
    return registry_pb2_grpc.RegistryServiceStub(channel), channel


def _metadata(settings: Settings) -> tuple[tuple[str, str], ...]:
    from services.common.grpc_client import bearer

    assert settings.admin_token is not None
    return bearer(settings.admin_token, str(uuid.uuid4()))


def _unavailable_database(error: grpc.RpcError) -> str | None:
    from services.common.grpc_server import UNAVAILABLE_DATABASE_KEY

    trailing = error.trailing_metadata() if isinstance(error, grpc.Call) else None
    return next((value for key, value in trailing or () if key == UNAVAILABLE_DATABASE_KEY), None)


def _rpc_failed(error: grpc.RpcError, settings: Settings) -> int:
    code = error.code()
    database = _unavailable_database(error)
    if database is not None:
        what = "is unavailable" if code == grpc.StatusCode.UNAVAILABLE else "did not answer in time"
        print(f"plr: the {database} database {what}; try again shortly ({error.details()})", file=sys.stderr)
        return EXIT_TRY_AGAIN
    if code == grpc.StatusCode.DEADLINE_EXCEEDED:
        # plr's own deadline (10 s) is shorter than the api's statement and pool timeouts (15 s, 30 s): a slow
        # or hung database shows here first, with no trailing metadata, and the call may still take effect
        print(
            f"plr: the registry api at {settings.registry_api_target} did not answer in time (its database may be "
            "slow or unavailable); the call may still take effect: run the same command again shortly",
            file=sys.stderr,
        )
        return EXIT_TRY_AGAIN
    if code == grpc.StatusCode.UNAVAILABLE:
        print(
            f"plr: the registry api at {settings.registry_api_target} is unreachable (is `make run` running?)",
            file=sys.stderr,
        )
        return EXIT_FAILED
    if code == grpc.StatusCode.INVALID_ARGUMENT:
        print(f"plr: invalid input: {error.details()}", file=sys.stderr)
        return EXIT_USAGE
    print(f"plr: {code.name.lower()}: {error.details()}", file=sys.stderr)
    return EXIT_FAILED


def trust_onboard(args: argparse.Namespace) -> int:
    from plr.registry.v1 import registry_pb2 as pb

    settings = load_or_exit(require=("PLR_ADMIN_TOKEN",))
    stub, channel = _registry(settings)
    try:
        response = stub.CreateTrust(
            pb.CreateTrustRequest(ods=args.ods, name=args.name), metadata=_metadata(settings), timeout=10
        )
    except grpc.RpcError as error:
        return _rpc_failed(error, settings)
    finally:
        channel.close()
    trust = response.trust
    if args.json:
        out = {"ods": trust.ods, "name": trust.name, "created": response.created, "version": trust.version}
        if response.created:
            out["api_key"] = response.initial_key.key
        print(json.dumps(out))
    elif response.created:
        print(f"Onboarded trust {trust.ods} ({trust.name}).")
        print("Its first API key, shown once; give it to the trust's system and store it safely:")
        print(f"  {response.initial_key.key}")
    else:
        print(f"Trust {trust.ods} ({trust.name}) already exists; nothing changed.")
    return 0


def trust_list(args: argparse.Namespace) -> int:
    from services.common.admin.operations import list_trusts

    settings = load_or_exit()
    try:
        rows = list_trusts(settings, args.service)
    except Exception as error:
        from services.common.db import is_transient_db_error

        print(f"plr: cannot read the {args.service} database: {_short(error)}", file=sys.stderr)
        return EXIT_TRY_AGAIN if is_transient_db_error(error) else EXIT_FAILED
    if args.json:
        print(json.dumps(rows))
    else:
        _print_table(rows, ["ods", "name", "status", "version"])
    return 0


def trust_key_rotate(args: argparse.Namespace) -> int:
    from plr.registry.v1 import registry_pb2 as pb

    settings = load_or_exit(require=("PLR_ADMIN_TOKEN",))
    stub, channel = _registry(settings)
    metadata = _metadata(settings)
    try:
        old = [
            k.key_id
            for k in stub.ListTrustKeys(pb.ListTrustKeysRequest(ods=args.ods), metadata=metadata, timeout=10).keys
            if not k.HasField("revoked_at")
        ]
        issued = stub.IssueTrustKey(pb.IssueTrustKeyRequest(ods=args.ods), metadata=metadata, timeout=10).key
        print(f"New API key for {args.ods}, shown once; store it safely:\n  {issued.key}")
        if not old:
            return 0
        if not args.yes:
            if not sys.stdin.isatty():
                print(
                    f"Not revoking {', '.join(old)}: no terminal to confirm on; run again with --yes or revoke later.",
                    file=sys.stderr,
                )
                return 0
            answer = input(
                f"Revoke the old key(s) {', '.join(old)} now? Systems still using them will be refused. [y/N] "
            )
            if answer.strip().lower() not in ("y", "yes"):
                print("Old key(s) kept; both old and new keys work until you revoke.")
                return 0
        for key_id in old:
            stub.RevokeTrustKey(pb.RevokeTrustKeyRequest(ods=args.ods, key_id=key_id), metadata=metadata, timeout=10)
            print(f"Revoked {key_id}.")
    except grpc.RpcError as error:
        return _rpc_failed(error, settings)
    finally:
        channel.close()
    return 0


def trust_suspend(args: argparse.Namespace) -> int:
    from plr.registry.v1 import registry_pb2 as pb

    return _trust_call(
        lambda stub, md: stub.SuspendTrust(
            pb.SuspendTrustRequest(ods=args.ods, reason=args.reason), metadata=md, timeout=10
        ),
        "suspended: its keys are refused until it is resumed",
    )


def trust_resume(args: argparse.Namespace) -> int:
    from plr.registry.v1 import registry_pb2 as pb

    return _trust_call(
        lambda stub, md: stub.ResumeTrust(pb.ResumeTrustRequest(ods=args.ods), metadata=md, timeout=10),
        "resumed: its keys work again",
    )


def _trust_call(call: Any, done: str) -> int:
    settings = load_or_exit(require=("PLR_ADMIN_TOKEN",))
    stub, channel = _registry(settings)
    try:
        trust = call(stub, _metadata(settings))
    except grpc.RpcError as error:
        return _rpc_failed(error, settings)
    finally:
        channel.close()
    print(f"Trust {trust.ods} ({trust.name}) {done}.")
    return 0


def trust_offboard(args: argparse.Namespace) -> int:
    from pathlib import Path

    from plr.registry.v1 import registry_pb2 as pb

    settings = load_or_exit(require=("PLR_ADMIN_TOKEN",))
    export = Path(args.export_to)
    if export.exists():
        print(f"plr: {export} exists; choose a new file for the trust's export", file=sys.stderr)
        return EXIT_USAGE
    confirm = args.ods if args.yes else ""
    if not args.yes:
        if not sys.stdin.isatty():
            print("plr: offboarding erases data; run it on a terminal, or pass --yes", file=sys.stderr)
            return EXIT_USAGE
        confirm = input(
            f"Offboarding {args.ods} ends its affiliations, erases leaders only it held and revokes "
            f"its keys. Type {args.ods} to go on: "
        ).strip()
    stub, channel = _registry(settings)
    try:
        response = stub.OffboardTrust(
            pb.OffboardTrustRequest(ods=args.ods, confirm_ods=confirm), metadata=_metadata(settings), timeout=120
        )
    except grpc.RpcError as error:
        return _rpc_failed(error, settings)
    finally:
        channel.close()
    export.write_text(response.export_document)
    export.chmod(0o600)
    print(
        f"Trust {args.ods} offboarded: {response.affiliations_ended} affiliation(s) ended, "
        f"{response.leaders_erased} leader(s) erased; its export is in {export}."
    )
    return 0


def leaders_import(args: argparse.Namespace) -> int:
    """Exit 0: every row imported or unchanged; 3: some rows refused (listed; the rest imported);
    2: the file refused (nothing sent); 75: the registry's database was unavailable (run it again);
    1: the registry refused or could not be reached."""
    from pathlib import Path

    from services.common.admin.leader_import import (
        FileRefused,
        ImportReport,
        default_errors_path,
        import_register,
        summary,
    )

    settings = load_or_exit(require=("PLR_ADMIN_TOKEN",))
    path = Path(args.file)
    errors_to = Path(args.errors_to) if args.errors_to else default_errors_path(path)
    report = ImportReport()
    try:
        import_register(settings, path, args.trust, errors_to, report, sys.stderr, args.batch_size)
    except FileRefused as error:
        print(f"plr: {error}", file=sys.stderr)
        return EXIT_USAGE
    except grpc.RpcError as error:
        print(
            f"plr: stopped after {report.rows:,} row(s); run the same command again to finish "
            "(rows already imported add nothing)",
            file=sys.stderr,
        )
        return _rpc_failed(error, settings)
    print(summary(report, args.trust, errors_to))
    return EXIT_ROWS_REFUSED if report.problems else 0


def health(args: argparse.Namespace) -> int:
    from services.common.admin.operations import health_checks

    settings = load_or_exit()
    checks = health_checks(settings)
    if args.json:
        print(json.dumps([c.__dict__ for c in checks]))
    else:
        for check in checks:
            print(f"{'ok  ' if check.ok else 'FAIL'}  {check.name}: {check.detail}")
    return 0 if all(c.ok for c in checks) else EXIT_FAILED


def outbox_status(args: argparse.Namespace) -> int:
    """Each service's outbox that can be read; a database that cannot is named, and the exit is 75 (try
    again) when it is unavailable, 1 when it refused otherwise."""
    from services.common.admin.operations import outbox_status as status
    from services.common.db import is_transient_db_error

    settings = load_or_exit()
    rows, code = [], 0
    for service in SERVICES:
        try:
            rows.append(status(settings, service))
        except Exception as error:
            if is_transient_db_error(error):
                print(
                    f"plr: the {service} database is unavailable; try again shortly ({_short(error)})", file=sys.stderr
                )
                code = code or EXIT_TRY_AGAIN
            else:
                print(f"plr: cannot read the {service} database: {_short(error)}", file=sys.stderr)
                code = EXIT_FAILED
    if args.json:
        print(json.dumps(rows))
    else:
        _print_table(rows, ["service", "pending", "oldest_age_s", "last_error"])
    return code


def dlq_list(args: argparse.Namespace) -> int:
    from services.common.admin.operations import dead_letters

    settings = load_or_exit()
    rows = dead_letters(settings)
    if args.json:
        print(json.dumps(rows))
    else:
        _print_table(rows, ["queue", "event_id", "type", "reason", "deaths", "dead_lettered_at"])
    return 0


def dlq_replay(args: argparse.Namespace) -> int:
    from services.common.admin.operations import replay_dead_letters

    settings = load_or_exit()
    try:
        count = replay_dead_letters(settings, args.queue, args.id)
    except LookupError as error:
        print(f"plr: {error}", file=sys.stderr)
        return EXIT_USAGE
    which = f" (event {args.id})" if args.id else ""
    print(f"Replayed {count} dead letter(s){which} to {args.queue.removesuffix('.dead-letter')}.")
    if args.id and count == 0:
        print(f"plr: no dead letter with event id {args.id}", file=sys.stderr)
        return EXIT_FAILED
    return 0


def _short(error: Exception) -> str:
    return str(getattr(error, "orig", error)).strip().splitlines()[0]


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="plr", description="Administer a plr installation.")
    commands = top.add_subparsers(dest="command", required=True)

    trust = commands.add_parser("trust", help="onboard and list trusts, rotate their keys").add_subparsers(
        dest="action", required=True
    )
    onboard = trust.add_parser("onboard", help="onboard a trust (idempotent on its ODS code)")
    onboard.add_argument("--ods", required=True, help="ODS code: 3 to 5 upper-case letters or digits")
    onboard.add_argument("--name", required=True, help="the trust's name")
    onboard.add_argument("--json", action="store_true")
    onboard.set_defaults(run=trust_onboard)
    listing = trust.add_parser("list", help="list the trusts a service's database holds")
    listing.add_argument("--service", required=True, choices=SERVICES)
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(run=trust_list)
    key = trust.add_parser("key", help="manage a trust's API keys").add_subparsers(dest="key_action", required=True)
    rotate = key.add_parser("rotate", help="issue a new key, then revoke the old ones after confirmation")
    rotate.add_argument("ods")
    rotate.add_argument("--yes", action="store_true", help="revoke the old keys without asking")
    rotate.set_defaults(run=trust_key_rotate)

    suspend = trust.add_parser("suspend", help="suspend a trust: its keys stop working, its data stays")
    suspend.add_argument("ods")
    suspend.add_argument("--reason", default="", help="why (kept with the event)")
    suspend.set_defaults(run=trust_suspend)
    resume = trust.add_parser("resume", help="resume a suspended trust")
    resume.add_argument("ods")
    resume.set_defaults(run=trust_resume)
    offboard = trust.add_parser("offboard", help="export a trust's data, then erase what only it held")
    offboard.add_argument("ods")
    offboard.add_argument("--export-to", required=True, help="a new file for the trust's export (JSON)")
    offboard.add_argument("--yes", action="store_true", help="do not ask to confirm by typing the code")
    offboard.set_defaults(run=trust_offboard)

    leaders = commands.add_parser("leaders", help="a trust's leaders").add_subparsers(dest="action", required=True)
    importing = leaders.add_parser(
        "import",
        help="import a trust's register from a CSV file (columns: docs/import-format.md); re-runs add nothing",
    )
    importing.add_argument("file", help="the CSV file (UTF-8, a header row of column names)")
    importing.add_argument("--trust", required=True, help="the ODS code of the trust the register belongs to")
    importing.add_argument("--errors-to", help="where to write the bad rows (default: FILE.errors.csv beside it)")
    importing.add_argument("--batch-size", type=int, default=1000, choices=range(1, 2001), metavar="1..2000")
    importing.set_defaults(run=leaders_import)

    check = commands.add_parser("health", help="check every api, worker and consumer; non-zero exit if any fails")
    check.add_argument("--json", action="store_true")
    check.set_defaults(run=health)

    out = commands.add_parser("outbox", help="the outboxes").add_subparsers(dest="action", required=True)
    status = out.add_parser("status", help="pending events and the age of the oldest, per service")
    status.add_argument("--json", action="store_true")
    status.set_defaults(run=outbox_status)

    dlq = commands.add_parser("dlq", help="dead letters").add_subparsers(dest="action", required=True)
    dl_list = dlq.add_parser("list", help="list dead letters in every dead-letter queue")
    dl_list.add_argument("--json", action="store_true")
    dl_list.set_defaults(run=dlq_list)
    replay = dlq.add_parser("replay", help="send dead letters back to the queue they came from, once")
    replay.add_argument("queue", help="the consumer queue (or its .dead-letter queue)")
    replay.add_argument("--id", help="replay only the dead letter with this event id")
    replay.set_defaults(run=dlq_replay)
    return top


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    try:
        code = args.run(args)
    except KeyboardInterrupt:
        code = 130
    raise SystemExit(code)


if __name__ == "__main__":
    main()
