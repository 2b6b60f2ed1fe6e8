"""The portal's web application (Flask): a person's account, and the trusts' requests they confirm or
decline. Every page works without JavaScript; every form carries the session's CSRF token; the
registry is called through the portal's credential, for the signed-in person only."""

from __future__ import annotations

import functools
import hmac
import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import grpc
from flask import Flask, Response, abort, g, redirect, render_template, request, send_from_directory, url_for

from services.common import signed_links
from services.common.db import process_engine
from services.common.errors import DomainError, InvalidInput
from services.common.grpc_client import api_channel
from services.common.mail import OutgoingMail, SmtpMailer
from services.common.settings import Settings
from services.portal.adapters.nhs_login import SqlNhsLogins
from services.portal.adapters.passwords import Argon2Hasher, common_passwords
from services.portal.adapters.person_data_registry import GrpcPersonDataRegistry
from services.portal.adapters.person_registry import GrpcPersonRegistry
from services.portal.adapters.registry import RegistryClient
from services.portal.adapters.resets import SqlPasswordResets
from services.portal.adapters.store import Session, SqlAccountStore, SqlSessions
from services.portal.adapters.trust_names import SqlTrustNames
from services.portal.domain.accounts import SESSION_LONGEST
from services.portal.entrypoints import error_pages, password_reset, person_pages, trust_start
from services.portal.entrypoints import nhs_login as nhs_login_pages
from services.portal.entrypoints.pages import Pages
from services.portal.entrypoints.profile import profile_pages
from services.portal.service_layer import accounts
from services.portal.service_layer.person import PersonRegistry
from services.portal.service_layer.person_data import PersonDataRegistry
from services.portal.service_layer.ports import (
    IdentityProvider,
    Mailer,
    NhsLoginStore,
    PortalMailer,
    ResetStore,
    TrustNames,
)

HERE = Path(__file__).resolve().parent.parent
FRONTEND = HERE / "frontend" / "node_modules" / "nhsuk-frontend" / "dist" / "nhsuk"
# nhsuk-frontend's stylesheet asks for its Frutiger fonts from assets.nhs.uk: the portal's CSP refuses
# anything from outside (and the fonts are licensed to NHS services' own domains), so the stylesheet is
# served without those rules and pages use the font stack's fallback (Arial), quietly
STYLESHEET = "nhsuk-frontend.min.css"
FONT_FROM_OUTSIDE = re.compile(r"@font-face\{[^}]*https?://[^}]*\}")


@functools.cache
def stylesheet(name: str) -> str:
    return FONT_FROM_OUTSIDE.sub("", (FRONTEND / name).read_text(encoding="utf-8"))
COOKIE = "plr_portal_session"
log = logging.getLogger("plr.portal")


class FrontendMissing(Exception):
    """nhsuk-frontend is not installed (make venv runs npm ci in services/portal/frontend)."""


def utc_now() -> datetime:
    return datetime.now(UTC)


class SmtpVerificationMailer(Mailer):
    def __init__(self, smtp: SmtpMailer):
        self.smtp = smtp

    def send_verification(self, to: str, url: str) -> None:
        body = (
            "Hello,\n\nTo confirm your email address for the patient leader portal, open this link "
            f"(it works once, for 24 hours):\n{url}\n\nIf you did not create an account, ignore this message.\n"
        )
        self.smtp.send(OutgoingMail(to, "Confirm your email address", body, message_id=url.rsplit("/", 1)[-1][:16]))


class SmtpPortalMailer(SmtpVerificationMailer, PortalMailer):
    """The verification mailer, which also sends password reset links."""

    def send_password_reset(self, to: str, url: str) -> None:
        body = (
            "Hello,\n\nSomeone asked to reset the password of your patient leader portal account. To choose a "
            f"new password, open this link (it works once, for 1 hour):\n{url}\n\n"
            "If you did not ask, ignore this message: your password stays as it is.\n"
        )
        self.smtp.send(OutgoingMail(to, "Reset your password", body, message_id=url.rsplit("/", 1)[-1][:16]))


def run(settings: Settings) -> Flask:
    """The application ``plr-process portal web`` serves, from the process's settings."""
    from services.portal.manifest import MAIL_FROM, PUBLIC_URL, SMTP_URL

    own, registry = settings.service("portal"), settings.service("registry")
    engine = process_engine(settings, "portal", "web")
    return make_app(
        SqlAccountStore(engine),
        SqlSessions(engine),
        SmtpPortalMailer(SmtpMailer(own.value(SMTP_URL), own.value(MAIL_FROM))),
        RegistryClient(api_channel(settings, "registry"), registry.get("PORTAL_TOKEN") or ""),
        confirm_link_key=registry.get("CONFIRM_LINK_KEY") or "",
        public_url=own.value(PUBLIC_URL),
        production=settings.production,
        nhs_login=nhs_login_pages.provider_from_settings(own),
    )


def make_app(
    store: SqlAccountStore,
    sessions: SqlSessions,
    mailer: PortalMailer,
    registry: RegistryClient,
    *,
    confirm_link_key: str,
    public_url: str,
    production: bool,
    clock: Callable[[], datetime] = utc_now,
    person: PersonRegistry | None = None,
    person_data: PersonDataRegistry | None = None,
    nhs_login: IdentityProvider | None = None,  # None: no NHS login (its settings are empty)
    # None: in the portal's own database (``store.engine``): reset links, NHS login's subjects and
    # attempts, trusts' names (the projection of adapters/trust_names.py)
    resets: ResetStore | None = None,
    nhs_logins: NhsLoginStore | None = None,
    trust_names: TrustNames | None = None,
) -> Flask:
    """``person`` and ``person_data``: the registry as the person's own pages call it (profile and consent;
    taking part, data and invitations), by default over ``registry``'s channel. ``public_url``: the
    portal's address as people open it (manifest's PUBLIC_URL), which every address it gives out is made
    from."""
    if not (FRONTEND / "nhsuk-frontend.min.css").is_file():
        raise FrontendMissing(f"nhsuk-frontend is not installed at {FRONTEND}: run `make venv` (it needs npm)")
    app = Flask(__name__, template_folder=str(HERE / "templates"), static_folder=None)
    data_registry = person_data or GrpcPersonDataRegistry(registry.channel, registry.token)
    hasher = Argon2Hasher()

    @app.before_request
    def load_session() -> Response | None:
        found = request.cookies.get(COOKIE)
        g.session = sessions.find(found, clock()) if found else None
        if request.method == "POST":
            sent = request.form.get("csrf_token", "")
            # as bytes: compare_digest raises TypeError on str out of ASCII (a forged token is one)
            if g.session is None or not hmac.compare_digest(sent.encode(), g.session.csrf_token.encode()):
                abort(400, "the form has expired: go back, reload the page and try again")
        return None

    @app.after_request
    def headers(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
            "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "no-referrer"  # one-time links are in some URLs
        if not request.path.startswith("/assets/"):
            response.headers["Cache-Control"] = "no-store"
        if production:
            response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        return response

    def session() -> Session:
        """The visitor's session, started if they have none (a form needs its CSRF token)."""
        if g.session is None:
            g.session = sessions.start(clock())
            g.new_cookie = g.session.session_id
        return g.session

    def page(template: str, status: int = 200, **values: Any) -> Response:
        response = Response(render_template(template, csrf_token=session().csrf_token, **values), status)
        return with_cookie(response)

    def with_cookie(response: Response) -> Response:
        if getattr(g, "new_cookie", None):
            response.set_cookie(
                COOKIE,
                g.new_cookie,
                max_age=int(SESSION_LONGEST.total_seconds()),
                httponly=True,
                secure=production,
                samesite="Lax",
            )
        return response

    def external(endpoint: str, **values: Any) -> str:
        """The address of a page as emailed or given to another site: the public URL's, never the Host
        header's (whoever sends a request chooses that one)."""
        return public_url.rstrip("/") + url_for(endpoint, **values)

    def go(endpoint: str) -> Response:
        return with_cookie(redirect(url_for(endpoint), 303))  # type: ignore[arg-type]

    def signed_in() -> accounts.Account | None:
        current = g.session
        return store.by_id(current.account_id) if current is not None and current.account_id else None

    @app.get("/healthz")
    def healthz() -> Response:
        return Response("ok", mimetype="text/plain")

    @app.get("/assets/nhsuk/<path:name>")
    def assets(name: str) -> Response:
        if name == STYLESHEET:
            return Response(stylesheet(name), mimetype="text/css")
        return send_from_directory(FRONTEND, name)

    @app.get("/")
    def start() -> Response:
        return go("requests") if signed_in() else page("start.html")

    @app.route("/register", methods=["GET", "POST"])
    def register() -> Response:
        if request.method == "GET":
            return page("register.html", errors={})
        try:
            accounts.register(
                request.form.get("email", ""),
                request.form.get("password", ""),
                store,
                hasher,
                mailer,
                lambda token: external("verify", token=token),
                common_passwords(),
                clock(),
            )
        except InvalidInput as invalid:
            return page("register.html", 400, errors=invalid.fields, email=request.form.get("email", ""))
        return page("check-email.html")

    @app.get("/verify/<token>")
    def verify(token: str) -> Response:
        try:
            accounts.verify_email(token, store, clock())
        except DomainError as refused:
            return page("message.html", 400, title="This link cannot be used", text=str(refused))
        return page("message.html", title="Your email address is confirmed", text="You can now sign in.", sign_in=True)

    @app.route("/sign-in", methods=["GET", "POST"])
    def sign_in() -> Response:
        if request.method == "GET":
            return page("sign-in.html", errors={})
        try:
            account = accounts.sign_in(
                request.form.get("email", ""), request.form.get("password", ""), store, hasher, clock()
            )
        except InvalidInput as invalid:
            return page("sign-in.html", 400, errors=invalid.fields)
        except accounts.TooManyAttempts as refused:
            return page("sign-in.html", 429, errors={"email": str(refused)})
        except DomainError as refused:
            return page("sign-in.html", 401, errors={"email": str(refused)})
        return start_signed_in(account)

    def start_signed_in(account: accounts.Account) -> Response:
        link = g.session.confirm_link if g.session is not None else None
        if g.session is not None:
            sessions.end(g.session.session_id)  # a new session id on sign-in: none fixed beforehand
        g.session = sessions.start(clock(), account.account_id)
        g.new_cookie = g.session.session_id
        if link:
            return take_on(account, link)
        return go("requests")

    @app.post("/sign-out")
    def sign_out() -> Response:
        sessions.end(g.session.session_id)
        response = redirect(url_for("start"), 303)
        response.delete_cookie(COOKIE)
        return response  # type: ignore[return-value]

    @app.get("/confirm/<link>")
    def confirm_link(link: str) -> Response:
        """A registry email's link: kept in the session until the person has signed in."""
        if not signed_links.well_formed(link):  # no link the registry made: nothing worth keeping
            text = "This link is not complete: open the link in your email again, or copy all of it."
            return page("message.html", 400, title="This link cannot be used", text=text)
        account = signed_in()
        if account is None:
            sessions.keep_link(session(), link)
            return page("link-kept.html")
        return take_on(account, link)

    def take_on(account: accounts.Account, link: str) -> Response:
        sessions.keep_link(g.session, None)
        try:
            accounts.take_on_leader(account, link, confirm_link_key, store, clock())
        except InvalidInput as invalid:
            return page("message.html", 400, title="This link cannot be used", text=invalid.fields["link"])
        except DomainError as refused:
            return page("message.html", 400, title="This link cannot be used", text=str(refused))
        return go("requests")

    @app.get("/requests")
    def requests() -> Response:
        account = signed_in()
        if account is None:
            return go("sign_in")
        pending = registry.pending_requests(account.leader_id) if account.leader_id else []
        invitations = person_pages.pending_invitations(data_registry, account)
        return page("requests.html", pending=pending, invitations=invitations, linked=account.leader_id is not None)

    def answer(affiliation_id: str, confirm: bool) -> Response:
        account = signed_in()
        if account is None or account.leader_id is None:
            return go("sign_in")
        try:
            (registry.confirm if confirm else registry.decline)(account.leader_id, affiliation_id)
        except grpc.RpcError as error:
            if error.code() in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT):
                return page("message.html", 404, title="Request not found", text="There is no such request for you.")
            if error.code() == grpc.StatusCode.FAILED_PRECONDITION:
                return page("message.html", 409, title="This request was answered already", text=error.details() or "")
            raise
        return page("answered.html", confirmed=confirm)

    @app.post("/requests/<affiliation_id>/confirm")
    def confirm(affiliation_id: str) -> Response:
        return answer(affiliation_id, True)

    @app.post("/requests/<affiliation_id>/decline")
    def decline(affiliation_id: str) -> Response:
        return answer(affiliation_id, False)

    @app.get("/email/verify")
    def email_change_link() -> Response:
        """The link the registry mailed to a new address: it asks before it changes anything (a mail
        scanner opening the link changes nothing), and only the signed-in person can confirm it."""
        token = request.args.get("token", "")
        account = signed_in()
        if account is None or account.leader_id is None:
            return page(
                "message.html",
                title="Sign in to confirm your new email address",
                text="Sign in to the portal, then open the link in the email again.",
                sign_in=True,
            )
        return page("email-verify.html", token=token)

    @app.post("/email/verify")
    def email_change_confirmed() -> Response:
        account = signed_in()
        if account is None or account.leader_id is None:
            return go("sign_in")
        try:
            registry.verify_email_change(account.leader_id, request.form.get("token", ""))
        except grpc.RpcError as error:
            if error.code() in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT):
                text = "It may have been used already, be more than 24 hours old, or be for someone else."
                return page("message.html", 400, title="This link cannot be used", text=text)
            if error.code() == grpc.StatusCode.FAILED_PRECONDITION:
                text = "That address is already in use, so your email address was not changed."
                return page("message.html", 409, title="Your email address was not changed", text=text)
            raise
        return page("message.html", title="Your email address is changed", text="We will use your new address.")

    app.register_blueprint(person_pages.blueprint(data_registry, store, page=page, signed_in=signed_in, clock=clock))
    pages = Pages(page, go, session, signed_in, start_signed_in, external)
    app.register_blueprint(error_pages.blueprint(pages))
    resets = resets or SqlPasswordResets(store.engine)
    app.register_blueprint(password_reset.blueprint(pages, store, resets, mailer, clock))
    nhs_logins = nhs_logins or SqlNhsLogins(store.engine)
    app.register_blueprint(nhs_login_pages.blueprint(pages, nhs_login, nhs_logins, store, clock))
    app.register_blueprint(trust_start.blueprint(pages, trust_names or SqlTrustNames(store.engine)))

    @app.errorhandler(grpc.RpcError)
    def registry_unavailable(error: grpc.RpcError) -> Response:
        log.warning("registry call failed: %s", error.code().name)  # type: ignore[attr-defined]
        return page("message.html", 503, title="Sorry, there is a problem", text="Try again in a few minutes.")

    own_pages = person or GrpcPersonRegistry(registry.channel, registry.token)
    app.register_blueprint(profile_pages(own_pages, page, signed_in))
    return app
