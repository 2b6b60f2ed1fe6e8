"""Suspending, resuming and offboarding a trust, on fakes: the rules, the events, and what the export
and the erasure reach."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from services.common.errors import InvalidInput, NotFound, PermissionDenied, PreconditionFailed
from services.common.events import default_registry
from services.common.principals import ADMINISTRATOR, Principal
from services.registry.domain import commands
from services.registry.domain.affiliation import Affiliation
from services.registry.domain.consent import ConsentRecord, Purpose
from services.registry.domain.leader import Leader
from services.registry.domain.profile import LeaderProfile
from services.registry.domain.taxonomy import Term
from services.registry.domain.trust import Trust
from services.registry.service_layer import trusts as lifecycle
from services.registry.service_layer.unit_of_work import UnitOfWork
from services.registry.tests.unit.fakes import FakeUnitOfWork

NOW = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)
LATER = datetime(2026, 11, 27, 9, 30, tzinfo=UTC)


def clock() -> datetime:
    return LATER


def onboarded(uow: FakeUnitOfWork, ods: str, keys: int = 1) -> Trust:
    trust = Trust.onboard(ods, f"{ods} NHS Trust", NOW)
    for n in range(keys):
        trust.issue_key(f"plrk_{ods.lower():0>4}{n:012d}", "a" * 64, NOW)
    trust.pending_events.clear()
    uow.trusts.rows[ods] = trust
    return trust


def consent(purpose: Purpose, target: str = "", granted: bool = True, staff_of: str = "") -> ConsentRecord:
    if staff_of:
        return ConsentRecord(purpose, target, granted, "2026-11", "staff", f"{staff_of}/jo", staff_of, "form 12", NOW)
    return ConsentRecord(purpose, target, granted, "2026-11", "leader", "leader:x", None, "", NOW)


def leader(
    uow: FakeUnitOfWork, n: int, *affiliated: tuple[str, str], consents: tuple[ConsentRecord, ...] = ()
) -> Leader:
    """A leader (id ...000n) with affiliations (trust, status) and consents."""
    made = Leader(
        leader_id=f"00000000-0000-4000-8000-{n:012d}",
        profile=LeaderProfile(
            given_name=f"Given{n}",
            family_name=f"Family{n}",
            email=f"l{n}@example.org",
            phone="01234 567890",
            skills=("chairing",),
        ),
        version=1,
        created_at=NOW,
        updated_at=NOW,
        consents=list(consents),
    )
    uow.leaders.rows[made.leader_id] = made
    for m, (ods, status) in enumerate(affiliated):
        affiliation = Affiliation(
            f"10000000-0000-4000-8000-{n:06d}{m:06d}",
            made.leader_id,
            ods,
            status=status,
            version=1,
            created_at=NOW,
            updated_at=NOW,
            confirmed_at=NOW if status == "active" else None,
        )
        uow.affiliations.rows[affiliation.affiliation_id] = affiliation
    uow.equality.answers[made.leader_id] = {"age_band": "35-44"}
    return made


# --- suspend and resume -----------------------------------------------------------------------


def test_suspending_emits_trust_suspended_once_and_keeps_the_keys() -> None:
    uow = FakeUnitOfWork()
    onboarded(uow, "RXX")
    trust = lifecycle.suspend_trust(commands.SuspendTrust("RXX", "contract paused"), uow, ADMINISTRATOR)
    assert trust.status == "suspended" and trust.version == 3
    assert [e.type for e in uow.outbox] == ["plr.registry.trust.suspended.v1"]
    assert uow.outbox[0].data == {"ods": "RXX"} and uow.outbox[0].aggregate_version == 3
    assert all(k.valid for k in uow.trusts.rows["RXX"].keys)
    again = lifecycle.suspend_trust(commands.SuspendTrust("RXX"), uow, ADMINISTRATOR)
    assert again.version == 3 and len(uow.outbox) == 1 and uow.committed == 1


def test_resuming_emits_trust_resumed_and_resuming_an_active_trust_changes_nothing() -> None:
    uow = FakeUnitOfWork()
    onboarded(uow, "RXX")
    assert lifecycle.resume_trust(commands.ResumeTrust("RXX"), uow, ADMINISTRATOR).version == 2 and uow.outbox == []
    lifecycle.suspend_trust(commands.SuspendTrust("RXX"), uow, ADMINISTRATOR)
    trust = lifecycle.resume_trust(commands.ResumeTrust("RXX"), uow, ADMINISTRATOR)
    assert trust.status == "active" and trust.version == 4
    assert [e.type for e in uow.outbox] == ["plr.registry.trust.suspended.v1", "plr.registry.trust.resumed.v1"]


def test_lifecycle_events_validate_against_their_published_schemas() -> None:
    uow = FakeUnitOfWork()
    onboarded(uow, "RXX")
    lifecycle.suspend_trust(commands.SuspendTrust("RXX"), uow, ADMINISTRATOR)
    lifecycle.resume_trust(commands.ResumeTrust("RXX"), uow, ADMINISTRATOR)
    offboard(uow)
    registry = default_registry()
    for event in uow.outbox:
        registry.validate(event.to_dict())


@pytest.mark.parametrize("ods", ["", "rxx", "RX", "RXXXXX"])
def test_a_bad_code_is_invalid_input_naming_ods(ods: str) -> None:
    for change in (
        lambda: lifecycle.suspend_trust(commands.SuspendTrust(ods), FakeUnitOfWork(), ADMINISTRATOR),
        lambda: lifecycle.resume_trust(commands.ResumeTrust(ods), FakeUnitOfWork(), ADMINISTRATOR),
    ):
        with pytest.raises(InvalidInput) as refused:
            change()
        assert set(refused.value.fields) == {"ods"}


def test_a_bad_reason_is_invalid_input_naming_reason() -> None:
    uow = FakeUnitOfWork()
    onboarded(uow, "RXX")
    for reason in ("x" * 501, "bad\x00reason"):
        with pytest.raises(InvalidInput) as refused:
            lifecycle.suspend_trust(commands.SuspendTrust("RXX", reason), uow, ADMINISTRATOR)
        assert set(refused.value.fields) == {"reason"}
    assert uow.trusts.rows["RXX"].status == "active"


def test_only_the_administrator_changes_a_trust_s_lifecycle() -> None:
    uow = FakeUnitOfWork()
    onboarded(uow, "RXX")
    for caller in (Principal("trust", "RXX", "RXX"), Principal("service", "internal")):
        for change in (
            lambda by=caller: lifecycle.suspend_trust(commands.SuspendTrust("RXX"), uow, by),
            lambda by=caller: lifecycle.resume_trust(commands.ResumeTrust("RXX"), uow, by),
            lambda by=caller: lifecycle.offboard_trust(commands.OffboardTrust("RXX", "RXX"), uow, by, clock=clock),
        ):
            with pytest.raises(PermissionDenied):
                change()
    assert uow.trusts.rows["RXX"].status == "active" and uow.outbox == [] and uow.audit.entries == []


def test_an_unknown_trust_is_not_found() -> None:
    with pytest.raises(NotFound):
        lifecycle.suspend_trust(commands.SuspendTrust("RZZ"), FakeUnitOfWork(), ADMINISTRATOR)
    with pytest.raises(NotFound):
        lifecycle.offboard_trust(commands.OffboardTrust("RZZ", "RZZ"), FakeUnitOfWork(), ADMINISTRATOR)


def offboard(uow: FakeUnitOfWork, ods: str = "RXX", **erasure: Any) -> lifecycle.OffboardingResult:
    """Both steps, as `plr trust offboard` takes them: the export, kept; then its receipt confirmed with
    its digest, which erases."""
    taken = lifecycle.offboard_trust(commands.OffboardTrust(ods, ods), uow, ADMINISTRATOR, clock=clock)
    confirmed = commands.ConfirmOffboardExport(ods, taken.export_sha256)
    return lifecycle.confirm_offboard_export(confirmed, uow, ADMINISTRATOR, clock=clock, **erasure)


def test_an_offboarded_trust_can_be_neither_resumed_nor_suspended() -> None:
    uow = FakeUnitOfWork()
    onboarded(uow, "RXX")
    offboard(uow)
    before = len(uow.outbox)
    for change in (
        lambda: lifecycle.resume_trust(commands.ResumeTrust("RXX"), uow, ADMINISTRATOR),
        lambda: lifecycle.suspend_trust(commands.SuspendTrust("RXX"), uow, ADMINISTRATOR),
    ):
        with pytest.raises(PreconditionFailed, match="offboarded"):
            change()
    assert uow.trusts.rows["RXX"].status == "offboarded" and len(uow.outbox) == before


# --- offboarding ------------------------------------------------------------------------------


def test_offboarding_needs_the_code_stated_twice() -> None:
    uow = FakeUnitOfWork()
    onboarded(uow, "RXX")
    for confirm in ("", "RYY", "rxx"):
        with pytest.raises(InvalidInput) as refused:
            lifecycle.offboard_trust(commands.OffboardTrust("RXX", confirm), uow, ADMINISTRATOR)
        assert set(refused.value.fields) == {"confirm_ods"}
    assert uow.trusts.rows["RXX"].status == "active" and uow.outbox == [] and uow.committed == 0


def test_offboarding_ends_every_affiliation_and_erases_only_whom_no_other_trust_has() -> None:
    uow = FakeUnitOfWork()
    onboarded(uow, "RXX", keys=2)
    onboarded(uow, "RYY")
    only_here = leader(uow, 1, ("RXX", "active"), consents=(consent(Purpose.CONTACT_BY_TRUST, "RXX", staff_of="RXX"),))
    pending_here = leader(uow, 2, ("RXX", "pending"))
    shared = leader(uow, 3, ("RXX", "active"), ("RYY", "active"))
    shared_pending_elsewhere = leader(uow, 4, ("RXX", "active"), ("RYY", "pending"))
    ended_elsewhere = leader(uow, 5, ("RXX", "active"), ("RYY", "ended"))
    ended_here = leader(uow, 6, ("RXX", "ended"))
    not_ours = leader(uow, 7, ("RYY", "active"))

    result = offboard(uow)

    assert (result.leaders_erased, result.affiliations_ended) == (2, 5)
    erased = {i for i, row in uow.leaders.rows.items() if row.erased_at is not None}
    assert erased == {only_here.leader_id, pending_here.leader_id}
    for gone in (only_here, pending_here):
        row = uow.leaders.rows[gone.leader_id]
        assert row.profile == LeaderProfile() and row.status == "erased" and row.erased_at == LATER
        assert row.email_key == "" and gone.leader_id not in uow.equality.answers
    # as EraseLeader does: consent evidence removed (and the stored answers repeating it), published events gone
    assert [c.evidence for c in uow.leaders.rows[only_here.leader_id].consents] == [""]
    assert uow.idempotency.forgotten == [(only_here.leader_id, [("RXX", "form 12")]), (pending_here.leader_id, [])]
    assert sorted(uow.leaders.events_deleted) == sorted([only_here.leader_id, pending_here.leader_id])
    for kept in (shared, shared_pending_elsewhere, ended_elsewhere, ended_here, not_ours):
        assert uow.leaders.rows[kept.leader_id].profile == kept.profile
        assert kept.leader_id in uow.equality.answers and kept.leader_id not in uow.leaders.events_deleted
    for affiliation in uow.affiliations.rows.values():
        if affiliation.trust_ods == "RXX":
            assert affiliation.status == "ended"
            if affiliation.leader_id != ended_here.leader_id:
                assert affiliation.end_reason == "trust offboarded" and affiliation.ended_at == LATER
    assert {a.status for a in uow.affiliations.rows.values() if a.trust_ods == "RYY"} == {"active", "pending", "ended"}

    trust = uow.trusts.rows["RXX"]
    assert result.trust.status == trust.status == "offboarded"
    assert trust.valid_keys == [] and all(k.revoked_at == LATER for k in trust.keys)
    assert uow.trusts.rows["RYY"].status == "active"
    assert uow.committed == 2  # the export, kept; then, confirmed, the erasure


def test_offboarding_emits_endings_erasures_revocations_and_offboarded_through_the_outbox() -> None:
    uow = FakeUnitOfWork()
    onboarded(uow, "RXX", keys=2)
    onboarded(uow, "RYY")
    only_here = leader(uow, 1, ("RXX", "active"))
    shared = leader(uow, 2, ("RXX", "active"), ("RYY", "active"))

    offboard(uow)

    types = [e.type for e in uow.outbox]
    assert types.count("plr.registry.trust.key_revoked.v1") == 2
    assert types.count("plr.registry.leader.affiliation_ended.v1") == 2
    assert [e.data["leader_id"] for e in uow.outbox if e.type == "plr.registry.leader.erased.v1"] == [
        only_here.leader_id
    ]
    offboarded = [e for e in uow.outbox if e.type == "plr.registry.trust.offboarded.v1"]
    assert len(offboarded) == 1 and offboarded[0].aggregate_version == uow.trusts.rows["RXX"].version
    # thin: nothing personal in any event
    text = json.dumps([e.data for e in uow.outbox])
    assert "Given" not in text and "Family" not in text and "example.org" not in text
    assert shared.leader_id not in [e.data.get("leader_id") for e in uow.outbox if e.type.endswith("erased.v1")]


def test_the_export_holds_what_the_trust_could_see_and_nothing_more() -> None:
    uow = FakeUnitOfWork()
    onboarded(uow, "RXX")
    onboarded(uow, "RYY")
    uow.taxonomy.terms = [
        Term("skill", "chairing", "Chairing"),
        Term("skill", "rxx_board", "Board", "RXX"),
        Term("skill", "ryy_only", "Theirs", "RYY"),
    ]
    contactable = leader(
        uow,
        1,
        ("RXX", "active"),
        ("RYY", "active"),
        consents=(
            consent(Purpose.CONTACT_BY_TRUST, "RXX"),
            consent(Purpose.CONTACT_BY_TRUST, "RYY"),
            consent(Purpose.SHARE_PROFILE_WITH_NETWORK, "north-net"),
        ),
    )
    not_contactable = leader(uow, 2, ("RXX", "active"))
    pending = leader(uow, 3, ("RXX", "pending"))
    other = leader(uow, 4, ("RYY", "active"))

    document = json.loads(
        lifecycle.offboard_trust(commands.OffboardTrust("RXX", "RXX"), uow, ADMINISTRATOR, clock=clock).export_document
    )

    assert document["format"] == "plr.registry.trust-export.v1"
    assert document["trust"]["ods"] == "RXX" and document["trust"]["status"] == "active"
    assert [k["key_id"] for k in document["trust"]["keys"]] == [k.key_id for k in uow.trusts.rows["RXX"].keys]
    assert document["trust"]["keys"][0]["revoked_at"] is None  # taken before the keys were revoked
    assert document["terms"] == [{"kind": "skill", "code": "rxx_board", "label": "Board"}]
    assert {a["leader_id"]: a["status"] for a in document["affiliations"]} == {
        contactable.leader_id: "active",
        not_contactable.leader_id: "active",
        pending.leader_id: "pending",
    }
    leaders = {entry["leader_id"]: entry for entry in document["leaders"]}
    assert set(leaders) == {contactable.leader_id, not_contactable.leader_id}
    assert leaders[contactable.leader_id]["profile"]["email"] == "l1@example.org"
    assert leaders[contactable.leader_id]["contactable"] is True
    # consents that concern the trust only
    assert [(c["purpose"], c["target"]) for c in leaders[contactable.leader_id]["consents"]] == [
        ("contact_by_trust", "RXX")
    ]
    # contact details only with consent to be contacted by this trust
    assert "email" not in leaders[not_contactable.leader_id]["profile"]
    assert "phone" not in leaders[not_contactable.leader_id]["profile"]
    assert leaders[not_contactable.leader_id]["profile"]["given_name"] == "Given2"
    text = json.dumps(document)
    assert other.leader_id not in text and "Given3" not in text and "ryy_only" not in text
    assert "35-44" not in text and "age_band" not in text  # never equality data
    assert "a" * 64 not in text  # never a key's hash
    # the reads are audited (field names only), as the administrator on the trust's behalf
    assert sorted((r.principal_kind, r.trust_ods, r.method, r.leader_id) for r in uow.audit.entries) == sorted(
        ("administrator", "RXX", "OffboardTrust", i) for i in (contactable.leader_id, not_contactable.leader_id)
    )
    assert all("l1@example.org" not in str(r) for r in uow.audit.entries)


def test_offboarding_removes_the_trusts_terms_and_idempotency_keys_only() -> None:
    uow = FakeUnitOfWork()
    onboarded(uow, "RXX")
    uow.taxonomy.terms = [
        Term("skill", "chairing", "Chairing"),
        Term("skill", "rxx_board", "Board", "RXX"),
        Term("skill", "ryy_only", "Theirs", "RYY"),
    ]
    for n, trust in enumerate(("RXX", "RYY", "RXX")):
        uow.idempotency.claim(f"key {trust}", "RecordCheck", str(n), "digest", trust, None)
    offboard(uow)
    assert [t.code for t in uow.taxonomy.terms] == ["chairing", "ryy_only"]
    retired = [e for e in uow.outbox if e.type == "plr.registry.term.retired.v1"]
    assert [(e.data["code"], e.trust_ods, e.aggregate_version) for e in retired] == [("rxx_board", "RXX", 2)]
    assert [trust for _, trust, _, _ in uow.idempotency.keys.values()] == ["RYY"]


def test_offboarding_a_suspended_trust_works_and_offboarding_again_changes_nothing() -> None:
    uow = FakeUnitOfWork()
    onboarded(uow, "RXX")
    leader(uow, 1, ("RXX", "active"))
    lifecycle.suspend_trust(commands.SuspendTrust("RXX"), uow, ADMINISTRATOR)
    first = offboard(uow)
    assert first.trust.status == "offboarded" and (first.leaders_erased, first.affiliations_ended) == (1, 1)
    events = len(uow.outbox)
    again = lifecycle.offboard_trust(commands.OffboardTrust("RXX", "RXX"), uow, ADMINISTRATOR, clock=clock)
    assert again.trust.version == first.trust.version and (again.leaders_erased, again.affiliations_ended) == (0, 0)
    assert again.export_document == ""  # delivered once, kept no longer
    confirmed_again = offboard(uow)
    assert (confirmed_again.leaders_erased, confirmed_again.affiliations_ended) == (1, 1)  # as it was: erased once
    assert len(uow.outbox) == events


def test_the_erasure_step_can_be_replaced_by_the_full_one() -> None:
    uow = FakeUnitOfWork()
    onboarded(uow, "RXX")
    only_here = leader(uow, 1, ("RXX", "active"))
    called: list[str] = []

    def full_erasure(uow: UnitOfWork, found: Leader, now: datetime) -> None:
        called.append(found.leader_id)
        lifecycle.erase_leader_record(uow, found, now)

    offboard(uow, erase_leader=full_erasure)
    assert called == [only_here.leader_id]


# --- the export reaches the administrator before anything is erased (issue 10, item 4) ------------


def test_offboarding_erases_nothing_until_the_export_is_confirmed_and_asking_again_returns_the_same_export() -> None:
    uow = FakeUnitOfWork()
    onboarded(uow, "RXX")
    only_here = leader(uow, 1, ("RXX", "active"))

    taken = lifecycle.offboard_trust(commands.OffboardTrust("RXX", "RXX"), uow, ADMINISTRATOR, clock=clock)

    assert uow.leaders.rows[only_here.leader_id].erased_at is None
    assert {a.status for a in uow.affiliations.rows.values()} == {"active"}
    assert taken.trust.status == "suspended" and uow.trusts.rows["RXX"].valid_keys  # refused, not yet revoked
    assert [e.type for e in uow.outbox] == ["plr.registry.trust.suspended.v1"]
    assert taken.export_sha256 == hashlib.sha256(taken.export_document.encode()).hexdigest()
    again = lifecycle.offboard_trust(commands.OffboardTrust("RXX", "RXX"), uow, ADMINISTRATOR, clock=clock)
    assert (again.export_document, again.export_sha256) == (taken.export_document, taken.export_sha256)
    assert len(uow.outbox) == 1

    done = lifecycle.confirm_offboard_export(
        commands.ConfirmOffboardExport("RXX", taken.export_sha256.upper()), uow, ADMINISTRATOR, clock=clock
    )
    assert done.trust.status == "offboarded" and (done.leaders_erased, done.affiliations_ended) == (1, 1)
    assert uow.leaders.rows[only_here.leader_id].erased_at == LATER
    assert uow.offboard_exports.rows["RXX"].document == ""  # the registry keeps nothing of it


@pytest.mark.parametrize("digest", ["0" * 64, "not a digest", ""])
def test_a_digest_that_is_not_the_export_s_erases_nothing_and_names_export_sha256(digest: str) -> None:
    uow = FakeUnitOfWork()
    onboarded(uow, "RXX")
    only_here = leader(uow, 1, ("RXX", "active"))
    taken = lifecycle.offboard_trust(commands.OffboardTrust("RXX", "RXX"), uow, ADMINISTRATOR, clock=clock)
    with pytest.raises(InvalidInput) as refused:
        lifecycle.confirm_offboard_export(commands.ConfirmOffboardExport("RXX", digest), uow, ADMINISTRATOR)
    assert set(refused.value.fields) == {"export_sha256"}
    assert uow.leaders.rows[only_here.leader_id].erased_at is None
    assert uow.offboard_exports.rows["RXX"].document == taken.export_document


def test_confirming_without_an_export_is_refused_and_only_the_administrator_confirms() -> None:
    uow = FakeUnitOfWork()
    onboarded(uow, "RXX")
    with pytest.raises(PreconditionFailed, match="offboard it first"):
        lifecycle.confirm_offboard_export(commands.ConfirmOffboardExport("RXX", "0" * 64), uow, ADMINISTRATOR)
    taken = lifecycle.offboard_trust(commands.OffboardTrust("RXX", "RXX"), uow, ADMINISTRATOR, clock=clock)
    with pytest.raises(PermissionDenied):
        lifecycle.confirm_offboard_export(
            commands.ConfirmOffboardExport("RXX", taken.export_sha256), uow, Principal("trust", "RXX", "RXX")
        )
    assert uow.trusts.rows["RXX"].status == "suspended"


def test_resuming_before_the_confirmation_cancels_the_offboarding() -> None:
    uow = FakeUnitOfWork()
    onboarded(uow, "RXX")
    only_here = leader(uow, 1, ("RXX", "active"))
    taken = lifecycle.offboard_trust(commands.OffboardTrust("RXX", "RXX"), uow, ADMINISTRATOR, clock=clock)
    assert lifecycle.resume_trust(commands.ResumeTrust("RXX"), uow, ADMINISTRATOR).status == "active"
    assert uow.offboard_exports.rows == {}
    with pytest.raises(PreconditionFailed):
        lifecycle.confirm_offboard_export(
            commands.ConfirmOffboardExport("RXX", taken.export_sha256), uow, ADMINISTRATOR, clock=clock
        )
    assert uow.leaders.rows[only_here.leader_id].erased_at is None
