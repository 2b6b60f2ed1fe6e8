"""Leaders, affiliations and consent through the gRPC API, on real PostgreSQL."""

from __future__ import annotations

import uuid

import grpc
import pytest
import sqlalchemy as sa
from plr.registry.v1 import leaders_pb2 as lpb

from services.common.db import scoped_transaction
from services.common.grpc_client import bearer
from services.common.platform_tables import outbox
from services.common.tenancy import TenantScope
from services.registry.tests.integration.conftest import RegistryClient
from tests.support.infra import PlrStack

pytestmark = pytest.mark.integration


def email() -> str:
    return f"leader-{uuid.uuid4().hex[:10]}@example.org"


@pytest.fixture(scope="module")
def keys(registry: RegistryClient) -> dict[str, str]:
    return {ods: registry.onboard(ods).initial_key.key for ods in ("RLX", "RLY")}


def get(registry: RegistryClient, key: str, leader_id: str) -> lpb.Leader:
    return registry.leaders.GetLeader(lpb.GetLeaderRequest(leader_id=leader_id), metadata=bearer(key), timeout=10)


def refused(call, *args, **kwargs) -> grpc.StatusCode:  # type: ignore[no-untyped-def]
    with pytest.raises(grpc.RpcError) as error:
        call(*args, **kwargs)
    return error.value.code()


def test_a_registration_is_pending_and_shows_nothing_until_the_leader_confirms(
    registry: RegistryClient, keys: dict[str, str]
) -> None:
    affiliation = registry.register(keys["RLX"], email(), skills=["chairing"])
    assert affiliation.status == "pending" and affiliation.trust_ods == "RLX"
    # the trust's own registration: it is told the person has not confirmed yet (issue 15 §1)
    assert refused(get, registry, keys["RLX"], affiliation.leader_id) == grpc.StatusCode.FAILED_PRECONDITION
    confirmed = registry.confirm(affiliation)
    assert confirmed.status == "active"
    leader = get(registry, keys["RLX"], affiliation.leader_id)
    assert leader.profile.given_name == "Ada" and list(leader.profile.skills) == ["chairing"]
    assert leader.profile.email == "" and not leader.contactable  # no consent to be contacted yet


def test_a_second_trust_registering_the_same_email_gets_a_pending_affiliation_and_nothing_more(
    registry: RegistryClient, keys: dict[str, str]
) -> None:
    address = email()
    first = registry.register(keys["RLX"], address)
    registry.confirm(first)
    second = registry.register(keys["RLY"], address.upper(), given="Someone", family="Else")
    assert second.leader_id == first.leader_id and second.status == "pending"
    fresh = registry.register(keys["RLY"], email())
    assert [f.name for f, _ in second.ListFields()] == [f.name for f, _ in fresh.ListFields()]  # same shape
    # exactly what RLY is told of a person nobody else holds: its own registration awaits them
    assert refused(get, registry, keys["RLY"], first.leader_id) == grpc.StatusCode.FAILED_PRECONDITION
    mine = registry.leaders.ListAffiliations(lpb.ListAffiliationsRequest(), metadata=bearer(keys["RLY"]), timeout=10)
    assert all(a.trust_ods == "RLY" for a in mine.affiliations)
    # nothing was merged or overwritten: the first trust still sees what it registered
    assert get(registry, keys["RLX"], first.leader_id).profile.given_name == "Ada"
    registry.confirm(second)
    assert get(registry, keys["RLY"], first.leader_id).profile.given_name == "Ada"


def test_withdrawing_contact_consent_shows_at_once(registry: RegistryClient, keys: dict[str, str]) -> None:
    affiliation = registry.register(keys["RLX"], email(), phone="07700 900123")
    registry.confirm(affiliation)
    registry.consent(affiliation.leader_id, "contact_by_trust", "RLX")
    leader = get(registry, keys["RLX"], affiliation.leader_id)
    assert leader.contactable and leader.profile.phone == "07700 900123" and leader.profile.email
    registry.consent(affiliation.leader_id, "contact_by_trust", "RLX", grant=False)
    after = get(registry, keys["RLX"], affiliation.leader_id)
    assert not after.contactable and after.profile.email == "" and after.profile.phone == ""
    [contact] = [c for c in after.consents if c.purpose == "contact_by_trust"]
    assert not contact.granted and contact.recorded_by_kind == "leader"


def test_staff_record_consent_only_with_evidence_and_only_for_their_own_trust(
    registry: RegistryClient, keys: dict[str, str]
) -> None:
    affiliation = registry.register(keys["RLX"], email())
    registry.confirm(affiliation)
    request = lpb.RecordConsentRequest(
        leader_id=affiliation.leader_id, purpose="contact_by_trust", target="RLX", grant=True, wording_version="2026-11"
    )
    with pytest.raises(grpc.RpcError) as no_evidence:
        registry.leaders.RecordConsent(request, metadata=bearer(keys["RLX"]), timeout=10)
    assert no_evidence.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "evidence" in no_evidence.value.details()
    request.evidence = "signed paper form, ref 2026/114"
    state = registry.leaders.RecordConsent(request, metadata=bearer(keys["RLX"]), timeout=10)
    assert state.granted and state.recorded_by_kind == "staff" and state.evidence.startswith("signed")
    request.purpose, request.target = "share_record_with_trust", "RLX"
    assert (
        refused(registry.leaders.RecordConsent, request, metadata=bearer(keys["RLX"]), timeout=10)
        == grpc.StatusCode.PERMISSION_DENIED
    )


def test_lived_experience_is_held_only_with_consent(registry: RegistryClient, keys: dict[str, str]) -> None:
    affiliation = registry.register(keys["RLX"], email())
    registry.confirm(affiliation)
    leader_id = affiliation.leader_id
    me = registry.as_leader(leader_id)
    current = registry.leaders.GetLeader(lpb.GetLeaderRequest(leader_id=leader_id), metadata=me, timeout=10)
    update = lpb.UpdateLeaderRequest(
        leader_id=leader_id,
        expected_version=current.version,
        profile=lpb.LeaderProfile(lived_experience=["cancer"]),
        fields=["lived_experience"],
    )
    assert (
        refused(registry.leaders.UpdateLeader, update, metadata=me, timeout=10) == grpc.StatusCode.FAILED_PRECONDITION
    )
    registry.consent(leader_id, "lived_experience_matching")
    update.expected_version = registry.leaders.GetLeader(
        lpb.GetLeaderRequest(leader_id=leader_id), metadata=me, timeout=10
    ).version
    updated = registry.leaders.UpdateLeader(update, metadata=me, timeout=10)
    assert list(updated.profile.lived_experience) == ["cancer"]
    assert list(get(registry, keys["RLX"], leader_id).profile.lived_experience) == ["cancer"]
    registry.consent(leader_id, "lived_experience_matching", grant=False)
    assert (
        list(
            registry.leaders.GetLeader(
                lpb.GetLeaderRequest(leader_id=leader_id), metadata=me, timeout=10
            ).profile.lived_experience
        )
        == []
    )


def test_a_stale_update_is_refused_naming_the_current_version(registry: RegistryClient, keys: dict[str, str]) -> None:
    affiliation = registry.register(keys["RLX"], email())
    registry.confirm(affiliation)
    me = registry.as_leader(affiliation.leader_id)
    leader = registry.leaders.GetLeader(lpb.GetLeaderRequest(leader_id=affiliation.leader_id), metadata=me, timeout=10)
    change = lpb.UpdateLeaderRequest(
        leader_id=leader.leader_id,
        expected_version=leader.version,
        profile=lpb.LeaderProfile(skills=["chairing"]),
        fields=["skills"],
    )
    newer = registry.leaders.UpdateLeader(change, metadata=me, timeout=10)
    assert newer.version == leader.version + 1
    with pytest.raises(grpc.RpcError) as stale:
        registry.leaders.UpdateLeader(change, metadata=me, timeout=10)
    assert stale.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert f"version {newer.version}" in stale.value.details()


def test_pause_resume_and_withdraw(registry: RegistryClient, keys: dict[str, str]) -> None:
    affiliation = registry.register(keys["RLX"], email())
    registry.confirm(affiliation)
    me = registry.as_leader(affiliation.leader_id)
    paused = registry.leaders.PauseLeader(
        lpb.PauseLeaderRequest(leader_id=affiliation.leader_id, until="2099-01-31"), metadata=me, timeout=10
    )
    assert paused.status == "paused" and paused.paused_until == "2099-01-31"
    assert get(registry, keys["RLX"], affiliation.leader_id).status == "paused"
    past = lpb.PauseLeaderRequest(leader_id=affiliation.leader_id, until="2001-01-01")
    assert refused(registry.leaders.PauseLeader, past, metadata=me, timeout=10) == grpc.StatusCode.INVALID_ARGUMENT
    resumed = registry.leaders.ResumeLeader(
        lpb.ResumeLeaderRequest(leader_id=affiliation.leader_id), metadata=me, timeout=10
    )
    assert resumed.status == "active"
    by_trust = lpb.WithdrawLeaderRequest(leader_id=affiliation.leader_id)
    assert (  # the person's own decision: a trust only records it on their behalf (test_authority_api)
        refused(registry.leaders.WithdrawLeader, by_trust, metadata=bearer(keys["RLX"]), timeout=10)
        == grpc.StatusCode.PERMISSION_DENIED
    )
    withdrawn = registry.leaders.WithdrawLeader(by_trust, metadata=me, timeout=10)
    assert withdrawn.status == "withdrawn"


def test_every_read_is_audited_with_field_names_and_never_values(
    registry: RegistryClient, keys: dict[str, str]
) -> None:
    affiliation = registry.register(keys["RLX"], email(), given="Grace")
    registry.confirm(affiliation)
    staff = (*bearer(keys["RLX"]), ("x-plr-staff", "j.bloggs"))
    registry.leaders.GetLeader(lpb.GetLeaderRequest(leader_id=affiliation.leader_id), metadata=staff, timeout=10)
    entries = registry.leaders.ListAuditEntries(
        lpb.ListAuditEntriesRequest(leader_id=affiliation.leader_id), metadata=bearer(keys["RLX"]), timeout=10
    ).entries
    [entry] = [e for e in entries if e.principal == "RLX/claimed-staff:j.bloggs"]  # a claim, recorded as such
    assert entry.method == "GetLeader" and entry.trust_ods == "RLX" and "given_name" in entry.fields
    assert "Grace" not in str(entry)
    mine = registry.leaders.ListAuditEntries(
        lpb.ListAuditEntriesRequest(leader_id=affiliation.leader_id),
        metadata=registry.as_leader(affiliation.leader_id),
        timeout=10,
    ).entries
    assert len(mine) >= 1


def test_the_audit_log_is_append_only(stack: PlrStack) -> None:
    with (
        pytest.raises(sa.exc.DBAPIError, match="append-only"),
        scoped_transaction(stack.engine("registry"), TenantScope.platform_wide()) as connection,
    ):
        connection.execute(sa.text("DELETE FROM audit_log"))


def test_registration_is_idempotent_on_its_key(registry: RegistryClient, keys: dict[str, str], stack: PlrStack) -> None:
    request = lpb.RegisterLeaderRequest(
        idempotency_key="import-row-17",
        profile=lpb.LeaderProfile(given_name="Idem", family_name="Potent", email=email()),
    )
    first = registry.leaders.RegisterLeader(request, metadata=bearer(keys["RLX"]), timeout=10)
    again = registry.leaders.RegisterLeader(request, metadata=bearer(keys["RLX"]), timeout=10)
    assert again.affiliation.affiliation_id == first.affiliation.affiliation_id
    request.profile.given_name = "Changed"
    assert (
        refused(registry.leaders.RegisterLeader, request, metadata=bearer(keys["RLX"]), timeout=10)
        == grpc.StatusCode.FAILED_PRECONDITION
    )


def test_events_are_thin_and_carry_no_personal_data(
    registry: RegistryClient, keys: dict[str, str], stack: PlrStack
) -> None:
    address = email()
    affiliation = registry.register(keys["RLX"], address, given="Zebedee", postcode="SW1A 1AA")
    registry.confirm(affiliation)
    registry.consent(affiliation.leader_id, "contact_by_trust", "RLX")
    with scoped_transaction(stack.engine("registry"), TenantScope.platform_wide()) as connection:
        payloads = connection.execute(sa.select(outbox.c.event_type, outbox.c.payload)).all()
    types = {t for t, _ in payloads}
    assert {
        "plr.registry.leader.registered.v1",
        "plr.registry.leader.affiliated.v1",
        "plr.registry.leader.affiliation_confirmed.v1",
        "plr.registry.consent.granted.v1",
    } <= types
    for _, payload in payloads:
        assert "Zebedee" not in payload and address not in payload and "SW1A" not in payload


@pytest.mark.parametrize(
    ("profile", "field"),
    [
        (lpb.LeaderProfile(given_name="", family_name="X", email="a@b.org"), "given_name"),
        (lpb.LeaderProfile(given_name="A", family_name="X", email="not-an-email"), "email"),
        (lpb.LeaderProfile(given_name="A", family_name="X", email="a@b.org", postcode="XX"), "postcode"),
        (lpb.LeaderProfile(given_name="A", family_name="X", email="a@b.org", skills=["juggling"]), "skills"),
        (
            lpb.LeaderProfile(
                given_name="A", family_name="X", email="a@b.org", availability=lpb.Availability(days=["funday"])
            ),
            "availability.days",
        ),
    ],
)
def test_a_bad_profile_field_is_named(
    registry: RegistryClient, keys: dict[str, str], profile: lpb.LeaderProfile, field: str
) -> None:
    with pytest.raises(grpc.RpcError) as bad:
        registry.leaders.RegisterLeader(
            lpb.RegisterLeaderRequest(profile=profile), metadata=bearer(keys["RLX"]), timeout=10
        )
    assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert bad.value.details().startswith(field + ":") or f"; {field}:" in bad.value.details()


def test_a_trust_adds_its_own_terms_which_others_do_not_see(registry: RegistryClient, keys: dict[str, str]) -> None:
    registry.leaders.AddTerm(
        lpb.AddTermRequest(kind="skill", code="makaton", label="Makaton"), metadata=bearer(keys["RLX"]), timeout=10
    )

    def codes(key: str) -> set[str]:
        return {
            t.code
            for t in registry.leaders.ListTerms(
                lpb.ListTermsRequest(kind="skill"), metadata=bearer(key), timeout=10
            ).terms
        }

    assert "makaton" in codes(keys["RLX"]) and "makaton" not in codes(keys["RLY"])
    assert "chairing" in codes(keys["RLY"])


def test_row_level_security_lets_a_trust_scope_read_the_global_terms_but_write_only_its_own(
    stack: PlrStack,
) -> None:
    from services.registry.adapters.tables import terms

    engine = stack.engine("registry")  # the application's role, as the api and workers use it
    code = f"global_{uuid.uuid4().hex[:8]}"
    this_global = terms.c.code == code
    with scoped_transaction(engine, TenantScope.platform_wide()) as connection:
        connection.execute(terms.insert().values(kind="skill", code=code, label="Global"))

    forged = pytest.raises(sa.exc.ProgrammingError, match="row-level security")
    with forged, scoped_transaction(engine, TenantScope.trust("RLX")) as connection:
        connection.execute(terms.insert().values(kind="skill", code=f"{code}_new", label="Forged"))
    with scoped_transaction(engine, TenantScope.trust("RLX")) as connection:
        assert connection.execute(sa.select(terms.c.label).where(this_global)).scalar_one() == "Global"
        assert connection.execute(terms.update().where(this_global).values(label="Changed")).rowcount == 0
        assert connection.execute(terms.delete().where(this_global)).rowcount == 0
        connection.execute(terms.insert().values(kind="skill", code=code, label="Own", trust_ods="RLX"))
    with scoped_transaction(engine, TenantScope.platform_wide()) as connection:
        labels = connection.execute(sa.select(terms.c.trust_ods, terms.c.label).where(this_global)).all()
        assert sorted(labels, key=str) == sorted([(None, "Global"), ("RLX", "Own")], key=str)
        assert connection.execute(terms.update().where(this_global).values(label="Renamed")).rowcount == 2


def test_row_level_security_shows_a_leader_only_to_themselves_and_actively_affiliated_trusts(
    registry: RegistryClient, keys: dict[str, str], stack: PlrStack
) -> None:
    from services.registry.adapters.tables import equality_answers, leaders

    pending = registry.register(keys["RLY"], email())
    active = registry.register(keys["RLX"], email())
    registry.confirm(active)
    engine = stack.engine("registry")

    def visible(scope: TenantScope) -> set[str]:
        with scoped_transaction(engine, scope) as connection:
            return {str(r) for r in connection.execute(sa.select(leaders.c.leader_id)).scalars()}

    assert pending.leader_id not in visible(TenantScope.trust("RLY"))
    assert active.leader_id in visible(TenantScope.trust("RLX"))
    assert active.leader_id not in visible(TenantScope.trust("RLY"))
    assert visible(TenantScope.leader(active.leader_id)) == {active.leader_id}
    assert visible(TenantScope.nobody()) == set()
    with scoped_transaction(engine, TenantScope.trust("RLX")) as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(equality_answers)).scalar_one() == 0


def test_a_paused_leader_is_resumed_on_their_return_date_once(
    registry: RegistryClient, keys: dict[str, str], stack: PlrStack
) -> None:
    from datetime import UTC, datetime

    from services.registry.adapters.unit_of_work import SqlUnitOfWork
    from services.registry.service_layer.leaders import resume_due_leaders

    affiliation = registry.register(keys["RLX"], email())
    registry.confirm(affiliation)
    me = registry.as_leader(affiliation.leader_id)
    registry.leaders.PauseLeader(
        lpb.PauseLeaderRequest(leader_id=affiliation.leader_id, until="2098-06-01"), metadata=me, timeout=10
    )

    def new_uow() -> SqlUnitOfWork:
        return SqlUnitOfWork(stack.engine("registry"), TenantScope.platform_wide())

    def status() -> str:
        leader = registry.leaders.GetLeader(
            lpb.GetLeaderRequest(leader_id=affiliation.leader_id), metadata=me, timeout=10
        )
        return str(leader.status)

    assert resume_due_leaders(new_uow, clock=lambda: datetime(2098, 5, 31, 23, tzinfo=UTC)) == 0
    assert status() == "paused"
    assert resume_due_leaders(new_uow, clock=lambda: datetime(2098, 6, 2, 9, tzinfo=UTC)) >= 1
    assert status() == "active"
    assert resume_due_leaders(new_uow, clock=lambda: datetime(2098, 6, 3, 9, tzinfo=UTC)) == 0
    with scoped_transaction(stack.engine("registry"), TenantScope.platform_wide()) as connection:
        resumed = connection.execute(
            sa.select(sa.func.count())
            .select_from(outbox)
            .where(
                outbox.c.aggregate_id == affiliation.leader_id,
                outbox.c.event_type == "plr.registry.leader.resumed.v1",
            )
        ).scalar_one()
    assert resumed == 1


def test_row_level_security_shows_a_trust_no_evidence_nor_recorder_of_another_trusts_consent_record(
    registry: RegistryClient, keys: dict[str, str], stack: PlrStack
) -> None:
    from services.registry.adapters.tables import consent_recorders, consent_records

    shared = email()
    by_x = registry.register(keys["RLX"], shared)
    registry.confirm(by_x)
    registry.confirm(registry.register(keys["RLY"], shared))
    evidence = f"phoned on {uuid.uuid4().hex[:8]}, notes in RLX file"
    registry.leaders.RecordConsent(
        lpb.RecordConsentRequest(
            leader_id=by_x.leader_id,
            purpose="contact_by_trust",
            target="RLX",
            grant=True,
            wording_version="2026-11",
            evidence=evidence,
        ),
        metadata=bearer(keys["RLX"]),
        timeout=10,
    )
    engine = stack.engine("registry")  # the application's role, as the api and workers use it

    def read(scope: TenantScope) -> tuple[list[str], list[str]]:
        """(purposes of the leader's consent records, the text of every row about them) as the scope reads them."""
        with scoped_transaction(engine, scope) as connection:
            purposes = connection.execute(
                sa.select(consent_records.c.purpose).where(consent_records.c.leader_id == by_x.leader_id)
            ).scalars()
            texts = [
                connection.execute(
                    sa.text(f"SELECT t::text FROM {table} t WHERE t.leader_id = :leader"), {"leader": by_x.leader_id}
                ).scalars()
                for table in ("consent_records", "consent_recorders")  # every column of every readable row
            ]
            return list(purposes), [t for found in texts for t in found]

    purposes, texts = read(TenantScope.trust("RLY"))
    assert "contact_by_trust" in purposes  # the record itself, as the service layer shows it
    assert not any(evidence in t for t in texts), texts
    assert any(evidence in t for t in read(TenantScope.trust("RLX"))[1])
    assert any(evidence in t for t in read(TenantScope.leader(by_x.leader_id))[1])
    with scoped_transaction(engine, TenantScope.trust("RLY")) as connection:
        who = sa.select(consent_recorders.c.recorded_by).where(consent_recorders.c.leader_id == by_x.leader_id)
        assert connection.execute(who).all() == []  # nor which RLX staff member recorded it
        forged = consent_recorders.update().where(consent_recorders.c.leader_id == by_x.leader_id)
        assert connection.execute(forged.values(evidence="")).rowcount == 0
    consent = get(registry, keys["RLY"], by_x.leader_id)
    assert evidence not in str(consent)


def test_a_confirmation_moves_the_affiliations_updated_at_so_a_sync_sees_it(
    registry: RegistryClient, keys: dict[str, str]
) -> None:
    """Issue 15 §3: every affiliation carries updated_at; the person's confirmation changes it, so
    ListAffiliations(updated_since = the last updated_at seen) shows it (at or after: ties included)."""
    pending = registry.register(keys["RLX"], email())
    assert pending.HasField("updated_at")
    since = pending.updated_at
    confirmed = registry.confirm(pending)
    assert confirmed.updated_at.ToDatetime() >= since.ToDatetime()
    page = registry.leaders.ListAffiliations(
        lpb.ListAffiliationsRequest(updated_since=since, page_size=500), metadata=bearer(keys["RLX"]), timeout=10
    )
    [seen] = [a for a in page.affiliations if a.affiliation_id == pending.affiliation_id]
    assert seen.status == "active" and seen.updated_at == confirmed.updated_at
    tie = registry.leaders.ListAffiliations(
        lpb.ListAffiliationsRequest(updated_since=seen.updated_at, page_size=500),
        metadata=bearer(keys["RLX"]),
        timeout=10,
    )
    assert pending.affiliation_id in [a.affiliation_id for a in tie.affiliations]


def test_a_person_is_told_the_name_of_each_trust_that_asks_or_holds_them_and_of_no_other(
    registry: RegistryClient, keys: dict[str, str]
) -> None:
    """ListAffiliations names the trust of a pending or active affiliation (the portal shows who asks
    the person to confirm); an ended one names none, and a trust's own listing is unchanged in shape."""
    address = email()
    pending = registry.register(keys["RLX"], address)
    leader_id = pending.leader_id

    def listed() -> dict[str, lpb.Affiliation]:
        page = registry.leaders.ListAffiliations(
            lpb.ListAffiliationsRequest(page_size=500), metadata=registry.as_leader(leader_id), timeout=10
        )
        return {a.trust_ods: a for a in page.affiliations}

    assert {ods: a.trust_name for ods, a in listed().items()} == {"RLX": "RLX NHS Trust"}
    registry.confirm(pending)
    also = registry.register(keys["RLY"], address)
    assert also.leader_id == leader_id and pending.trust_name == also.trust_name == ""  # other answers: no name
    names = {ods: (a.status, a.trust_name) for ods, a in listed().items()}
    assert names == {"RLX": ("active", "RLX NHS Trust"), "RLY": ("pending", "RLY NHS Trust")}
    registry.leaders.EndAffiliation(
        lpb.EndAffiliationRequest(leader_id=leader_id, reason="moved away"), metadata=bearer(keys["RLX"]), timeout=10
    )
    assert {ods: (a.status, a.trust_name) for ods, a in listed().items()}["RLX"] == ("ended", "")
    own = registry.leaders.ListAffiliations(lpb.ListAffiliationsRequest(), metadata=bearer(keys["RLY"]), timeout=10)
    assert {a.trust_name for a in own.affiliations} <= {"RLY NHS Trust"}
