"""The person's own pages: their profile, their lived experience (behind its consent), their consents
and the equality questions. Each reads and writes the registry as the signed-in person; no page takes
an id from the URL or the form for whom it concerns, so one person's session reaches no one else's
data. Every journey is plain forms (no JavaScript needed)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from flask import Blueprint, Response, redirect, request, url_for

from services.common.errors import DomainError, InvalidInput, NotFound
from services.common.validation import whole_number
from services.portal.domain.accounts import Account
from services.portal.domain.profile import (
    CONSENT_WORDING_VERSION,
    DAYS,
    EQUALITY_QUESTIONS,
    FORMATS,
    LABELS,
    MODES,
    PREFER_NOT,
    PROFILE_PAGE_FIELDS,
    PURPOSES,
    ChangedSinceOpened,
    Consent,
    ConsentOffer,
    Profile,
    Purpose,
    Term,
    consent_offers,
    form_errors,
    profile_from_form,
)
from services.portal.service_layer.person import PersonRegistry


class Page(Protocol):
    """The portal's page renderer (``make_app``'s): the template with the session's CSRF token."""

    def __call__(self, template: str, status: int = 200, **values: Any) -> Response: ...


def _choices(terms: Sequence[Term], held: Sequence[str]) -> list[tuple[str, str]]:
    """The taxonomy's terms as (code, label), and any the person holds that the list does not name (so
    that saving keeps them)."""
    known = {t.code for t in terms}
    return [*((t.code, t.label) for t in terms), *((code, code) for code in held if code not in known)]


def _version(text: str) -> int | None:
    return whole_number(text)


def profile_pages(person: PersonRegistry, page: Page, signed_in: Callable[[], Account | None]) -> Blueprint:
    pages = Blueprint("profile", __name__)

    def leader() -> str | Response:
        """The signed-in person's leader id, or where to send a visitor who has none."""
        account = signed_in()
        if account is None:
            return redirect(url_for("sign_in"), 303)  # type: ignore[return-value]
        if account.leader_id is None:
            return redirect(url_for("requests"), 303)  # type: ignore[return-value]
        return account.leader_id

    @pages.errorhandler(DomainError)
    def refused(error: DomainError) -> Response:
        """What the registry refused, as a page (a read or a write): never a server error."""
        if isinstance(error, ChangedSinceOpened):
            return page("profile-changed.html", 409)
        if isinstance(error, NotFound):
            text = "The registry holds no record for you now. If you think this is wrong, contact the trust."
            return page("message.html", 404, title="Your record was not found", text=text)
        return page("message.html", 409, title="Your change was not made", text=str(error))

    # -- profile ---------------------------------------------------------------------------------------

    def profile_form(
        leader_id: str, values: Profile, version: int, errors: dict[str, str], status: int = 200
    ) -> Response:
        skills = _choices(person.terms(leader_id, "skill"), values.skills)
        interests = _choices(person.terms(leader_id, "interest"), values.interests)
        return page(
            "profile.html",
            status,
            values=values,
            version=version,
            errors=errors,
            skills=skills,
            interests=interests,
            days=DAYS,
            modes=MODES,
            formats=FORMATS,
        )

    @pages.get("/profile")
    def profile() -> Response:
        leader_id = leader()
        if isinstance(leader_id, Response):
            return leader_id
        record = person.record(leader_id)
        return profile_form(leader_id, record.profile, record.version, {})

    @pages.post("/profile")
    def save_profile() -> Response:
        leader_id = leader()
        if isinstance(leader_id, Response):
            return leader_id
        lists = {name: request.form.getlist(name) for name in ("skills", "interests", "days", "modes")}
        lists["preferred_formats"] = request.form.getlist("preferred_formats")
        values, problems = profile_from_form(request.form, lists)
        version = _version(request.form.get("expected_version", ""))
        if version is None:
            return page("profile-changed.html", 409)
        if problems:
            return profile_form(leader_id, values, version, problems, 400)
        try:
            email_pending = person.update(leader_id, version, values, PROFILE_PAGE_FIELDS)
        except InvalidInput as invalid:
            errors = form_errors(invalid.fields, LABELS, "given_name", "Your profile")
            return profile_form(leader_id, values, version, errors, 400)
        except DomainError as error:
            return refused(error)
        return page("profile-saved.html", email_pending=email_pending, email=values.email.strip())

    # -- lived experience, behind its consent ------------------------------------------------------------

    @pages.get("/profile/lived-experience")
    def lived_experience() -> Response:
        leader_id = leader()
        if isinstance(leader_id, Response):
            return leader_id
        record = person.record(leader_id)
        if not record.granted(Purpose.LIVED_EXPERIENCE_MATCHING):
            return page("lived-experience.html", consented=False, errors={})
        held = record.profile.lived_experience
        terms = _choices(person.terms(leader_id, "lived_experience"), held)
        return page("lived-experience.html", consented=True, terms=terms, held=held, version=record.version, errors={})

    @pages.post("/profile/lived-experience")
    def save_lived_experience() -> Response:
        leader_id = leader()
        if isinstance(leader_id, Response):
            return leader_id
        record = person.record(leader_id)
        if not record.granted(Purpose.LIVED_EXPERIENCE_MATCHING):
            return page("lived-experience.html", 409, consented=False, errors={})
        chosen = tuple(request.form.getlist("lived_experience"))
        version = _version(request.form.get("expected_version", ""))
        if version is None:
            return page("profile-changed.html", 409)
        try:
            person.update(leader_id, version, Profile(lived_experience=chosen), ("lived_experience",))
        except InvalidInput as invalid:
            errors = form_errors(invalid.fields, LABELS, "lived_experience", "Lived experience")
            terms = _choices(person.terms(leader_id, "lived_experience"), chosen)
            values = dict(terms=terms, held=chosen, version=version, errors=errors)
            return page("lived-experience.html", 400, consented=True, **values)
        except DomainError as error:
            return refused(error)
        return page("profile-saved.html", email_pending=False, email="")

    # -- consent ---------------------------------------------------------------------------------------

    def offers_of(leader_id: str) -> tuple[list[ConsentOffer], list[Consent]]:
        current, history = person.consents(leader_id)
        return consent_offers(person.trusts(leader_id), person.networks(leader_id), current), history

    def consent_page(leader_id: str, errors: dict[str, str], status: int = 200, recorded: bool = False) -> Response:
        offers, history = offers_of(leader_id)
        titles = {(o.purpose.value, o.target): o.title for o in offers}
        rows = [(c, titles.get((c.purpose, c.target), f"{c.purpose} {c.target}".strip())) for c in history]
        return page(
            "consent.html", status, offers=offers, history=list(reversed(rows)), errors=errors, recorded=recorded
        )

    @pages.get("/consent")
    def consent() -> Response:
        leader_id = leader()
        if isinstance(leader_id, Response):
            return leader_id
        return consent_page(leader_id, {}, recorded=request.args.get("recorded") == "1")

    @pages.post("/consent")
    def record_consent() -> Response:
        leader_id = leader()
        if isinstance(leader_id, Response):
            return leader_id
        purpose, target = request.form.get("purpose", ""), request.form.get("target", "")
        decision = request.form.get("decision", "")
        offers, _ = offers_of(leader_id)
        errors: dict[str, str] = {}
        if decision not in ("grant", "withdraw"):
            errors["consent-choices"] = "Decision must be grant or withdraw: choose a button below"
        elif not any(o.purpose.value == purpose and o.target == target for o in offers):
            field = "purpose" if purpose not in {p.value for p in PURPOSES} else "target"
            errors["consent-choices"] = f"The {field} you chose is not one you can decide here: choose from the list"
        if errors:
            return consent_page(leader_id, errors, 400)
        try:
            person.record_consent(leader_id, purpose, target, decision == "grant", CONSENT_WORDING_VERSION)
        except InvalidInput as invalid:
            why = "; ".join(f"{name} {reason}" for name, reason in invalid.fields.items())
            return consent_page(leader_id, {"consent-choices": f"Your choice was not recorded: {why}"}, 400)
        except DomainError as error:
            return refused(error)
        return redirect(url_for("profile.consent", recorded="1"), 303)  # type: ignore[return-value]

    # -- equality questions ------------------------------------------------------------------------------

    @pages.get("/equality")
    def equality() -> Response:
        leader_id = leader()
        if isinstance(leader_id, Response):
            return leader_id
        return page("equality.html", questions=EQUALITY_QUESTIONS, prefer_not=PREFER_NOT, answers={}, errors={})

    @pages.post("/equality")
    def submit_equality() -> Response:
        leader_id = leader()
        if isinstance(leader_id, Response):
            return leader_id
        answers = {q: request.form.get(q, "") for q in EQUALITY_QUESTIONS if request.form.get(q, "")}
        if not answers:
            return page("equality-done.html", answered=False)
        try:
            person.submit_equality(leader_id, answers)
        except InvalidInput as invalid:
            errors = {
                (name if name in EQUALITY_QUESTIONS else next(iter(EQUALITY_QUESTIONS))): (
                    f"{EQUALITY_QUESTIONS[name][0]} Choose one of the answers, or Prefer not to say"
                    if name in EQUALITY_QUESTIONS
                    else f"{name} {why}"
                )
                for name, why in invalid.fields.items()
            }
            values = dict(questions=EQUALITY_QUESTIONS, prefer_not=PREFER_NOT, answers=answers, errors=errors)
            return page("equality.html", 400, **values)
        except DomainError as error:
            return refused(error)
        return page("equality-done.html", answered=True)

    return pages
