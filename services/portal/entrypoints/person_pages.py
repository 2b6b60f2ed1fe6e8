"""The person's own pages (a Flask blueprint): taking part (pause with a return date, resume, withdraw
after checking their answer), their data (download it, the access and change history, delete the
account) and the trusts' invitations they accept or decline.

Every page acts for the signed-in person only: the registry is asked with their leader id from the
session, never one from the URL or a form, so changing an id in either reaches nothing of anyone else's.
Bad input answers the page again naming the field (400); nothing here answers a 500."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

import grpc
from flask import Blueprint, Response, redirect, request, url_for

from services.common.errors import DomainError, InvalidInput, NotFound, PermissionDenied, PreconditionFailed
from services.portal.domain import person_data as person
from services.portal.domain.accounts import Account
from services.portal.domain.person_data import HISTORY_PAGE_SIZE, HistoryEntry, TrustInvitation
from services.portal.service_layer import person_data as use
from services.portal.service_layer.person_data import AccountEraser, PersonDataRegistry

Page = Callable[..., Response]  # (template, status=200, **values): the page, with the session's CSRF token
PAGE_TOKEN_MAX = 512
log = logging.getLogger("plr.portal")


def pending_invitations(registry: PersonDataRegistry, account: Account) -> list[TrustInvitation]:
    """The invitations waiting for the person's answer (for the trusts' requests page)."""
    if account.leader_id is None:
        return []
    return [i for i in registry.invitations(account.leader_id) if i.status == "sent"]


def blueprint(
    registry: PersonDataRegistry,
    accounts: AccountEraser,
    *,
    page: Page,
    signed_in: Callable[[], Account | None],
    clock: Callable[[], datetime],
) -> Blueprint:
    pages = Blueprint("person", __name__)

    def to_sign_in() -> Response:
        return redirect(url_for("sign_in"), 303)  # type: ignore[return-value]

    def person_or_none() -> tuple[Account, str] | None:
        """The signed-in account and the leader it acts for; None: send them to sign in (or link)."""
        account = signed_in()
        if account is None or account.leader_id is None:
            return None
        return account, account.leader_id

    def not_linked() -> Response:
        if signed_in() is None:
            return to_sign_in()
        text = "Your account is not joined to a patient leader record yet: open the link in the email a trust sent you."
        return page("message.html", 409, title="Your record is not joined yet", text=text)

    def refused(error: DomainError) -> Response:
        if isinstance(error, NotFound | PermissionDenied):
            return page("message.html", 404, title="Not found", text="There is nothing here for you.")
        return page("message.html", 409, title="This cannot be done now", text=str(error))

    # ---- taking part: pause, resume, withdraw -------------------------------------------------------

    @pages.get("/taking-part")
    def taking_part() -> Response:
        found = person_or_none()
        if found is None:
            return not_linked()
        try:
            standing = registry.standing(found[1])
        except DomainError as error:  # a record the registry no longer shows them (erased)
            return refused(error)
        return page("taking-part.html", standing=standing)

    @pages.route("/taking-part/pause", methods=["GET", "POST"])
    def pause() -> Response:
        found = person_or_none()
        if found is None:
            return not_linked()
        _, leader_id = found
        if request.method == "GET":
            return page("pause.html", errors={}, typed={})
        typed = {part: request.form.get(f"until-{part}", "")[:10] for part in ("day", "month", "year")}
        try:
            until = person.return_date(typed["day"], typed["month"], typed["year"], clock().date())
            standing = registry.pause(leader_id, until)
        except InvalidInput as invalid:
            return page("pause.html", 400, errors=_named(invalid, "until"), typed=typed)
        except PreconditionFailed:  # withdrawn: the registry pauses only someone taking part
            text = "You have withdrawn, so there is nothing to pause. Come back first from the taking part page."
            return page("message.html", 409, title="You cannot pause now", text=text)
        except DomainError as error:
            return refused(error)
        return page("taking-part-done.html", standing=standing, done="paused")

    @pages.post("/taking-part/resume")
    def resume() -> Response:
        found = person_or_none()
        if found is None:
            return not_linked()
        try:
            standing = registry.resume(found[1])
        except DomainError as error:
            return refused(error)
        return page("taking-part-done.html", standing=standing, done="resumed")

    @pages.route("/taking-part/withdraw", methods=["GET", "POST"])
    def withdraw() -> Response:
        """Three steps, all in the form (the reason is never in a URL): the reason (optional), checking
        the answer, then withdrawing."""
        found = person_or_none()
        if found is None:
            return not_linked()
        if request.method == "GET":
            return page("withdraw.html", errors={}, reason="")
        step, typed = request.form.get("step", ""), request.form.get("reason", "")
        try:
            reason = person.withdrawal_reason(typed)
        except InvalidInput as invalid:
            return page("withdraw.html", 400, errors=invalid.fields, reason=typed[: person.REASON_MAX * 2])
        if step == "check":
            return page("withdraw-check.html", reason=reason)
        if step != "confirm":
            return page("withdraw.html", errors={}, reason=reason)  # "change": the form again
        try:
            standing = registry.withdraw(found[1], reason)
        except InvalidInput as invalid:
            return page("withdraw.html", 400, errors=_named(invalid, "reason"), reason=reason)
        except DomainError as error:
            return refused(error)
        return page("taking-part-done.html", standing=standing, done="withdrawn")

    # ---- my data: download, history, delete ---------------------------------------------------------

    @pages.get("/my-data")
    def my_data() -> Response:
        if person_or_none() is None and signed_in() is None:
            return to_sign_in()
        return page("my-data.html", linked=person_or_none() is not None)

    @pages.get("/my-data/download")
    def download() -> Response:
        found = person_or_none()
        if found is None:
            return not_linked()
        try:
            document = registry.export(found[1])
        except DomainError as error:
            return refused(error)
        name = f"my-patient-leader-data-{clock().date().isoformat()}.json"
        return Response(
            document,
            mimetype="application/json",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    def history(kind: str) -> Response:
        found = person_or_none()
        if found is None:
            return not_linked()
        token = request.args.get("page", "")
        if len(token) > PAGE_TOKEN_MAX or not token.isprintable():
            return page("message.html", 400, title="This page of history cannot be found", text=_BAD_PAGE)
        lister = registry.access_history if kind == "access" else registry.change_history
        try:
            found_page = lister(found[1], token, HISTORY_PAGE_SIZE)
        except InvalidInput:
            return page("message.html", 400, title="This page of history cannot be found", text=_BAD_PAGE)
        except DomainError as error:
            return refused(error)
        names: dict[str, str] = {}
        rows = [_row(entry, found[1], names, registry) for entry in found_page.entries]
        return page(
            "history.html",
            kind=kind,
            rows=rows,
            next_token=found_page.next_token,
            first=not token,
        )

    @pages.get("/my-data/access-history")
    def access_history() -> Response:
        return history("access")

    @pages.get("/my-data/change-history")
    def change_history() -> Response:
        return history("change")

    @pages.route("/my-data/delete", methods=["GET", "POST"])
    def delete() -> Response:
        account = signed_in()
        if account is None:
            return to_sign_in()
        words = person.RETENTION_WORDS
        if request.method == "GET":
            return page("delete-account.html", errors={}, kept=words, linked=account.leader_id is not None)
        if request.form.get("confirm") != "yes":
            errors = {"confirm": "Select that you understand your account and data will be deleted"}
            return page("delete-account.html", 400, errors=errors, kept=words, linked=account.leader_id is not None)
        try:
            retained = use.delete_account(account, registry, accounts)
        except (DomainError, grpc.RpcError) as error:
            # the registry refused or could not be reached: nothing was deleted, here or there
            log.warning("erasure not done: %s", type(error).__name__)
            status = 503 if isinstance(error, grpc.RpcError) else 409
            return page("message.html", status, title="Your account was not deleted", text=_NOT_DELETED)
        shown = [(words.get(r.name, r.kept), r.period) for r in retained]
        return page("account-deleted.html", retained=shown)

    # ---- trusts' invitations ------------------------------------------------------------------------

    def answer(invitation_id: str, accept: bool) -> Response:
        found = person_or_none()
        if found is None:
            return not_linked()
        try:
            (registry.accept_invitation if accept else registry.decline_invitation)(found[1], invitation_id)
        except (InvalidInput, NotFound, PermissionDenied):
            return page("message.html", 404, title="Invitation not found", text="There is no such invitation for you.")
        except PreconditionFailed as error:
            return page("message.html", 409, title="This invitation cannot be answered now", text=str(error))
        return page("invitation-answered.html", accepted=accept)

    @pages.post("/invitations/<invitation_id>/accept")
    def accept_invitation(invitation_id: str) -> Response:
        return answer(invitation_id, True)

    @pages.post("/invitations/<invitation_id>/decline")
    def decline_invitation(invitation_id: str) -> Response:
        return answer(invitation_id, False)

    return pages


_NOT_DELETED = "Nothing was deleted: your data could not be erased just now. Try again in a few minutes."
_BAD_PAGE = "Go back to the first page of your history and try again."


def _named(invalid: InvalidInput, field: str) -> dict[str, str]:
    """The registry's or the portal's complaint, on the one field the page has."""
    return {field: invalid.fields.get(field) or "; ".join(invalid.fields.values())}


def _row(entry: HistoryEntry, leader_id: str, names: dict[str, str], registry: PersonDataRegistry) -> dict[str, str]:
    """One entry in words: who, what, when."""
    if entry.principal_kind == "leader":
        who = "You"
    elif entry.principal_kind == "trust" and entry.trust_ods:
        if entry.trust_ods not in names:
            names[entry.trust_ods] = registry.trust_name(leader_id, entry.trust_ods)
        who = names[entry.trust_ods]
    elif entry.principal_kind == "administrator":
        who = "The registry's administrator"
    else:
        who = "The registry"
    what = person.doing(entry.method)
    if entry.fields:
        what += ": " + ", ".join(person.field_words(f) for f in entry.fields)
    return {"who": who, "what": what, "when": _when(entry.at), "iso": entry.at.isoformat()}


def _when(at: datetime) -> str:
    return f"{at.day} {at:%B %Y} at {at:%H:%M} UTC"
