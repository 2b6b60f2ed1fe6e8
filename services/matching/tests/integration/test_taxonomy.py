"""The registry's taxonomy in matching: kept from its term events (redelivered or out of order, the
newest version of each term wins), and what a role may name through the API: a global term or the
trust's own, never a retired one or another trust's own, refused alike whether or not another trust
holds the code (no oracle)."""

from __future__ import annotations

import grpc
import pytest
from plr.matching.v1 import matching_pb2 as pb

from services.common.db import scoped_transaction
from services.common.events import CONTRACTS_DIR, default_registry
from services.common.tenancy import TenantScope
from services.matching.adapters.taxonomy import SqlTaxonomy, record_term_added, record_term_retired, term_handlers
from services.matching.tests.integration.conftest import ROLE, MatchingClient, term_event

pytestmark = pytest.mark.integration


def usable(matching: MatchingClient, trust: str) -> frozenset[tuple[str, str]]:
    with scoped_transaction(matching.engine, TenantScope.trust(trust)) as connection:
        return SqlTaxonomy(connection).usable_by(trust)


def test_a_retirement_that_arrives_first_is_not_undone_by_the_older_addition(matching: MatchingClient) -> None:
    matching.apply_in_scope(record_term_retired, term_event("retired", "7001", "skill", "tmo_late", "TMO"))
    matching.apply_in_scope(record_term_added, term_event("added", "7001", "skill", "tmo_late", "TMO"))
    matching.apply_in_scope(record_term_added, term_event("added", "7001", "skill", "tmo_late", "TMO"))  # again
    assert ("skill", "tmo_late") not in usable(matching, "TMO")
    matching.term("7002", "skill", "tmo_kept", "TMO")
    matching.term("7002", "skill", "tmo_kept", "TMO")  # redelivered
    assert ("skill", "tmo_kept") in usable(matching, "TMO")


def test_a_trusts_own_term_is_usable_by_that_trust_alone(matching: MatchingClient) -> None:
    matching.term("7101", "lived_experience", "tma_private_clinic", "TMA")
    matching.term("7102", "lived_experience", "tm_shared_global")
    assert {("lived_experience", "tma_private_clinic"), ("lived_experience", "tm_shared_global")} <= usable(
        matching, "TMA"
    )
    theirs = usable(matching, "TMB")
    assert ("lived_experience", "tm_shared_global") in theirs
    assert ("lived_experience", "tma_private_clinic") not in theirs


def test_the_registrys_golden_term_events_apply(matching: MatchingClient) -> None:
    """The registry's own contract (proto/events/examples), parsed and validated as the worker does."""
    registry = default_registry()
    handlers = term_handlers()
    for name in ("added", "retired"):
        event_type = f"plr.registry.term.{name}.v1"
        event = registry.parse((CONTRACTS_DIR / "examples" / f"{event_type}.json").read_bytes())
        matching.apply_in_scope(handlers[event_type], event)
    assert ("skill", "board_papers") not in usable(matching, "RXX")  # added at version 1, retired at 2


def refused(matching: MatchingClient, key: tuple[tuple[str, str], ...], **terms: list[str]) -> str:
    details = pb.OpportunityDetails()
    details.CopyFrom(ROLE)
    for name, codes in terms.items():
        getattr(details, name).extend(codes)
    with pytest.raises(grpc.RpcError) as error:
        matching.create(key, details)
    assert error.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    return str(error.value.details())


def test_a_role_names_the_taxonomy_and_another_trusts_own_term_is_refused_as_an_unknown_one(
    matching: MatchingClient,
) -> None:
    mine, theirs = matching.trust("TXA"), matching.trust("TXB")
    matching.term("7201", "skill", "tx_chairing")
    matching.term("7202", "interest", "txa_board", "TXA")
    matching.term("7203", "lived_experience", "tx_gone", retired=True)
    details = pb.OpportunityDetails()
    details.CopyFrom(ROLE)
    details.required_skills.append("tx_chairing")
    details.interests.append("txa_board")
    made = matching.create(mine, details)
    assert (list(made.details.required_skills), list(made.details.interests)) == (["tx_chairing"], ["txa_board"])

    before = refused(matching, mine, desirable_skills=["txb_secret"])
    assert "details.desirable_skills" in before and "txb_secret" in before
    matching.term("7204", "skill", "txb_secret", "TXB")
    assert refused(matching, mine, desirable_skills=["txb_secret"]) == before  # no oracle
    assert "details.interests" in refused(matching, theirs, interests=["txa_board"])
    gone = refused(matching, mine, lived_experience=["tx_gone"])
    assert "details.lived_experience" in gone and "tx_gone" in gone
    assert "details.interests" in refused(matching, mine, interests=["tx_chairing"])  # a skill, not an interest
