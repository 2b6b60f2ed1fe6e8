"""``plr leaders import FILE.csv --trust RXX``: a trust's register, sent to the registry in batches.

The file is read and its header checked here (a bad header would make every row bad); each row is
checked by the registry, which owns the rules, and every bad cell comes back with its row and column.
The rows are sent in order, one batch at a time: a batch is one transaction, and a re-run of the same
file adds nothing, so an interrupted import is finished by running it again.
"""

from __future__ import annotations

import csv
import time
import uuid
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import grpc

from services.common.admin.private_file import PathRefused, open_private
from services.common.settings import Settings
from services.registry.domain.leader_import import header_problems

BATCH_SIZE = 1000
CALL_TIMEOUT_S = 120
ATTEMPTS = 3
IN_FLIGHT = 2
# column, reason: "row" when the problem is the row as a whole
Problem = tuple[int, str, str]


class FileRefused(Exception):
    """The file cannot be imported at all (unreadable, or a bad header); nothing was sent."""


@dataclass
class ImportReport:
    rows: int = 0
    imported: int = 0
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def bad_rows(self) -> int:
        return len({number for number, _, _ in self.problems})


def read_register(path: Path) -> tuple[list[tuple[int, dict[str, str]]], list[Problem]]:
    """The rows (numbered as a spreadsheet numbers them: the header is row 1) with their non-empty cells,
    and the problems found without the registry (a row longer than the header)."""
    try:
        text = path.read_text(encoding="utf-8-sig")  # a spreadsheet's "CSV UTF-8" starts with a BOM
    except FileNotFoundError:
        raise FileRefused(f"{path}: no such file") from None
    except UnicodeDecodeError as error:
        raise FileRefused(f"{path}: not UTF-8 text (byte {error.start}); save it as 'CSV UTF-8'") from None
    reader = csv.reader(text.splitlines(keepends=True))
    try:
        header = [name.strip() for name in next(reader)]
    except StopIteration:
        raise FileRefused(f"{path}: empty file") from None
    except csv.Error as error:
        raise FileRefused(f"{path}: {error}") from None
    problems = header_problems(header)
    if problems:
        raise FileRefused(f"{path}: " + "; ".join(problems) + " (columns: docs/import-format.md)")
    rows: list[tuple[int, dict[str, str]]] = []
    local: list[Problem] = []
    number = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            raise FileRefused(f"{path}: row {number + 1}: {error}") from None
        number += 1
        if not any(c.strip() for c in cells):
            continue  # a blank line
        if len(cells) > len(header):
            local.append((number, "row", f"has {len(cells)} cells, more than the header's {len(header)} columns"))
            continue
        rows.append((number, {name: value for name, value in zip(header, cells, strict=False) if value.strip()}))
    return rows, local


def _batches(rows: list[tuple[int, dict[str, str]]], size: int) -> Iterator[list[tuple[int, dict[str, str]]]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


class Progress:
    """One line, redrawn: ``  42,000 / 100,000 rows  (3,900 rows/s)``."""

    def __init__(self, total: int, out: TextIO):
        self.total, self.out, self.started = total, out, time.monotonic()

    def show(self, done: int) -> None:
        rate = done / max(time.monotonic() - self.started, 1e-6)
        self.out.write(f"\r  {done:,} / {self.total:,} rows  ({rate:,.0f} rows/s)")
        self.out.flush()

    def end(self) -> None:
        self.out.write("\n")
        self.out.flush()


def _retryable(error: grpc.RpcError) -> bool:
    # UNAVAILABLE: the api restarting; FAILED_PRECONDITION: a person of the batch was registered at
    # the same moment (by the batch in flight beside it, when the file names a person twice)
    return error.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.FAILED_PRECONDITION)


def _call(stub: Any, request: Any, metadata: tuple[tuple[str, str], ...], first: Any) -> Any:
    """The response to a batch sent as ``first`` (a future), sending it again if that failed in a way
    that may pass: a batch is idempotent, so sending it again is safe."""
    try:
        return first.result()
    except grpc.RpcError as error:
        if not _retryable(error):
            raise
    for attempt in range(1, ATTEMPTS + 1):
        time.sleep(0.2 * attempt)
        try:
            return stub.ImportLeaders(request, metadata=metadata, timeout=CALL_TIMEOUT_S)
        except grpc.RpcError as error:
            if attempt == ATTEMPTS or not _retryable(error):
                raise
    raise AssertionError("unreachable")


def send(
    stub: Any,
    metadata: tuple[tuple[str, str], ...],
    trust: str,
    rows: list[tuple[int, dict[str, str]]],
    report: ImportReport,
    progress: Progress,
    batch_size: int = BATCH_SIZE,
    in_flight: int = IN_FLIGHT,
) -> None:
    """Sends the rows in batches, ``in_flight`` at a time (while the registry writes one batch, it
    checks the next), and accounts for the answers in the file's order."""
    from plr.registry.v1 import imports_pb2 as pb

    sent: deque[tuple[int, Any, Any]] = deque()

    def account(size: int, request: Any, future: Any) -> None:
        response = _call(stub, request, metadata, future)
        report.imported += response.imported
        report.unchanged += response.unchanged
        report.problems.extend((p.row_number, p.field, p.reason) for p in response.problems)
        report.rows += size
        progress.show(report.rows)

    progress.show(report.rows)
    for batch in _batches(rows, batch_size):
        request = pb.ImportLeadersRequest(
            trust_ods=trust, rows=[pb.ImportRow(row_number=n, cells=cells) for n, cells in batch]
        )
        sent.append(
            (len(batch), request, stub.ImportLeaders.future(request, metadata=metadata, timeout=CALL_TIMEOUT_S))
        )
        if len(sent) >= in_flight:
            account(*sent.popleft())
    while sent:
        account(*sent.popleft())


def write_problems(out: TextIO, problems: list[Problem]) -> None:
    with out:
        writer = csv.writer(out)
        writer.writerow(["row", "field", "reason"])
        writer.writerows(sorted(problems))


def import_register(
    settings: Settings,
    path: Path,
    trust: str,
    errors_to: Path,
    report: ImportReport,
    progress_to: TextIO,
    batch_size: int = BATCH_SIZE,
) -> None:
    """Reads the file and sends it; ``report`` says how far it got, even when a call fails."""
    from plr.registry.v1 import imports_pb2_grpc

    from services.common.grpc_client import api_channel, bearer

    rows, local = read_register(path)
    report.problems.extend(local)
    # before anything is sent, so that an unwritable report changes nothing; each run's report
    # replaces the last one (a re-run reports the same rows), but never through a link
    try:
        errors_out = open_private(errors_to, replace=True, newline="")
    except PathRefused as refused:
        raise FileRefused(f"{refused}; nothing was sent") from None
    assert settings.admin_token is not None
    metadata = bearer(settings.admin_token, str(uuid.uuid4()))
    progress = Progress(len(rows), progress_to)
    channel = api_channel(settings, "registry")
    try:
        send(imports_pb2_grpc.ImportServiceStub(channel), metadata, trust, rows, report, progress, batch_size)
    finally:
        progress.end()
        channel.close()
        write_problems(errors_out, report.problems)


def summary(report: ImportReport, trust: str, errors_to: Path, shown: int = 10) -> str:
    lines = [
        f"Imported {report.imported:,} row(s) for {trust} (leaders with a pending affiliation, to be confirmed by "
        f"each leader); {report.unchanged:,} unchanged (imported before, or already affiliated).",
    ]
    if report.problems:
        lines.append(
            f"{report.bad_rows:,} bad row(s) not imported ({len(report.problems):,} problem(s)), listed in "
            f"{errors_to} (row, field, reason):"
        )
        for number, column, reason in sorted(report.problems)[:shown]:
            lines.append(f"  row {number}  {column}: {reason}")
        if len(report.problems) > shown:
            lines.append(f"  ... and {len(report.problems) - shown:,} more in {errors_to}")
    else:
        lines.append("No bad rows.")
    return "\n".join(lines)


def default_errors_path(path: Path) -> Path:
    return path.with_name(f"{path.stem}.errors.csv")
