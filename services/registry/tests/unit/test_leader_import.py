"""Import rows as a specification: what a row must hold, what is refused, and what a batch adds."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime

import pytest

from services.common.errors import InvalidInput, NotFound, PermissionDenied, PreconditionFailed
from services.common.principals import ADMINISTRATOR, Principal
from services.registry.domain import commands
from services.registry.domain.leader import Leader
from services.registry.domain.leader_import import (
    EQUALITY_COLUMNS,
    ImportedRow,
    RowProblem,
    fingerprint,
    header_problems,
    parse_row,
)
from services.registry.domain.taxonomy import GLOBAL_TERMS
from services.registry.domain.trust import Trust
from services.registry.service_layer.erasure import erase_leader
from services.registry.service_layer.imports import import_leaders
from services.registry.tests.unit.fakes import FakeUnitOfWork

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
TERMS = {(t.kind, t.code) for t in GLOBAL_TERMS}


def known(kind: str, code: str) -> bool:
    return (kind, code) in TERMS


def row(**cells: str) -> dict[str, str]:
    return {"given_name": "Ada", "family_name": "Leader", "email": "ada@example.org", **cells}


def problems(cells: dict[str, str]) -> dict[str, str]:
    parsed = parse_row(5, cells, known)
    assert isinstance(parsed, list), parsed
    assert all(p.row_number == 5 for p in parsed)
    return {p.field: p.reason for p in parsed}


# --- rows ---------------------------------------------------------------------------------------


def test_a_full_row_becomes_a_normalised_profile() -> None:
    parsed = parse_row(
        2,
        row(
            email=" Ada@Example.org ",
            postcode="tr13lj",
            skills="chairing; co_design;chairing",
            interests="ppv_level_3",
            hours_per_month="8",
            days="Mon;wed",
            modes="remote",
            preferred_formats="email;large_print",
            declarations_of_interest="Governor of a local school;Member of a patient group",
            access_needs="Step-free access",
        ),
        known,
    )
    assert isinstance(parsed, ImportedRow)
    p = parsed.profile
    assert (p.email, p.postcode, p.skills) == ("Ada@Example.org", "TR1 3LJ", ("chairing", "co_design"))
    assert (p.availability.hours_per_month, p.availability.days, p.availability.modes) == (
        8,
        ("mon", "wed"),
        ("remote",),
    )
    assert p.declarations_of_interest == ("Governor of a local school", "Member of a patient group")
    assert parsed.email_key == "ada@example.org" and parsed.lived_experience == ()


def test_every_bad_cell_of_a_row_is_named_with_its_reason() -> None:
    found = problems(
        row(email="nope", postcode="NOWHERE", skills="juggling", hours_per_month="lots", days="someday", given_name="")
    )
    assert set(found) == {"email", "postcode", "skills", "hours_per_month", "days", "given_name"}
    assert "juggling" in found["skills"] and "whole number" in found["hours_per_month"]


def test_hours_out_of_range_are_named_by_their_column() -> None:
    assert problems(row(hours_per_month="500")) == {"hours_per_month": "must be 0 to 200"}


def test_lived_experience_without_consent_evidence_is_refused() -> None:
    found = problems(row(lived_experience="diabetes"))
    assert list(found) == ["lived_experience"] and "consent_evidence" in found["lived_experience"]


def test_lived_experience_with_evidence_needs_the_wording_version_too() -> None:
    assert list(problems(row(lived_experience="diabetes", consent_evidence="form 12"))) == ["consent_wording_version"]


def test_lived_experience_with_consent_evidence_is_accepted_apart_from_the_profile() -> None:
    parsed = parse_row(
        3, row(lived_experience="diabetes;carer", consent_evidence="form 12", consent_wording_version="2025-04"), known
    )
    assert isinstance(parsed, ImportedRow)
    assert parsed.lived_experience == ("diabetes", "carer") and parsed.profile.lived_experience == ()
    assert (parsed.consent_evidence, parsed.consent_wording_version) == ("form 12", "2025-04")


@pytest.mark.parametrize("column", sorted(EQUALITY_COLUMNS))
def test_an_equality_answer_is_refused_even_with_consent_evidence(column: str) -> None:
    found = problems(row(**{column: "prefer_not_to_say", "consent_evidence": "form", "consent_wording_version": "1"}))
    assert list(found) == [column] and "only by the leader" in found[column]


def test_an_empty_equality_column_is_no_problem() -> None:
    assert isinstance(parse_row(2, row(ethnicity="", sex=" "), known), ImportedRow)


def test_an_unknown_column_is_named() -> None:
    assert list(problems(row(nhs_number="123"))) == ["nhs_number"]


def test_an_oversized_cell_is_refused() -> None:
    assert "4000" in problems(row(access_needs="x" * 5000))["access_needs"]


def test_the_header_needs_the_required_columns_and_only_known_ones() -> None:
    assert header_problems(["given_name", "family_name", "email", "ethnicity"]) == []
    found = header_problems(["given_name", "email", "shoe_size", "email"])
    assert any("family_name" in p for p in found) and any("shoe_size" in p for p in found)
    assert any("repeated" in p for p in found)


def test_the_fingerprint_ignores_order_spaces_and_empty_cells() -> None:
    assert fingerprint({"a": "1", "b": " 2 ", "c": ""}) == fingerprint({"b": "2", "a": "1"})
    assert fingerprint({"a": "1"}) != fingerprint({"a": "2"})


# --- a batch ------------------------------------------------------------------------------------


@pytest.fixture
def uow() -> FakeUnitOfWork:
    uow = FakeUnitOfWork()
    uow.trusts.rows["RXX"] = Trust.onboard("RXX", "X Trust", NOW)
    uow.trusts.rows["RYY"] = Trust.onboard("RYY", "Y Trust", NOW)
    for trust in uow.trusts.rows.values():
        trust.pending_events.clear()
    return uow


def run(
    uow: FakeUnitOfWork,
    rows: list[dict[str, str]],
    trust: str = "RXX",
    who: Principal = ADMINISTRATOR,
):  # type: ignore[no-untyped-def]
    counter = itertools.count(len(uow.leaders.rows) + len(uow.affiliations.rows))
    return import_leaders(
        commands.ImportLeaders(trust, tuple((n + 2, r) for n, r in enumerate(rows))),
        uow,
        who,
        clock=lambda: NOW,
        ids=lambda: f"00000000-0000-4000-8000-{next(counter):012d}",
    )


def test_a_batch_registers_people_with_pending_affiliations_and_their_events(uow: FakeUnitOfWork) -> None:
    outcome = run(
        uow,
        [
            row(),
            row(email="bad"),
            row(
                email="ben@example.org",
                lived_experience="carer",
                consent_evidence="form 3",
                consent_wording_version="1",
            ),
        ],
    )
    assert (outcome.imported, outcome.unchanged) == (2, 0)
    assert outcome.problems == [RowProblem(3, "email", "must be an email address")]
    assert {a.status for a in uow.affiliations.rows.values()} == {"pending"}
    assert [e.type for e in uow.outbox] == [
        "plr.registry.leader.registered.v1",
        "plr.registry.leader.registered.v1",
        "plr.registry.consent.granted.v1",
        "plr.registry.leader.updated.v1",
        "plr.registry.leader.affiliated.v1",
        "plr.registry.leader.affiliated.v1",
    ]
    payloads = " ".join(e.to_json().decode() for e in uow.outbox)
    assert not any(word in payloads for word in ("Ada", "example.org", "form 3", '"carer"')), payloads
    ben = next(lead for lead in uow.leaders.rows.values() if lead.email_key == "ben@example.org")
    assert ben.profile.lived_experience == ("carer",)
    assert (ben.consents[0].recorded_by_kind, ben.consents[0].recorder_trust, ben.consents[0].evidence) == (
        "staff",
        "RXX",
        "form 3",
    )
    assert uow.committed == 1


def test_the_same_rows_again_add_nothing(uow: FakeUnitOfWork) -> None:
    rows = [row(), row(email="ben@example.org")]
    run(uow, rows)
    events = len(uow.outbox)
    outcome = run(uow, list(reversed(rows)))
    assert (outcome.imported, outcome.unchanged, outcome.problems) == (0, 2, [])
    assert len(uow.outbox) == events and len(uow.leaders.rows) == 2


def test_erasing_an_imported_person_forgets_their_row_so_a_re_import_registers_them_anew(
    uow: FakeUnitOfWork,
) -> None:
    ada_row, ben_row = (
        row(),
        row(email="ben@example.org", lived_experience="carer", consent_evidence="form 3", consent_wording_version="1"),
    )
    run(uow, [ada_row, ben_row])
    ada = next(lead for lead in uow.leaders.rows.values() if lead.email_key == "ada@example.org")
    erase_leader(commands.EraseLeader(ada.leader_id), uow, ADMINISTRATOR, clock=lambda: NOW)
    assert uow.imports.fingerprints == {("RXX", fingerprint(ben_row))}
    outcome = run(uow, [ada_row, ben_row])
    assert (outcome.imported, outcome.unchanged, outcome.problems) == (1, 1, [])
    again = [lead for lead in uow.leaders.rows.values() if lead.email_key == "ada@example.org"]
    assert len(again) == 1 and again[0].leader_id != ada.leader_id and again[0].erased_at is None


def test_a_known_person_is_affiliated_not_duplicated_nor_changed(uow: FakeUnitOfWork) -> None:
    run(uow, [row(skills="chairing")], trust="RYY")
    outcome = run(uow, [row(email="ADA@example.org", given_name="Someone", family_name="Else")])
    assert outcome.imported == 1 and len(uow.leaders.rows) == 1
    (ada,) = uow.leaders.rows.values()
    assert ada.profile.given_name == "Ada" and ada.profile.skills == ("chairing",)
    assert {a.trust_ods for a in uow.affiliations.rows.values()} == {"RXX", "RYY"}
    assert uow.outbox[-1].type == "plr.registry.leader.affiliated.v1"


def test_a_person_twice_in_a_batch_is_reported_on_the_later_row(uow: FakeUnitOfWork) -> None:
    outcome = run(uow, [row(), row(given_name="Ada2", email="ADA@example.org")])
    assert outcome.imported == 1 and outcome.problems == [RowProblem(3, "email", "is the same person as row 2")]


def test_a_reference_twice_in_a_batch_is_refused_on_the_later_row_naming_the_earlier(uow: FakeUnitOfWork) -> None:
    outcome = run(uow, [row(reference="EPR-1"), row(email="ben@example.org", reference="EPR-1")])
    assert outcome.imported == 1
    assert outcome.problems == [RowProblem(3, "reference", "is the reference of row 2 too", reference="EPR-1")]


def test_a_spreadsheets_byte_order_mark_on_the_first_column_is_read_as_its_name(uow: FakeUnitOfWork) -> None:
    outcome = run(uow, [{"\ufeffreference": "EPR-1", **row()}])
    assert (outcome.imported, outcome.problems) == (1, [])
    assert outcome.results[0].reference == "EPR-1"


def test_an_unknown_column_is_named_its_unprintable_characters_escaped() -> None:
    assert problems(row(**{"nick\u200bname": "x"})) == {
        "nick\\u200bname": "is not an import column (see docs/import-format.md)"
    }


def test_a_trust_imports_its_own_register_only_and_the_administrator_names_the_trust(uow: FakeUnitOfWork) -> None:
    own = Principal("trust", "RXX", trust_ods="RXX")
    assert run(uow, [row()], trust="", who=own).imported == 1
    assert run(uow, [row()], trust="RXX", who=own).unchanged == 1
    with pytest.raises(PermissionDenied):
        run(uow, [row()], trust="RYY", who=Principal("trust", "RYY2", trust_ods="RYY2"))
    with pytest.raises(PermissionDenied):
        run(uow, [row()], who=Principal("leader", "leader:x", leader_id="x"))
    with pytest.raises(InvalidInput):
        run(uow, [row()], trust="")  # the administrator must say which trust


def test_every_row_gets_a_result_with_the_trusts_reference_and_the_affiliation(uow: FakeUnitOfWork) -> None:
    rows = [row(reference="REG-1"), row(email="second@example.org", reference="REG-2"), row(email="bad")]
    first = run(uow, rows)
    assert [(r.row_number, r.reference, r.outcome) for r in first.results] == [
        (2, "REG-1", "imported"),
        (3, "REG-2", "imported"),
        (4, "", "refused"),
    ]
    assert all(r.affiliation_id and r.leader_id for r in first.results[:2]) and not first.results[2].affiliation_id
    again = run(uow, rows[:2])
    assert [(r.reference, r.outcome, r.affiliation_id) for r in again.results] == [
        ("REG-1", "unchanged", first.results[0].affiliation_id),
        ("REG-2", "unchanged", first.results[1].affiliation_id),
    ]


def test_a_bad_or_unknown_or_suspended_trust_gets_no_import(uow: FakeUnitOfWork) -> None:
    with pytest.raises(InvalidInput):
        run(uow, [row()], trust="rx")
    with pytest.raises(NotFound):
        run(uow, [row()], trust="RZZ")
    uow.trusts.rows["RXX"].suspend()
    with pytest.raises(PreconditionFailed):
        run(uow, [row()])


def test_the_bulk_profile_document_is_the_one_the_repository_writes() -> None:
    from services.registry.adapters.bulk import leader_rows
    from services.registry.adapters.leader_repository import profile_to_row

    parsed = parse_row(
        2,
        row(
            phone="07700 900123",
            postcode="TR1 3LJ",
            skills="chairing",
            interests="ppv_level_3",
            hours_per_month="8",
            days="mon",
            modes="remote",
            access_needs="a",
            support_needs="b",
            preferred_formats="email",
            declarations_of_interest="c",
        ),
        known,
    )
    assert isinstance(parsed, ImportedRow)
    leader = Leader.register("00000000-0000-4000-8000-000000000001", parsed.profile, NOW)
    (written,) = leader_rows([leader])
    expected = profile_to_row(leader.profile)
    assert json.loads(written[10]) == expected["profile"]
    assert written[4:10] == (
        expected["given_name"],
        expected["family_name"],
        expected["email"],
        "ada@example.org",
        expected["phone"],
        expected["postcode"],
    )
