"""The registry's ``plr`` commands, added to ``plr`` through the registry's manifest.

plr trust onboard --ods RXX --name "Example NHS Trust" [--scope read,people,checks] [--json]
plr trust key issue RXX [--scope read,people,checks,dbs-details] [--json]
plr trust key rotate RXX [--scope ...] [--yes]
plr staff add --trust RXX --name "..." --role recruiter [--role ...] [--json]
plr staff list --trust RXX [--json] / plr staff remove --trust RXX STAFF_ID
plr network create NETWORK_ID --name "North Integrated Care System" / plr network list [--json]
plr network add-trust NETWORK_ID RXX / plr network remove-trust NETWORK_ID RXX
plr trust suspend RXX [--reason ...] / plr trust resume RXX
plr trust offboard RXX --export-to FILE [--yes]
plr leaders import FILE.csv --trust RXX [--errors-to PATH] [--batch-size N]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, TextIO

import grpc

from services.common.admin.console import (
    EXIT_FAILED,
    EXIT_ROWS_REFUSED,
    EXIT_USAGE,
    admin_metadata,
    print_table,
    rpc_failed,
)
from services.common.admin.private_file import PathRefused, open_private, refuse_existing, remove_if_ours
from services.common.manifest import Commands
from services.common.settings import Settings, load_or_exit


def _registry(settings: Settings) -> tuple[Any, grpc.Channel]:
    from plr.registry.v1 import registry_pb2_grpc

    from services.common.grpc_client import api_channel

    # an offboarding export can be large, and it is answered once: accept up to 1 GiB
    channel = api_channel(settings, "registry", max_receive_bytes=1024 * 1024 * 1024)
    return registry_pb2_grpc.RegistryServiceStub(channel), channel


# what --scope takes (the registry checks them: an unknown one is refused naming `scopes`)
SCOPE_HELP = (
    "the key's scopes, comma-separated: read, people, checks, dbs-details (default: read,people,checks; "
    "a read-only key: read)"
)


def scopes(values: list[str] | None) -> list[str]:
    """``--scope read,people --scope checks`` -> the names, in order (empty: the registry's default)."""
    return [s.strip() for value in values or () for s in value.split(",") if s.strip()]


def onboard(
    settings: Settings, ods: str, name: str, *, wait_for_api_s: float | None = None, key_scopes: list[str] | None = None
) -> Any:
    """CreateTrust as the administrator (idempotent on the ODS code): the CreateTrustResponse. With
    ``wait_for_api_s``, an api still starting is waited for that long instead of refused at once."""
    from plr.registry.v1 import registry_pb2 as pb

    stub, channel = _registry(settings)
    try:
        return stub.CreateTrust(
            pb.CreateTrustRequest(ods=ods, name=name, key_scopes=key_scopes or []),
            metadata=admin_metadata(settings),
            timeout=10 if wait_for_api_s is None else wait_for_api_s + 10,
            wait_for_ready=wait_for_api_s is not None,
        )
    finally:
        channel.close()


def onboarded(response: Any) -> str:
    """What an onboarding did, for a person: the first key, shown once, or that nothing changed."""
    trust = response.trust
    if not response.created:
        return f"Trust {trust.ods} ({trust.name}) already exists; nothing changed."
    return (
        f"Onboarded trust {trust.ods} ({trust.name}).\n"
        f"Its first API key ({', '.join(response.initial_key.scopes)}), shown once; give it to the trust's "
        "system and store it safely:\n"
        f"  {response.initial_key.key}"
    )


def trust_onboard(args: argparse.Namespace) -> int:
    settings = load_or_exit(services=("registry",), require=("PLR_ADMIN_TOKEN",))
    try:
        response = onboard(settings, args.ods, args.name, key_scopes=scopes(args.scope))
    except grpc.RpcError as error:
        return rpc_failed(error, "registry", settings)
    trust = response.trust
    if args.json:
        out = {"ods": trust.ods, "name": trust.name, "created": response.created, "version": trust.version}
        if response.created:
            out["api_key"] = response.initial_key.key
            out["scopes"] = list(response.initial_key.scopes)
        print(json.dumps(out))
    else:
        print(onboarded(response))
    return 0


def trust_key_issue(args: argparse.Namespace) -> int:
    """Issues one more key (the trust's other keys stay valid): for a second system, or another scope."""
    from plr.registry.v1 import registry_pb2 as pb

    settings = load_or_exit(services=("registry",), require=("PLR_ADMIN_TOKEN",))
    stub, channel = _registry(settings)
    request = pb.IssueTrustKeyRequest(ods=args.ods, scopes=scopes(args.scope))
    try:
        issued = stub.IssueTrustKey(request, metadata=admin_metadata(settings), timeout=10).key
    except grpc.RpcError as error:
        return rpc_failed(error, "registry", settings)
    finally:
        channel.close()
    if args.json:
        print(
            json.dumps({"ods": args.ods, "key_id": issued.key_id, "api_key": issued.key, "scopes": list(issued.scopes)})
        )
    else:
        print(_new_key(args.ods, issued))
    return 0


def _new_key(ods: str, issued: Any) -> str:
    return f"New API key for {ods} ({', '.join(issued.scopes)}), shown once; store it safely:\n  {issued.key}"


def trust_key_rotate(args: argparse.Namespace) -> int:
    """Without --scope, the new key has the scopes of the keys it replaces (which must agree)."""
    from plr.registry.v1 import registry_pb2 as pb

    settings = load_or_exit(services=("registry",), require=("PLR_ADMIN_TOKEN",))
    stub, channel = _registry(settings)
    metadata = admin_metadata(settings)
    try:
        valid = [
            k
            for k in stub.ListTrustKeys(pb.ListTrustKeysRequest(ods=args.ods), metadata=metadata, timeout=10).keys
            if not k.HasField("revoked_at")
        ]
        old = [k.key_id for k in valid]
        chosen = scopes(args.scope)
        if not chosen:
            kept = {tuple(k.scopes) for k in valid}
            if len(kept) > 1:
                print(
                    f"plr: {args.ods}'s keys have different scopes ({'; '.join(','.join(s) for s in sorted(kept))}): "
                    "say which the new key gets with --scope",
                    file=sys.stderr,
                )
                return EXIT_USAGE
            chosen = list(kept.pop()) if kept else []
        request = pb.IssueTrustKeyRequest(ods=args.ods, scopes=chosen)
        issued = stub.IssueTrustKey(request, metadata=metadata, timeout=10).key
        print(_new_key(args.ods, issued))
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
        return rpc_failed(error, "registry", settings)
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
    settings = load_or_exit(services=("registry",), require=("PLR_ADMIN_TOKEN",))
    stub, channel = _registry(settings)
    try:
        trust = call(stub, admin_metadata(settings))
    except grpc.RpcError as error:
        return rpc_failed(error, "registry", settings)
    finally:
        channel.close()
    print(f"Trust {trust.ods} ({trust.name}) {done}.")
    return 0


def trust_offboard(args: argparse.Namespace) -> int:

    settings = load_or_exit(services=("registry",), require=("PLR_ADMIN_TOKEN",))
    export = Path(args.export_to)
    try:
        refuse_existing(export)  # said before asking; the file itself is made below, before the call
    except PathRefused as refused:
        print(f"plr: {refused}", file=sys.stderr)
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
    # made before the call, so that a path that cannot be written is refused before anything is asked
    try:
        written = open_private(export)
    except PathRefused as refused:
        print(f"plr: {refused}; nothing was offboarded", file=sys.stderr)
        return EXIT_USAGE
    stub, channel = _registry(settings)
    try:
        return _offboard(stub, settings, args.ods, confirm, export, written)
    finally:
        channel.close()


def _offboard(stub: Any, settings: Settings, ods: str, confirm: str, export: Path, written: TextIO) -> int:
    """The registry keeps the export and erases nothing until it is told, with the export's SHA-256 as
    read back from the disk, that the file is whole: a failure to write leaves the trust's data intact."""
    import hashlib
    import os

    from plr.registry.v1 import registry_pb2 as pb

    try:
        taken = stub.OffboardTrust(
            pb.OffboardTrustRequest(ods=ods, confirm_ods=confirm), metadata=admin_metadata(settings), timeout=120
        )
    except grpc.RpcError as error:
        remove_if_ours(export, written)
        return rpc_failed(error, "registry", settings)
    if not taken.export_sha256 or not taken.export_document:
        remove_if_ours(export, written)
        print(f"Trust {ods} was offboarded already; its export was delivered then, and nothing is left to write.")
        return 0
    try:
        written.write(taken.export_document)
        written.flush()
        os.fsync(written.fileno())
    except OSError as error:
        remove_if_ours(export, written)
        print(
            f"plr: the export could not be written to {export}: {error.strerror}; nothing was erased: the "
            f"registry keeps the export (and {ods} suspended) until it is confirmed, so run the same command again",
            file=sys.stderr,
        )
        return EXIT_FAILED
    written.close()
    on_disk = hashlib.sha256(export.read_bytes()).hexdigest()
    try:
        done = stub.ConfirmOffboardExport(
            pb.ConfirmOffboardExportRequest(ods=ods, export_sha256=on_disk),
            metadata=admin_metadata(settings),
            timeout=120,
        )
    except grpc.RpcError as error:
        print(
            f"plr: the export is in {export}, but its receipt was not confirmed, so nothing was erased; run the "
            "command again with a new --export-to file (the registry gives the same export)",
            file=sys.stderr,
        )
        return rpc_failed(error, "registry", settings)
    print(
        f"Trust {ods} offboarded: {done.affiliations_ended} affiliation(s) ended, "
        f"{done.leaders_erased} leader(s) erased; its export is in {export}."
    )
    return 0


def leaders_import(args: argparse.Namespace) -> int:
    """Exit 0: every row imported or unchanged; 3: some rows refused (listed; the rest imported);
    2: the file refused (nothing sent); 75: the registry's database was unavailable (run it again);
    1: the registry refused or could not be reached."""

    from services.registry.entrypoints.leader_import_cli import (
        FileRefused,
        ImportReport,
        default_errors_path,
        import_register,
        summary,
    )

    settings = load_or_exit(services=("registry",), require=("PLR_ADMIN_TOKEN",))
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
        return rpc_failed(error, "registry", settings)
    print(summary(report, args.trust, errors_to))
    return EXIT_ROWS_REFUSED if report.problems else 0


def _staff_stub(settings: Settings) -> tuple[Any, grpc.Channel]:
    from plr.registry.v1 import staff_pb2_grpc

    from services.common.grpc_client import api_channel

    channel = api_channel(settings, "registry")
    return staff_pb2_grpc.StaffServiceStub(channel), channel


def _staff_json(member: Any) -> dict[str, Any]:
    return {
        "staff_id": member.staff_id,
        "trust_ods": member.trust_ods,
        "name": member.name,
        "roles": list(member.roles),
        "status": member.status,
    }


def _staff_call(args: argparse.Namespace, call: Any) -> int:
    """Runs ``call(stub, metadata)`` as the administrator; prints what it answers (one member or a list)."""
    settings = load_or_exit(services=("registry",), require=("PLR_ADMIN_TOKEN",))
    stub, channel = _staff_stub(settings)
    try:
        answer = call(stub, admin_metadata(settings))
    except grpc.RpcError as error:
        return rpc_failed(error, "registry", settings)
    finally:
        channel.close()
    members = list(answer.staff) if hasattr(answer, "staff") else [answer]
    if getattr(args, "json", False):
        shown = [_staff_json(m) for m in members]
        print(json.dumps(shown if hasattr(answer, "staff") else shown[0]))
    else:
        for m in members:
            print(f"{m.staff_id}  {m.trust_ods}  {m.status:<6}  {','.join(m.roles):<40}  {m.name}")
    return 0


def staff_add(args: argparse.Namespace) -> int:
    from plr.registry.v1 import staff_pb2 as spb

    request = spb.AddStaffRequest(trust_ods=args.trust, name=args.name, roles=args.role)
    return _staff_call(args, lambda stub, md: stub.AddStaff(request, metadata=md, timeout=10))


def staff_list(args: argparse.Namespace) -> int:
    from plr.registry.v1 import staff_pb2 as spb

    request = spb.ListStaffRequest(trust_ods=args.trust)
    return _staff_call(args, lambda stub, md: stub.ListStaff(request, metadata=md, timeout=10))


def staff_remove(args: argparse.Namespace) -> int:
    from plr.registry.v1 import staff_pb2 as spb

    request = spb.RemoveStaffRequest(trust_ods=args.trust, staff_id=args.staff_id)
    return _staff_call(args, lambda stub, md: stub.RemoveStaff(request, metadata=md, timeout=10))


def create_test_people(settings: Settings, ods: str, count: int, *, wait_for_api_s: float | None = None) -> Any:
    """DemoService.CreateTestPeople as the administrator: the CreateTestPeopleResponse."""
    from plr.registry.v1 import demo_pb2 as pb
    from plr.registry.v1 import demo_pb2_grpc

    from services.common.grpc_client import api_channel

    channel = api_channel(settings, "registry")
    try:
        return demo_pb2_grpc.DemoServiceStub(channel).CreateTestPeople(
            pb.CreateTestPeopleRequest(trust_ods=ods, count=count),
            metadata=admin_metadata(settings),
            timeout=30 if wait_for_api_s is None else wait_for_api_s + 30,
            wait_for_ready=wait_for_api_s is not None,
        )
    finally:
        channel.close()


def test_people_count(text: str) -> int:
    """--count: a whole number, 1 to 100 (argparse's error names the option)."""
    try:
        count = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, 1 to 100 (got {text!r})") from None
    if not 1 <= count <= 100:
        raise argparse.ArgumentTypeError(f"must be 1 to 100 (got {count})")
    return count


def demo_people(args: argparse.Namespace) -> int:
    settings = load_or_exit(services=("registry",), require=("PLR_ADMIN_TOKEN",))
    try:
        response = create_test_people(settings, args.trust, args.count)
    except grpc.RpcError as error:
        return rpc_failed(error, "registry", settings)
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "leader_id": p.leader_id,
                        "affiliation_id": p.affiliation_id,
                        "email": p.email,
                        "created": p.created,
                    }
                    for p in response.people
                ]
            )
        )
    else:
        made = sum(p.created for p in response.people)
        print(f"{len(response.people)} test people have confirmed {args.trust} ({made} new):")
        for person in response.people:
            print(f"  {person.leader_id}  {person.email}")
    return 0


def _networks(settings: Settings) -> tuple[Any, grpc.Channel]:
    from plr.registry.v1 import networks_pb2_grpc

    from services.common.grpc_client import api_channel

    channel = api_channel(settings, "registry")
    return networks_pb2_grpc.NetworkServiceStub(channel), channel


def _network_call(call: Any) -> tuple[int, Any]:
    """(exit code, answer) of one NetworkService call as the administrator."""
    settings = load_or_exit(services=("registry",), require=("PLR_ADMIN_TOKEN",))
    stub, channel = _networks(settings)
    try:
        return 0, call(stub, admin_metadata(settings))
    except grpc.RpcError as error:
        return rpc_failed(error, "registry", settings), None
    finally:
        channel.close()


def _members(network: Any) -> str:
    return ", ".join(network.trust_ods) or "no trusts"


def network_create(args: argparse.Namespace) -> int:
    from plr.registry.v1 import networks_pb2 as pb

    code, answer = _network_call(
        lambda stub, md: stub.CreateNetwork(
            pb.CreateNetworkRequest(network_id=args.network_id, name=args.name), metadata=md, timeout=10
        )
    )
    if answer is not None:
        network = answer.network
        done = "Created" if answer.created else "Already exists, nothing changed:"
        print(f"{done} network {network.network_id} ({network.name}): {_members(network)}.")
    return code


def network_membership(args: argparse.Namespace) -> int:
    """add-trust or remove-trust: the method is the subcommand's (``args.method``)."""
    from plr.registry.v1 import networks_pb2 as pb

    request = pb.NetworkTrustRequest(network_id=args.network_id, ods=args.ods)
    code, network = _network_call(lambda stub, md: getattr(stub, args.method)(request, metadata=md, timeout=10))
    if network is not None:
        print(f"Network {network.network_id} ({network.name}): {_members(network)}.")
    return code


def network_list(args: argparse.Namespace) -> int:
    from plr.registry.v1 import networks_pb2 as pb

    code, answer = _network_call(lambda stub, md: stub.ListNetworks(pb.ListNetworksRequest(), metadata=md, timeout=10))
    if answer is None:
        return code
    rows = [
        {"network_id": n.network_id, "name": n.name, "trusts": list(n.trust_ods), "version": n.version}
        for n in answer.networks
    ]
    if args.json:
        print(json.dumps(rows))
    else:
        print_table([{**r, "trusts": " ".join(r["trusts"])} for r in rows], ["network_id", "name", "trusts", "version"])
    return 0


def register(commands: Commands) -> None:
    trust = commands.group("trust", help="trusts: onboard, rotate keys, suspend, resume, offboard")
    onboard = trust.add_parser("onboard", help="onboard a trust (idempotent on its ODS code)")
    onboard.add_argument("--ods", required=True, help="ODS code: 3 to 5 upper-case letters or digits")
    onboard.add_argument("--name", required=True, help="the trust's name")
    onboard.add_argument("--scope", action="append", help="the first " + SCOPE_HELP.removeprefix("the "))
    onboard.add_argument("--json", action="store_true")
    onboard.set_defaults(run=trust_onboard)
    key = trust.add_parser("key", help="manage a trust's API keys").add_subparsers(dest="key_action", required=True)
    issue = key.add_parser("issue", help="issue one more key (the others stay valid), with its scopes")
    issue.add_argument("ods")
    issue.add_argument("--scope", action="append", help=SCOPE_HELP)
    issue.add_argument("--json", action="store_true")
    issue.set_defaults(run=trust_key_issue)
    rotate = key.add_parser("rotate", help="issue a new key, then revoke the old ones after confirmation")
    rotate.add_argument("ods")
    rotate.add_argument(
        "--scope", action="append", help=SCOPE_HELP.replace("default: read,people,checks", "default: the old keys'")
    )
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

    staff = commands.group("staff", help="a trust's staff: who acts for it through the portal, with which roles")
    add = staff.add_parser("add", help="add a member of a trust's staff (prints their staff id)")
    add.add_argument("--trust", required=True, help="the trust's ODS code")
    add.add_argument("--name", required=True, help="how the portal shows them")
    add.add_argument(
        "--role",
        action="append",
        required=True,
        help="recruiter, facilitator, finance or trust_admin (repeat for several)",
    )
    add.add_argument("--json", action="store_true")
    add.set_defaults(run=staff_add)
    listing = staff.add_parser("list", help="a trust's staff, active first")
    listing.add_argument("--trust", required=True)
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(run=staff_list)
    remove = staff.add_parser("remove", help="a member of staff leaves: their staff id stops working at once")
    remove.add_argument("--trust", required=True)
    remove.add_argument("staff_id")
    remove.set_defaults(run=staff_remove)

    leaders = commands.group("leaders", help="a trust's leaders")
    importing = leaders.add_parser(
        "import",
        help="import a trust's register from a CSV file (columns: docs/import-format.md); re-runs add nothing",
    )
    importing.add_argument("file", help="the CSV file (UTF-8, a header row of column names)")
    importing.add_argument("--trust", required=True, help="the ODS code of the trust the register belongs to")
    importing.add_argument("--errors-to", help="where to write the bad rows (default: FILE.errors.csv beside it)")
    importing.add_argument("--batch-size", type=int, default=1000, choices=range(1, 2001), metavar="1..2000")
    importing.set_defaults(run=leaders_import)

    demo = commands.group("demo", help="test data for trying plr (never in production)")
    people = demo.add_parser(
        "people", help="confirmed test people for a trust (refused when PLR_ENVIRONMENT=production)"
    )
    people.add_argument("--trust", required=True, help="the ODS code of the trust they confirm")
    people.add_argument("--count", type=test_people_count, default=5, metavar="1..100", help="how many (default 5)")
    people.add_argument("--json", action="store_true")
    people.set_defaults(run=demo_people)

    network = commands.group("network", help="networks of trusts: create, add or remove trusts, list")
    create = network.add_parser("create", help="create a network (idempotent on its id)")
    create.add_argument("network_id", help="2 to 63 lower-case letters, digits or hyphens (e.g. north-ics)")
    create.add_argument("--name", required=True, help="the network's name")
    create.set_defaults(run=network_create)
    add_trust = network.add_parser("add-trust", help="add a trust: it finds the people who share with the network")
    add_trust.add_argument("network_id")
    add_trust.add_argument("ods")
    add_trust.set_defaults(run=network_membership, method="AddTrustToNetwork")
    remove_trust = network.add_parser("remove-trust", help="remove a trust: it stops finding the network's people")
    remove_trust.add_argument("network_id")
    remove_trust.add_argument("ods")
    remove_trust.set_defaults(run=network_membership, method="RemoveTrustFromNetwork")
    listing = network.add_parser("list", help="every network and its trusts")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(run=network_list)
