"""What every ``plr`` command shares, whichever service adds it: exit codes, tables, the
administrator's call metadata, and one way of telling a failed gRPC call."""

from __future__ import annotations

import sys
import uuid
from typing import Any

import grpc

from services.common.settings import Settings

EXIT_USAGE = 2
EXIT_FAILED = 1
EXIT_ROWS_REFUSED = 3
# a service's database is unavailable or did not answer in time: the call was rolled back (a call cut at
# its commit took effect once), and every plr command is safe to run again (sysexits.h's EX_TEMPFAIL)
EXIT_TRY_AGAIN = 75


def print_table(rows: list[dict[str, Any]], columns: list[str]) -> None:
    if not rows:
        print("(none)")
        return
    widths = {c: max(len(c), *(len(str(r.get(c, ""))) for r in rows)) for c in columns}
    print("  ".join(c.upper().ljust(widths[c]) for c in columns))
    for row in rows:
        print("  ".join(str(row.get(c, "")).ljust(widths[c]) for c in columns))


def admin_metadata(settings: Settings) -> tuple[tuple[str, str], ...]:
    from services.common.grpc_client import bearer

    assert settings.admin_token is not None
    return bearer(settings.admin_token, str(uuid.uuid4()))


def _trailing(error: grpc.RpcError, name: str) -> str | None:
    trailing = error.trailing_metadata() if isinstance(error, grpc.Call) else None
    return next((value for key, value in trailing or () if key == name), None)


def misconfigured_database(service: str) -> str:
    """What to tell the administrator when a service's database refused its connection."""
    return (
        f"the {service} database refused the connection: check its configuration "
        f"(PLR_DATABASE_URL_{service.upper()}: its role, password and database name, and that migrate has run)"
    )


def database_failed(error: Exception, service: str) -> int:
    """Says why ``plr`` could not use ``service``'s database itself; returns the exit code: 75 for an
    outage (try again), 1 for a refused configuration or anything else."""
    from services.common.db import is_db_configuration_error, is_transient_db_error

    if is_transient_db_error(error):
        print(f"plr: the {service} database is unavailable; try again shortly ({short(error)})", file=sys.stderr)
        return EXIT_TRY_AGAIN
    if is_db_configuration_error(error):
        print(f"plr: {misconfigured_database(service)}: {short(error)}", file=sys.stderr)
        return EXIT_FAILED
    print(f"plr: cannot read the {service} database: {short(error)}", file=sys.stderr)
    return EXIT_FAILED


def rpc_failed(error: grpc.RpcError, service: str, settings: Settings) -> int:
    """Says why a call to ``service``'s api failed; returns the exit code."""
    from services.common.grpc_server import MISCONFIGURED_DATABASE_KEY, UNAVAILABLE_DATABASE_KEY

    code = error.code()
    misconfigured = _trailing(error, MISCONFIGURED_DATABASE_KEY)
    if misconfigured is not None:
        # running the command again cannot help until an administrator fixes it: not 75
        print(f"plr: {misconfigured_database(misconfigured)}; the {service} api's log names the cause", file=sys.stderr)
        return EXIT_FAILED
    database = _trailing(error, UNAVAILABLE_DATABASE_KEY)
    if database is not None:
        what = "is unavailable" if code == grpc.StatusCode.UNAVAILABLE else "did not answer in time"
        print(f"plr: the {database} database {what}; try again shortly ({error.details()})", file=sys.stderr)
        return EXIT_TRY_AGAIN
    if code == grpc.StatusCode.DEADLINE_EXCEEDED:
        # plr's own deadline (10 s) is shorter than the api's statement and pool timeouts (15 s, 30 s): a slow
        # or hung database shows here first, with no trailing metadata, and the call may still take effect
        print(
            f"plr: the {service} api at {settings.api(service).target} did not answer in time (its database may be "
            "slow or unavailable); the call may still take effect: run the same command again shortly",
            file=sys.stderr,
        )
        return EXIT_TRY_AGAIN
    if code == grpc.StatusCode.UNAVAILABLE:
        print(
            f"plr: the {service} api at {settings.api(service).target} is unreachable (is `make run` running?)",
            file=sys.stderr,
        )
        return EXIT_FAILED
    if code == grpc.StatusCode.INVALID_ARGUMENT:
        print(f"plr: invalid input: {error.details()}", file=sys.stderr)
        return EXIT_USAGE
    print(f"plr: {code.name.lower()}: {error.details()}", file=sys.stderr)
    return EXIT_FAILED


def short(error: Exception) -> str:
    return str(getattr(error, "orig", error)).strip().splitlines()[0]
