"""``make bench``: bulk import of a trust's register, against a raw ``execute_values`` insert of the same rows.

1. The import: 100,000 generated leaders (2% of them with lived experience and consent evidence)
   written to a CSV file and imported as ``plr leaders import`` does it (the same code: the file read,
   its header checked, batches of 1,000 rows sent to ``ImportService.ImportLeaders``), to the registry
   api as deployed (``plr-process registry api``, a process of its own). Each batch is checked row by
   row (the profile rules, the taxonomy, the special-category rules), looked up (fingerprints, email,
   affiliations), turned into domain objects with their events, and written with the events in the
   outbox, in one transaction.
2. Raw: the same rows, already made into table rows (the leaders, consent records, affiliations,
   outbox rows and fingerprints that the import wrote), inserted with psycopg2's ``execute_values``
   in transactions of 1,000 rows each, in the platform scope (row-level security as for the import),
   without validation, lookups or events. The tables are emptied between the two, so both start empty.

Prints both figures (rows per second) and their ratio (the target is at least 0.5), then a re-run of
the same file (which must add nothing). Runs on the servers named by PLR_TEST_* (as ``make test``
does), defaulting to the local ones, in databases and a vhost of its own dropped afterwards. About a
minute with the defaults.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import grpc
import sqlalchemy as sa
from plr.registry.v1 import imports_pb2_grpc, registry_pb2_grpc
from plr.registry.v1 import registry_pb2 as pb
from psycopg2.extras import execute_values

from services.common.db import SCOPE_SQL, scope_parameters, scoped_transaction
from services.common.grpc_client import bearer
from services.common.outbox import COLUMNS as OUTBOX_COLUMNS
from services.common.outbox import outbox_rows
from services.common.platform_tables import outbox
from services.common.tenancy import TenantScope
from services.registry.adapters.bulk import (
    AFFILIATION_COLUMNS,
    CONSENT_COLUMNS,
    LEADER_COLUMNS,
    LEADER_TEMPLATE,
    affiliation_rows,
    consent_rows,
    leader_rows,
)
from services.registry.adapters.event_mapping import to_cloudevent
from services.registry.adapters.tables import affiliations, consent_records, import_fingerprints, leaders
from services.registry.domain.affiliation import Affiliation
from services.registry.domain.consent import ConsentRecord, Purpose
from services.registry.domain.leader import Leader
from services.registry.domain.leader_import import ImportedRow, parse_row
from services.registry.domain.profile import LeaderProfile
from services.registry.domain.taxonomy import GLOBAL_TERMS
from services.registry.entrypoints.leader_import_cli import IN_FLIGHT, ImportReport, Progress, read_register, send
from tests.bench.pipeline import say, setting
from tests.support.infra import Infra, PlrStack, free_port, plr_stack
from tests.support.register_csv import register, to_csv

TRUST = "RBI"
TABLES = ("leaders", "consent_records", "affiliations", "outbox", "import_fingerprints")


@contextmanager
def api_process(stack: PlrStack) -> Iterator[str]:
    """The registry api as deployed (``plr-process registry api``, JSON logs at INFO), to /dev/null."""
    port = free_port()
    env = {**os.environ, **stack.env, "PLR_REGISTRY_API_LISTEN": f"127.0.0.1:{port}", "PLR_LOG_LEVEL": "INFO"}
    child = subprocess.Popen(
        [str(Path(sys.executable).parent / "plr-process"), "registry", "api"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    target = f"127.0.0.1:{port}"
    try:
        with grpc.insecure_channel(target) as channel:
            grpc.channel_ready_future(channel).result(timeout=30)
        yield target
    finally:
        child.send_signal(signal.SIGTERM)
        try:
            child.wait(15)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait(5)


def table_counts(stack: PlrStack) -> dict[str, int]:
    with scoped_transaction(stack.engine("registry"), TenantScope.platform_wide()) as connection:
        return {
            name: int(connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())
            for name, table in zip(
                TABLES, (leaders, consent_records, affiliations, outbox, import_fingerprints), strict=True
            )
        }


def empty_tables(stack: PlrStack) -> None:
    with stack.engine("registry", "owner").begin() as connection:
        # consent_recorders: who recorded each consent and on what evidence (the import writes them; the
        # raw peer does not, a few hundred rows that can only favour the peer)
        connection.execute(sa.text(f"TRUNCATE {', '.join(TABLES)}, consent_recorders"))
        # both runs start from empty tables and fresh statistics
    with stack.engine("registry", "owner").connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(sa.text(f"VACUUM ANALYZE {', '.join(TABLES)}, consent_recorders"))


def raw_rows(parsed: list[ImportedRow]) -> list[dict[str, list[tuple[Any, ...]]]]:
    """The rows the import writes, per batch of 1,000, made by the same domain and mapping code
    (prepared before the clock starts: the raw side measures the inserts alone)."""
    now = time.time()
    from datetime import UTC, datetime

    stamp = datetime.fromtimestamp(now, UTC)
    batches = []
    for start in range(0, len(parsed), 1000):
        made_leaders: list[Leader] = []
        made_affiliations: list[Affiliation] = []
        for row in parsed[start : start + 1000]:
            leader = Leader.register(str(uuid.uuid4()), row.profile, stamp)
            if row.lived_experience:
                leader.record_consent(
                    ConsentRecord(
                        Purpose.LIVED_EXPERIENCE_MATCHING,
                        "",
                        True,
                        row.consent_wording_version,
                        "staff",
                        "administrator",
                        TRUST,
                        row.consent_evidence,
                        stamp,
                    )
                )
                leader.update(LeaderProfile(lived_experience=row.lived_experience), ("lived_experience",), 2, stamp)
            made_leaders.append(leader)
            made_affiliations.append(Affiliation.request(str(uuid.uuid4()), leader.leader_id, TRUST, stamp))
        events = [to_cloudevent(e) for lead in made_leaders for e in lead.pending_events]
        events += [to_cloudevent(e) for a in made_affiliations for e in a.pending_events]
        batches.append(
            {
                "leaders": leader_rows(made_leaders),
                "consent_records": consent_rows(made_leaders),
                "affiliations": affiliation_rows(made_affiliations),
                "outbox": [tuple(row[c] for c in OUTBOX_COLUMNS) for row in outbox_rows(events)],
                "import_fingerprints": [(TRUST, r.fingerprint, stamp) for r in parsed[start : start + 1000]],
            }
        )
    return batches


def raw_insert(stack: PlrStack, batches: list[dict[str, list[tuple[Any, ...]]]], total: int) -> float:
    columns = {
        "leaders": (LEADER_COLUMNS, LEADER_TEMPLATE),
        "consent_records": (CONSENT_COLUMNS, None),
        "affiliations": (AFFILIATION_COLUMNS, None),
        "outbox": (OUTBOX_COLUMNS, None),
        "import_fingerprints": (("trust_ods", "fingerprint", "imported_at"), None),
    }
    engine = stack.engine("registry")
    progress = Progress(total, sys.stdout)
    began = time.perf_counter()
    done = 0
    raw = engine.raw_connection()
    try:
        for batch in batches:
            cursor = raw.cursor()
            cursor.execute(SCOPE_SQL, scope_parameters(TenantScope.platform_wide()))
            for table, rows in batch.items():
                if rows:
                    names, template = columns[table]
                    execute_values(cursor, f"INSERT INTO {table} ({', '.join(names)}) VALUES %s", rows, template, 1000)
            cursor.close()
            raw.commit()
            done += len(batch["import_fingerprints"])
            progress.show(done)
    finally:
        raw.close()
    progress.end()
    return time.perf_counter() - began


def run_import(target: str, admin_token: str, path: Path, in_flight: int) -> tuple[ImportReport, float]:
    report = ImportReport()
    began = time.perf_counter()
    rows, local = read_register(path)
    report.problems.extend(local)
    with grpc.insecure_channel(target) as channel:
        send(
            imports_pb2_grpc.ImportServiceStub(channel),
            bearer(admin_token),
            TRUST,
            rows,
            report,
            Progress(len(rows), sys.stdout),
            in_flight=in_flight,
        )
    seconds = time.perf_counter() - began
    print(flush=True)
    return report, seconds


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.leader_import", description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--in-flight", type=int, default=IN_FLIGHT, help="batches sent at once (as plr does)")
    options = parser.parse_args(argv)
    infra = Infra(
        setting("PLR_TEST_DATABASE_ADMIN_URL"),
        setting("PLR_TEST_AMQP_URI"),
        setting("PLR_TEST_AMQP_MANAGEMENT_URL"),
    )
    say(f"bench: leader import of {options.rows:,} rows; {os.cpu_count()} cores")
    data, _ = register(options.rows, 0, "bench")
    terms = {(t.kind, t.code) for t in GLOBAL_TERMS}
    with tempfile.TemporaryDirectory(prefix="plr-bench-import-") as folder, plr_stack(infra, ("registry",)) as stack:
        say(f"bench: databases plr_t{stack.suffix}_*, vhost {stack.vhost} (dropped at the end)")
        path = Path(folder) / "register.csv"
        path.write_text(to_csv(data), encoding="utf-8")
        file_bytes = path.stat().st_size
        admin = stack.env["PLR_ADMIN_TOKEN"]

        say("raw: preparing the same rows as table rows (not timed)")
        rows, _ = read_register(path)
        parsed = [
            p for n, cells in rows if isinstance(p := parse_row(n, cells, lambda k, c: (k, c) in terms), ImportedRow)
        ]
        batches = raw_rows(parsed)
        say("raw: execute_values into leaders, consent_records, affiliations, outbox, import_fingerprints")
        raw_seconds = raw_insert(stack, batches, len(parsed))
        raw_counts = table_counts(stack)
        empty_tables(stack)

        with api_process(stack) as target:
            with grpc.insecure_channel(target) as channel:
                registry_pb2_grpc.RegistryServiceStub(channel).CreateTrust(
                    pb.CreateTrustRequest(ods=TRUST, name="Bench Import Trust"), metadata=bearer(admin), timeout=10
                )
            say(f"import: {path.name} through ImportService (batches of 1,000), as plr leaders import does")
            report, import_seconds = run_import(target, admin, path, options.in_flight)
            import_counts = table_counts(stack)
            say("re-run: the same file again (must add nothing)")
            rerun, rerun_seconds = run_import(target, admin, path, options.in_flight)
            rerun_counts = table_counts(stack)

    imported_rate = options.rows / import_seconds
    raw_rate = len(parsed) / raw_seconds
    say("")
    say(f"leader import of {options.rows:,} generated rows (a CSV file of {file_bytes / options.rows:.0f} bytes a row)")
    say(
        f"  import (plr leaders import, validation + lookups + events + outbox): {import_seconds:6.1f} s  "
        f"{imported_rate:8,.0f} rows/s   imported {report.imported:,}, unchanged {report.unchanged:,}, "
        f"problems {len(report.problems)}"
    )
    say(
        f"  raw execute_values of the same rows (no validation, no events):      {raw_seconds:6.1f} s  "
        f"{raw_rate:8,.0f} rows/s"
    )
    say(f"  ratio import / raw: {imported_rate / raw_rate:.2f}  (target >= 0.5)")
    say(f"  rows written by the import: {json.dumps(import_counts)}")
    say(f"  rows written by the raw insert: {json.dumps(raw_counts)}")
    say(
        f"  re-run of the same file: {rerun_seconds:.1f} s ({options.rows / rerun_seconds:,.0f} rows/s), imported "
        f"{rerun.imported:,}, unchanged {rerun.unchanged:,}; tables unchanged: {rerun_counts == import_counts}"
    )


if __name__ == "__main__":
    main()
