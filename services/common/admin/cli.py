"""``plr``: the administrator's command.

The platform's own commands are here; each service adds its own through its manifest (``commands``),
e.g. the registry's ``plr trust onboard`` and ``plr leaders import``.

plr trust list --service SERVICE [--json]
plr health [--json]
plr outbox status [--json]
plr dlq list [--json]
plr dlq replay QUEUE [--id EVENT_ID]
plr unrouted list [--json]
plr unrouted purge [--yes]
plr backup --to DIR
plr restore --from DIR [--replay-since TIME] [--yes]
plr mail list [--json]

Exit codes: 0 done; 1 failed (refused, an api unreachable, or a database refusing its configuration);
2 bad input; 3 some import rows refused; 75 a service's database unavailable or too slow, or the api did
not answer in time: the call was rolled back (or, cut at its commit or past plr's deadline, took effect
once): run the same command again.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from services.common.admin.console import EXIT_FAILED, EXIT_USAGE, database_failed, print_table
from services.common.admin.console import EXIT_TRY_AGAIN as EXIT_TRY_AGAIN  # the exit codes are plr's
from services.common.manifest import Commands, ManifestError, manifests
from services.common.settings import SettingsError, load_or_exit


def trust_list(args: argparse.Namespace) -> int:
    from services.common.admin.operations import list_trusts

    settings = load_or_exit()
    try:
        rows = list_trusts(settings, args.service)
    except Exception as error:
        return database_failed(error, args.service)
    if args.json:
        print(json.dumps(rows))
    else:
        print_table(rows, ["ods", "name", "status", "version"])
    return 0


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
    again) when it is unavailable, 1 when it refused otherwise (its configuration, or an error)."""
    from services.common.admin.operations import outbox_status as status

    settings = load_or_exit()
    rows, code = [], 0
    for service in manifests():
        try:
            rows.append(status(settings, service))
        except Exception as error:
            failed = database_failed(error, service)
            code = failed if failed == EXIT_FAILED else code or failed
    if args.json:
        print(json.dumps(rows))
    else:
        print_table(rows, ["service", "pending", "oldest_age_s", "last_error"])
    return code


def dlq_list(args: argparse.Namespace) -> int:
    from services.common.admin.operations import dead_letters

    settings = load_or_exit()
    rows = dead_letters(settings)
    if args.json:
        print(json.dumps(rows))
    else:
        print_table(rows, ["queue", "event_id", "type", "reason", "deaths", "dead_lettered_at"])
    return 0


def dlq_replay(args: argparse.Namespace) -> int:
    from services.common.admin.operations import ReplayRefused, replay_dead_letters

    settings = load_or_exit()
    try:
        count = replay_dead_letters(settings, args.queue, args.id)
    except LookupError as error:
        print(f"plr: {error}", file=sys.stderr)
        return EXIT_USAGE
    except ReplayRefused as refused:
        print(f"plr: {refused}", file=sys.stderr)
        return EXIT_FAILED
    which = f" (event {args.id})" if args.id else ""
    print(f"Replayed {count} dead letter(s){which} to {args.queue.removesuffix('.dead-letter')}.")
    if args.id and count == 0:
        print(f"plr: no dead letter with event id {args.id}", file=sys.stderr)
        return EXIT_FAILED
    return 0


def unrouted_list(args: argparse.Namespace) -> int:
    from services.common.admin.operations import unrouted_events

    settings = load_or_exit()
    rows, held = unrouted_events(settings)
    if args.json:
        print(json.dumps(rows))
    else:
        print_table(rows, ["event_id", "type", "routing_key"])
        if held > len(rows):
            print(f"(the oldest {len(rows):,} of {held:,})")
    return 0


def unrouted_purge(args: argparse.Namespace) -> int:
    from services.common.admin.operations import purge_unrouted

    settings = load_or_exit()
    if not args.yes:
        if not sys.stdin.isatty():
            print("plr: purging discards the unrouted events; run it on a terminal, or pass --yes", file=sys.stderr)
            return EXIT_USAGE
        if input("Discard every event in plr.unrouted? Type purge to go on: ").strip() != "purge":
            print("plr: not confirmed; nothing was purged", file=sys.stderr)
            return EXIT_USAGE
    print(f"Purged {purge_unrouted(settings)} unrouted event(s).")
    return 0


def backup(args: argparse.Namespace) -> int:
    from services.common.admin.backup import BackupError
    from services.common.admin.backup import backup as take_backup

    settings = load_or_exit()
    try:
        summary = take_backup(settings, Path(args.to))
    except BackupError as error:
        print(f"plr: {error}", file=sys.stderr)
        return EXIT_FAILED
    services = ", ".join(f"{name} ({s['revision']})" for name, s in summary["databases"].items())
    print(f"Backed up {services} and the broker definitions of {summary['vhost']} to {args.to}")
    print(f"started at {summary['started_at']}; a restore replays the events committed from an hour before")
    return 0


def restore(args: argparse.Namespace) -> int:
    from datetime import datetime

    from services.common.admin.backup import BackupError, read_backup
    from services.common.admin.backup import restore as run_restore

    settings = load_or_exit()
    since = None
    if args.replay_since:
        try:
            since = datetime.fromisoformat(args.replay_since)
        except ValueError:
            print(
                f"plr: invalid input: --replay-since: expected an ISO 8601 time, got {args.replay_since!r}",
                file=sys.stderr,
            )
            return EXIT_USAGE
        if since.tzinfo is None:
            print("plr: invalid input: --replay-since: give a time zone (e.g. 2026-01-31T10:00+00:00)", file=sys.stderr)
            return EXIT_USAGE
    try:
        summary = read_backup(Path(args.source))
        if not args.yes:
            if not sys.stdin.isatty():
                print(
                    "plr: restore writes every service's database; run it on a terminal, or pass --yes", file=sys.stderr
                )
                return EXIT_USAGE
            question = f"Restore the backup of {summary['started_at']} into these servers? Type restore to go on: "
            if input(question).strip() != "restore":
                print("plr: not confirmed; nothing was restored", file=sys.stderr)
                return EXIT_USAGE
        restored = run_restore(settings, Path(args.source), since)
    except BackupError as error:
        print(f"plr: {error}", file=sys.stderr)
        return EXIT_FAILED
    replayed = ", ".join(f"{service} {count}" for service, count in restored.replayed.items())
    print(f"Restored {', '.join(restored.services)} and the broker definitions.")
    print(f"Events committed since {restored.replay_since.isoformat()} will be published again ({replayed});")
    print("start the workers: their inboxes drop what was already applied.")
    return 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="plr", description="Administer a plr installation.")
    commands = Commands(top.add_subparsers(dest="command", required=True))
    services = manifests()

    trust = commands.group("trust", help="trusts: what each service holds of them, and the services' own commands")
    listing = trust.add_parser("list", help="list the trusts a service's database holds")
    listing.add_argument(
        "--service", required=True, choices=tuple(name for name, m in services.items() if m.trust_directory)
    )
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(run=trust_list)
    for manifest in services.values():
        if manifest.commands is not None:
            manifest.commands(commands)

    check = commands.command("health", help="check every api, worker and consumer; non-zero exit if any fails")
    check.add_argument("--json", action="store_true")
    check.set_defaults(run=health)

    out = commands.group("outbox", help="the outboxes")
    status = out.add_parser("status", help="pending events and the age of the oldest, per service")
    status.add_argument("--json", action="store_true")
    status.set_defaults(run=outbox_status)

    dlq = commands.group("dlq", help="dead letters")
    dl_list = dlq.add_parser("list", help="list dead letters in every dead-letter queue")
    dl_list.add_argument("--json", action="store_true")
    dl_list.set_defaults(run=dlq_list)
    replay = dlq.add_parser("replay", help="send dead letters back to the queue they came from, once")
    replay.add_argument("queue", help="the consumer queue (or its .dead-letter queue)")
    replay.add_argument("--id", help="replay only the dead letter with this event id")
    replay.set_defaults(run=dlq_replay)

    unrouted = commands.group("unrouted", help="events no queue subscribes to (kept for a while in plr.unrouted)")
    un_list = unrouted.add_parser("list", help="list the events kept in plr.unrouted, oldest first")
    un_list.add_argument("--json", action="store_true")
    un_list.set_defaults(run=unrouted_list)
    purge = unrouted.add_parser("purge", help="discard every event kept in plr.unrouted")
    purge.add_argument("--yes", action="store_true", help="do not ask to confirm")
    purge.set_defaults(run=unrouted_purge)

    save = commands.command("backup", help="back up every service's database and plr's broker definitions")
    save.add_argument("--to", required=True, help="a new or empty directory (made 0700)")
    save.set_defaults(run=backup)
    load = commands.command("restore", help="restore a backup into empty servers, then replay the outboxes")
    load.add_argument("--from", dest="source", required=True, help="a directory `plr backup` wrote")
    load.add_argument(
        "--replay-since",
        help="publish again every event committed since this time (ISO 8601 with a zone; "
        "default: an hour before the backup started)",
    )
    load.add_argument("--yes", action="store_true", help="do not ask to confirm")
    load.set_defaults(run=restore)

    mail = commands.group("mail", help="the mail the local mail catcher of `make run` kept (nothing is delivered)")
    mail_listing = mail.add_parser("list", help="list the messages kept in .plr/mail/, oldest first")
    mail_listing.add_argument("--json", action="store_true", help="with each message's body")
    mail_listing.set_defaults(run=mail_list)
    return top


def mail_list(args: argparse.Namespace) -> int:
    """What the local mail catcher of ``make run`` kept (.plr/mail/), oldest first; nothing is sent."""
    from services.common.admin.mail_catcher import caught

    found = caught()
    if args.json:
        rows = [
            {
                "received_at": m.received_at,
                "from": m.sender,
                "to": m.to,
                "subject": m.subject,
                "body": m.body,
                "file": str(m.path),
            }
            for m in found
        ]
        print(json.dumps(rows))
    elif not found:
        print("no mail caught (make run's mail catcher keeps messages in .plr/mail/)")
    else:
        print_table(
            [{"received_at": m.received_at, "to": m.to, "subject": m.subject, "file": m.path.name} for m in found],
            ["received_at", "to", "subject", "file"],
        )
    return 0


def main(argv: list[str] | None = None) -> None:
    try:
        command_line = parser()
    except ManifestError as error:
        print(f"plr: {error}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE) from None
    args = command_line.parse_args(argv)
    try:
        code = args.run(args)
    except KeyboardInterrupt:
        code = 130
    except SettingsError as error:  # a setting this command needs and only it (the management URL)
        print(f"plr: configuration error: {error}", file=sys.stderr)
        code = EXIT_USAGE
    raise SystemExit(code)


if __name__ == "__main__":
    main()
