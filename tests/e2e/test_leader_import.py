"""Issue 4's import acceptance, with every process running: `plr leaders import` of a 10,000-row CSV
with 50 bad rows imports 9,950, reports the 50 with row and field (on the terminal and in the error
file), and a re-run adds nothing."""

from __future__ import annotations

import csv
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from services.common.db import scoped_transaction
from services.common.platform_tables import outbox
from services.common.tenancy import TenantScope
from services.registry.adapters.tables import affiliations, leaders
from tests.e2e.conftest import Running
from tests.support.infra import PlrStack
from tests.support.register_csv import write_register

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

ROWS, BAD = 10_000, 50


def held(stack: PlrStack, ods: str) -> tuple[int, int, int]:
    with scoped_transaction(stack.engine("registry"), TenantScope.platform_wide()) as connection:
        count = lambda query: int(connection.execute(query).scalar_one())  # noqa: E731
        return (
            count(sa.select(sa.func.count()).select_from(affiliations).where(affiliations.c.trust_ods == ods)),
            count(sa.select(sa.func.count()).select_from(leaders)),
            count(sa.select(sa.func.count()).select_from(outbox).where(outbox.c.trust_ods == ods)),
        )


def test_a_register_with_bad_rows_is_imported_reported_and_a_rerun_adds_nothing(
    system: tuple[PlrStack, Running], tmp_path: Path
) -> None:
    stack, _ = system
    assert stack.plr("trust", "onboard", "--ods", "RXI", "--name", "Import NHS Trust").returncode == 0
    register = tmp_path / "register.csv"
    expected = write_register(register, ROWS, BAD, "e2e")
    leaders_before = held(stack, "RXI")[1]

    began = time.monotonic()
    first = stack.plr("leaders", "import", str(register), "--trust", "RXI", timeout=120)
    took = time.monotonic() - began

    assert first.returncode == 3, first.stderr  # some rows refused, the rest imported
    assert f"Imported {ROWS - BAD:,} row(s) for RXI" in first.stdout
    assert f"{BAD} bad row(s) not imported" in first.stdout
    assert f"{ROWS:,} / {ROWS:,} rows" in first.stderr  # the progress line, at its end
    report = tmp_path / "register.errors.csv"
    with report.open() as written:
        reported = {(int(r["row"]), r["field"]) for r in csv.DictReader(written)}
    assert reported == set(expected.items())
    affiliated, people, events = held(stack, "RXI")
    assert affiliated == ROWS - BAD and people - leaders_before == ROWS - BAD
    assert events >= ROWS - BAD  # one leader.affiliated per row at least (registered events carry no trust)
    print(f"imported {ROWS:,} rows in {took:.1f} s")

    again = stack.plr("leaders", "import", str(register), "--trust", "RXI", timeout=120)

    assert again.returncode == 3
    assert "Imported 0 row(s) for RXI" in again.stdout and f"{ROWS - BAD:,} unchanged" in again.stdout
    assert held(stack, "RXI") == (affiliated, people, events)


def test_a_file_with_a_bad_header_is_refused_whole(system: tuple[PlrStack, Running], tmp_path: Path) -> None:
    stack, _ = system
    register = tmp_path / "bad.csv"
    register.write_text("given_name,email,shoe_size\nAda,ada@example.org,5\n")
    result = stack.plr("leaders", "import", str(register), "--trust", "RXI")
    assert result.returncode == 2
    assert "shoe_size" in result.stderr and "family_name" in result.stderr


def test_an_unknown_trust_is_refused_and_nothing_is_sent(system: tuple[PlrStack, Running], tmp_path: Path) -> None:
    stack, _ = system
    register = tmp_path / "one.csv"
    register.write_text("given_name,family_name,email\nAda,Leader,ada-one@example.org\n")
    result = stack.plr("leaders", "import", str(register), "--trust", "RZZ")
    assert result.returncode == 1 and "not_found" in result.stderr
