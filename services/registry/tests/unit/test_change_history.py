"""The change history's rules in the domain and the unit of work (on the fakes)."""

from __future__ import annotations

from services.common.principals import Principal
from services.registry.adapters.event_mapping import DomainEvent
from services.registry.domain import commands, events
from services.registry.domain.history import SYSTEM, Actor, Change, changes_of, event_kinds, fields_of
from services.registry.domain.profile import LeaderProfile
from services.registry.service_layer import leaders
from services.registry.tests.unit.fakes import FakeUnitOfWork


def _concrete(base: type) -> set[type]:
    subclasses: list[type] = base.__subclasses__()
    return set(subclasses).union(*(_concrete(sub) for sub in subclasses))


def test_every_kind_of_event_names_the_fields_it_changes() -> None:
    every = set().union(*(_concrete(base) for base in DomainEvent.__args__))  # type: ignore[attr-defined]
    assert every and every <= set(event_kinds())


def test_an_event_the_history_does_not_know_still_records_a_change_under_its_name() -> None:
    class AffiliationPausedSomehow(events.AffiliationEvent):
        pass

    assert fields_of(AffiliationPausedSomehow("a", "l", "RJ1", 1)) == ("affiliation_paused_somehow",)


def test_one_change_per_person_naming_each_field_once() -> None:
    recorded = [
        events.LeaderUpdated("l1", 2, ("email", "phone")),
        events.LeaderUpdated("l1", 3, ("phone", "postcode")),
        events.TrustKeyIssued("RJ1", 2, "k", "s", None, ("read",)),  # type: ignore[arg-type]
        events.ConsentChanged("l2", 2, "contact_by_trust", "RJ1", True, "leader"),
    ]
    assert changes_of(recorded, [Change("l1", ("check_ins",))]) == [
        Change("l1", ("email", "phone", "postcode", "check_ins")),
        Change(None, ("trust.keys",)),
        Change("l2", ("consents.contact_by_trust",)),
    ]


def test_the_unit_of_work_records_its_actor_once_per_commit_and_nothing_for_a_read() -> None:
    uow = FakeUnitOfWork()
    trust = Principal("trust", "RJ1", "RJ1", claimed_staff="kim")
    uow.actor = Actor("trust", "RJ1", "RJ1", "kim", "cid-1", "RegisterLeader")
    made = leaders.register_leader(
        commands.RegisterLeader(LeaderProfile(given_name="A", family_name="B", email="a@example.org")), uow, trust
    )
    assert [(e.actor, e.leader_id, e.fields) for e in uow.history.entries] == [
        (uow.actor, made.leader_id, ("affiliation",))  # a registration names no new person
    ]
    uow.actor = SYSTEM
    leaders.list_affiliations(commands.ListAffiliations(None, None, 10), uow, trust)
    assert len(uow.history.entries) == 1
