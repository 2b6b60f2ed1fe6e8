"""The person's own pages (entrypoints/person_pages.py) on a fake registry: pause with a return date,
resume, withdraw after checking the answer, download, the access and change history, deleting the
account (the registry first: its failure deletes nothing), and the trusts' invitations. Each acts for
the signed-in person only; bad input answers the page naming the field and changes nothing."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import pytest
from flask import Flask, Response, render_template
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.common import signed_links
from services.common.errors import InvalidInput, NotFound, PreconditionFailed
from services.portal.domain.accounts import Account
from services.portal.domain.person_data import (
    HistoryEntry,
    HistoryPage,
    Retained,
    Standing,
    TrustInvitation,
    return_date,
)
from services.portal.entrypoints import person_pages
from services.portal.entrypoints.web import HERE
from services.portal.service_layer.accounts import take_on_leader
from services.portal.service_layer.person_data import AccountEraser, PersonDataRegistry, delete_account
from services.portal.tests.unit.test_accounts import KEY, FakeStore

NOW = datetime(2026, 12, 1, 10, tzinfo=UTC)
ADA, BEN = "0f0e0d0c-0b0a-4000-8000-0000000000a1", "0f0e0d0c-0b0a-4000-8000-0000000000b2"
KEPT = (Retained("access_audit", "accountability", "6 years from the entry", "when, who"),)


@dataclass
class FakeRegistry(PersonDataRegistry):
    """The registry as the portal sees it, for each leader: their standing, their invitations (each
    answerable by its own leader only, as the registry's RLS has it), their history and their export."""

    standings: dict[str, Standing] = field(default_factory=dict)
    invites: dict[str, tuple[str, TrustInvitation]] = field(default_factory=dict)  # id -> (leader, invitation)
    histories: dict[str, list[HistoryEntry]] = field(default_factory=dict)
    erased: list[str] = field(default_factory=list)
    calls: list[tuple[str, ...]] = field(default_factory=list)
    refuse_erasure: bool = False

    def standing(self, leader_id: str) -> Standing:
        if leader_id not in self.standings:
            raise NotFound(f"no leader {leader_id}")  # erased
        return self.standings[leader_id]

    def pause(self, leader_id: str, until: date | None) -> Standing:
        if until is not None and until.year == 2031:
            raise InvalidInput({"until": "must be a date in the future"})  # as the registry would name it
        self.calls.append(("pause", leader_id, str(until)))
        self.standings[leader_id] = Standing("paused", until)
        return self.standings[leader_id]

    def resume(self, leader_id: str) -> Standing:
        self.calls.append(("resume", leader_id))
        self.standings[leader_id] = Standing("active", None)
        return self.standings[leader_id]

    def withdraw(self, leader_id: str, reason: str) -> Standing:
        self.calls.append(("withdraw", leader_id, reason))
        self.standings[leader_id] = Standing("withdrawn", None)
        return self.standings[leader_id]

    def export(self, leader_id: str) -> str:
        return json.dumps({"leader_id": leader_id, "profile": {"given_name": "Ada"}})

    def _page(self, leader_id: str, token: str, size: int) -> HistoryPage:
        if token and not (token.isascii() and token.isdigit()):
            raise InvalidInput({"page_token": "is not a page token of this listing"})
        start = int(token or 0)
        entries = self.histories.get(leader_id, [])
        more = start + size < len(entries)
        return HistoryPage(tuple(entries[start : start + size]), str(start + size) if more else "")

    def access_history(self, leader_id: str, page_token: str, page_size: int) -> HistoryPage:
        return self._page(leader_id, page_token, page_size)

    def change_history(self, leader_id: str, page_token: str, page_size: int) -> HistoryPage:
        return self._page(leader_id, page_token, page_size)

    def erase(self, leader_id: str) -> tuple[Retained, ...]:
        if self.refuse_erasure:
            raise PreconditionFailed("the registry cannot erase now")
        self.erased.append(leader_id)
        return KEPT

    def invitations(self, leader_id: str) -> list[TrustInvitation]:
        return [i for owner, i in self.invites.values() if owner == leader_id]

    def _own(self, leader_id: str, invitation_id: str) -> TrustInvitation:
        found = self.invites.get(invitation_id)
        if found is None or found[0] != leader_id:
            raise NotFound("no such invitation")
        return found[1]

    def accept_invitation(self, leader_id: str, invitation_id: str) -> None:
        self._own(leader_id, invitation_id)
        self.calls.append(("accept", leader_id, invitation_id))

    def decline_invitation(self, leader_id: str, invitation_id: str) -> None:
        self._own(leader_id, invitation_id)
        self.calls.append(("decline", leader_id, invitation_id))

    def trust_name(self, leader_id: str, ods: str) -> str:
        return {"RAA": "Aire NHS Trust"}.get(ods, ods)


@dataclass
class FakeAccounts(AccountEraser):
    accounts: dict[str, Account] = field(default_factory=dict)

    def delete_account(self, account_id: str) -> None:
        del self.accounts[account_id]


@dataclass
class Portal:
    client: FlaskClient
    registry: FakeRegistry
    accounts: FakeAccounts
    signed_in: list[str | None]

    def sign_in_as(self, account_id: str | None) -> None:
        self.signed_in[0] = account_id


@pytest.fixture
def portal() -> Portal:
    """The blueprint in an application with the portal's templates and the endpoints they link to; the
    signed-in account is whichever the test says (the real application's sessions are proved in the
    integration tests)."""
    registry = FakeRegistry(
        standings={ADA: Standing("active", None), BEN: Standing("active", None)},
        invites={
            "inv-ada": (ADA, TrustInvitation("inv-ada", "RAA", "Aire NHS Trust", "sent", NOW)),
            "inv-ben": (BEN, TrustInvitation("inv-ben", "RBB", "RBB", "sent", NOW)),
            "inv-old": (ADA, TrustInvitation("inv-old", "RAA", "Aire NHS Trust", "declined", NOW)),
        },
    )
    accounts = FakeAccounts(
        {
            "acc-ada": Account("acc-ada", "ada@example.org", "h", True, ADA),
            "acc-ben": Account("acc-ben", "ben@example.org", "h", True, BEN),
            "acc-new": Account("acc-new", "new@example.org", "h", True, None),
        }
    )
    current: list[str | None] = ["acc-ada"]
    app = Flask(__name__, template_folder=str(HERE / "templates"))
    for endpoint in ("start", "requests", "sign_in", "register", "sign_out"):
        app.add_url_rule(f"/{endpoint}", endpoint, lambda: "elsewhere")
    app.add_url_rule("/assets/<path:name>", "assets", lambda name: "")

    def page(template: str, status: int = 200, **values: object) -> Response:
        return Response(render_template(template, csrf_token="csrf", **values), status)

    def signed_in() -> Account | None:
        return accounts.accounts.get(current[0] or "")

    app.register_blueprint(
        person_pages.blueprint(registry, accounts, page=page, signed_in=signed_in, clock=lambda: NOW)
    )
    return Portal(app.test_client(), registry, accounts, current)


def _main(response: object) -> str:
    text = response.get_data(as_text=True)  # type: ignore[attr-defined]
    return str(text.split("<main", 1)[1].split("</main>", 1)[0])


# ---- the return date, as typed -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "month", "year", "why"),
    [
        ("", "3", "2027", "must include a day"),
        ("1", "", "", "must include a month and a year"),
        ("x", "3", "2027", "real date"),
        ("31", "2", "2027", "real date"),
        ("1", "3", "27", "real date"),
        ("1", "12", "2026", "in the future"),
        ("1", "1", "2040", "within 5 years"),
        ("1", "13", "2027", "real date"),
    ],
)
def test_a_return_date_that_is_not_a_real_future_date_is_refused_naming_it(
    day: str, month: str, year: str, why: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        return_date(day, month, year, NOW.date())
    assert set(refused.value.fields) == {"until"} and why in refused.value.fields["until"]


def test_a_return_date_is_optional() -> None:
    assert return_date(" ", "", "", NOW.date()) is None
    assert return_date("27", "3", "2027", NOW.date()) == date(2027, 3, 27)


# ---- taking part -----------------------------------------------------------------------------------


def test_pausing_with_a_return_date_pauses_the_signed_in_person_until_then(portal: Portal) -> None:
    explained = portal.client.get("/taking-part/pause")
    assert explained.status_code == 200 and "do not ask you to get involved" in _main(explained)
    done = portal.client.post("/taking-part/pause", data={"until-day": "27", "until-month": "3", "until-year": "2027"})
    assert done.status_code == 200 and "27 March 2027" in _main(done)
    assert portal.registry.calls == [("pause", ADA, "2027-03-27")]
    page = _main(portal.client.get("/taking-part"))
    assert "paused taking part until 27 March 2027" in page and "Resume taking part" in page


def test_a_bad_return_date_answers_the_form_naming_the_field_and_pauses_no_one(portal: Portal) -> None:
    bad = portal.client.post("/taking-part/pause", data={"until-day": "31", "until-month": "2", "until-year": "2027"})
    main = _main(bad)
    assert bad.status_code == 400 and 'href="#until"' in main and 'id="until"' in main
    assert "The return date must be a real date" in main and 'value="31"' in main
    # the registry's own refusal of the date names the same field
    refused = portal.client.post(
        "/taking-part/pause", data={"until-day": "1", "until-month": "1", "until-year": "2031"}
    )
    assert refused.status_code == 400 and "must be a date in the future" in _main(refused)
    assert portal.registry.calls == []


def test_a_record_the_registry_no_longer_shows_answers_a_page(portal: Portal) -> None:
    del portal.registry.standings[ADA]
    gone = portal.client.get("/taking-part")
    assert gone.status_code == 404 and "There is nothing here for you" in _main(gone)


def test_resuming_brings_the_person_back(portal: Portal) -> None:
    portal.registry.standings[ADA] = Standing("paused", None)
    done = portal.client.post("/taking-part/resume")
    assert done.status_code == 200 and "You are taking part again" in _main(done)
    assert portal.registry.calls == [("resume", ADA)]


def test_withdrawing_is_explained_then_checked_and_only_then_done(portal: Portal) -> None:
    explained = _main(portal.client.get("/taking-part/withdraw"))
    assert "your link with every trust ends" in explained and "come back later" in explained
    checked = portal.client.post("/taking-part/withdraw", data={"step": "check", "reason": "Moving away"})
    main = _main(checked)
    assert checked.status_code == 200 and "Check your answer before withdrawing" in main and "Moving away" in main
    assert portal.registry.calls == []  # checking changes nothing
    changed = _main(portal.client.post("/taking-part/withdraw", data={"step": "change", "reason": "Moving away"}))
    assert "Moving away</textarea>" in changed and portal.registry.calls == []
    done = portal.client.post("/taking-part/withdraw", data={"step": "confirm", "reason": "Moving away"})
    assert done.status_code == 200 and "You have withdrawn" in _main(done)
    assert portal.registry.calls == [("withdraw", ADA, "Moving away")]
    assert "Come back" in _main(portal.client.get("/taking-part"))


def test_a_reason_too_long_is_refused_naming_it_and_withdraws_no_one(portal: Portal) -> None:
    for step in ("check", "confirm"):
        long = portal.client.post("/taking-part/withdraw", data={"step": step, "reason": "x" * 501})
        assert long.status_code == 400 and 'href="#reason"' in _main(long) and "500 characters" in _main(long)
    assert portal.registry.calls == []


# ---- my data ---------------------------------------------------------------------------------------


def test_the_download_is_the_persons_export_as_a_named_json_file(portal: Portal) -> None:
    hub = _main(portal.client.get("/my-data"))
    assert 'href="/my-data/download"' in hub
    got = portal.client.get("/my-data/download")
    assert got.status_code == 200 and got.mimetype == "application/json"
    assert got.headers["Content-Disposition"] == 'attachment; filename="my-patient-leader-data-2026-12-01.json"'
    assert json.loads(got.get_data(as_text=True))["leader_id"] == ADA


def test_the_history_reads_who_what_and_when_a_page_at_a_time(portal: Portal) -> None:
    entries = [
        HistoryEntry(NOW + timedelta(minutes=n), "trust", "RAA", "s-1", "GetLeader", ("email",)) for n in range(25)
    ]
    entries[0] = HistoryEntry(NOW, "leader", "", "", "UpdateLeader", ("given_name", "consents.contact_by_trust"))
    portal.registry.histories[ADA] = entries
    first = portal.client.get("/my-data/change-history")
    main = _main(first)
    assert first.status_code == 200 and "Who changed your record" in main
    assert "You" in main and "changed your details: first name, consent: contact by trust" in main
    assert "Aire NHS Trust" in main and "looked at your record: email address" in main
    assert "1 December 2026 at 10:00 UTC" in main and main.count('role="row"') == 21  # the header and 20
    assert 'href="/my-data/change-history?page=20"' in main and "First page" not in main
    second = _main(portal.client.get("/my-data/change-history?page=20"))
    assert second.count('role="row"') == 6 and "First page" in second and "Next page" not in second
    assert "Who looked at your record" in _main(portal.client.get("/my-data/access-history"))


def test_a_bad_page_of_history_answers_a_page_saying_so(portal: Portal) -> None:
    for token in ("not-a-token", "x" * 600, "\x00"):
        bad = portal.client.get("/my-data/access-history", query_string={"page": token})
        assert bad.status_code == 400 and "This page of history cannot be found" in _main(bad)


def test_deleting_the_account_says_what_goes_and_what_is_kept_and_asks_to_be_sure(portal: Portal) -> None:
    asked = _main(portal.client.get("/my-data/delete"))
    assert "What is deleted" in asked and "What is kept, and why" in asked
    assert "who looked at your record and when" in asked and "You cannot undo this" in asked
    unsure = portal.client.post("/my-data/delete", data={})
    assert unsure.status_code == 400 and 'href="#confirm"' in _main(unsure)
    assert portal.registry.erased == [] and "acc-ada" in portal.accounts.accounts
    done = portal.client.post("/my-data/delete", data={"confirm": "yes"})
    main = _main(done)
    assert done.status_code == 200 and "Your account is deleted" in main
    assert "who looked at your record and when" in main and "6 years from the entry" in main
    assert portal.registry.erased == [ADA] and "acc-ada" not in portal.accounts.accounts
    assert "acc-ben" in portal.accounts.accounts


def test_a_registry_that_cannot_erase_deletes_nothing_in_the_portal(portal: Portal) -> None:
    portal.registry.refuse_erasure = True
    refused = portal.client.post("/my-data/delete", data={"confirm": "yes"})
    assert refused.status_code == 409 and "Your account was not deleted" in _main(refused)
    assert "acc-ada" in portal.accounts.accounts


def test_the_account_stays_when_the_registry_cannot_be_reached() -> None:
    class Unreachable(FakeRegistry):
        def erase(self, leader_id: str) -> tuple[Retained, ...]:
            raise ConnectionError("registry down")

    accounts = FakeAccounts({"acc-ada": Account("acc-ada", "ada@example.org", "h", True, ADA)})
    with pytest.raises(ConnectionError):
        delete_account(accounts.accounts["acc-ada"], Unreachable(), accounts)
    assert "acc-ada" in accounts.accounts
    # an account joined to no record has nothing to erase in the registry
    unjoined = Account("acc-new", "new@example.org", "h", True, None)
    accounts.accounts["acc-new"] = unjoined
    assert delete_account(unjoined, Unreachable(), accounts) == () and "acc-new" not in accounts.accounts


# ---- invitations and the signed-in person only -----------------------------------------------------


def test_the_pending_invitations_are_the_persons_own_that_wait_for_an_answer(portal: Portal) -> None:
    ada = portal.accounts.accounts["acc-ada"]
    assert [i.invitation_id for i in person_pages.pending_invitations(portal.registry, ada)] == ["inv-ada"]
    assert person_pages.pending_invitations(portal.registry, portal.accounts.accounts["acc-new"]) == []


def test_a_person_accepts_or_declines_their_own_invitation_and_never_anothers(portal: Portal) -> None:
    accepted = portal.client.post("/invitations/inv-ada/accept")
    assert accepted.status_code == 200 and "You accepted the invitation" in _main(accepted)
    for answer in ("accept", "decline"):
        theirs = portal.client.post(f"/invitations/inv-ben/{answer}")
        assert theirs.status_code == 404 and "There is no such invitation for you" in _main(theirs)
    assert portal.registry.calls == [("accept", ADA, "inv-ada")]
    portal.sign_in_as("acc-ben")
    assert portal.client.post("/invitations/inv-ben/decline").status_code == 200
    assert portal.registry.calls[-1] == ("decline", BEN, "inv-ben")


def test_nothing_is_reached_without_a_signed_in_person_with_a_record(portal: Portal) -> None:
    paths = ["/taking-part", "/taking-part/pause", "/my-data/download", "/my-data/access-history"]
    portal.sign_in_as(None)
    for path in paths:
        assert portal.client.get(path).status_code == 303, path
    assert portal.client.post("/invitations/inv-ada/accept").status_code == 303
    assert portal.client.post("/my-data/delete", data={"confirm": "yes"}).status_code == 303
    portal.sign_in_as("acc-new")
    for path in paths:
        assert portal.client.get(path).status_code == 409, path
    assert portal.registry.calls == [] and portal.registry.erased == []


# ---- the invitation email's link, and every form fuzzed --------------------------------------------


def test_an_invitations_emailed_link_joins_the_account_like_a_registrations() -> None:
    store = FakeStore()
    payload = {"leader_id": ADA, "invitation_id": "inv-ada", "to": signed_links.address_tag(KEY, "ada@example.org")}
    link = signed_links.sign(KEY, signed_links.ANSWER_INVITATION, payload, NOW, timedelta(days=14))
    assert take_on_leader(Account("a-1", "ada@example.org", "h", True, None), link, KEY, store, NOW) == ADA
    assert store.leaders == {"a-1": ADA}
    expired = signed_links.sign(KEY, signed_links.ANSWER_INVITATION, payload, NOW, timedelta(seconds=-1))
    with pytest.raises(InvalidInput) as refused:
        take_on_leader(Account("a-2", "bo@example.org", "h", True, None), expired, KEY, store, NOW)
    assert "expired" in refused.value.fields["link"] and store.leaders == {"a-1": ADA}


FORMS = {
    "/taking-part/pause": ("until-day", "until-month", "until-year"),
    "/taking-part/withdraw": ("step", "reason"),
    "/my-data/delete": ("confirm",),
}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    path=st.sampled_from(sorted(FORMS)),
    values=st.lists(st.text(max_size=600), min_size=3, max_size=3),
    token=st.text(max_size=700),
    invitation_id=st.text(alphabet=st.characters(blacklist_characters="/?#%"), min_size=1, max_size=80),
)
def test_no_form_or_link_answers_a_server_error_whatever_it_is_sent(
    portal: Portal, path: str, values: list[str], token: str, invitation_id: str
) -> None:
    portal.registry.refuse_erasure = True  # a fuzzed "yes" must not end the fixture's account
    answered = portal.client.post(path, data=dict(zip(FORMS[path], values, strict=False)))
    assert answered.status_code < 500
    for kind in ("access", "change"):
        assert portal.client.get(f"/my-data/{kind}-history", query_string={"page": token}).status_code < 500
    for answer in ("accept", "decline"):
        assert portal.client.post(f"/invitations/{invitation_id}/{answer}").status_code < 500
