"""Reset a forgotten password: "send me a link" (the same answer whether or not the address has an
account; rate-limited per address and per client), then the link's page sets a new password once and
signs the account out everywhere."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime

from flask import Blueprint, Response, request

from services.common.errors import DomainError, InvalidInput
from services.common.mail import MailNotSent
from services.portal.adapters.passwords import Argon2Hasher, common_passwords
from services.portal.entrypoints.pages import Pages
from services.portal.service_layer import resets
from services.portal.service_layer.accounts import TooManyAttempts
from services.portal.service_layer.ports import AccountStore, ResetMailer, ResetStore

log = logging.getLogger("plr.portal")


class MailedInBackground(ResetMailer):
    """Sends each reset link on a thread of its own, so that "send me a link" answers as fast whether or
    not the address has an account (the mail server's delay would tell otherwise), and a mail server
    that fails changes no answer (the kind of failure is logged, never the address)."""

    def __init__(self, mailer: ResetMailer):
        self.mailer = mailer

    def send_password_reset(self, to: str, url: str) -> None:
        threading.Thread(target=self._send, args=(to, url), name="reset-mail", daemon=True).start()

    def _send(self, to: str, url: str) -> None:
        try:
            self.mailer.send_password_reset(to, url)
        except MailNotSent as failed:
            log.warning("a password reset link was not mailed: %s", failed)


def blueprint(
    pages: Pages, store: AccountStore, reset_store: ResetStore, mailer: ResetMailer, clock: Callable[[], datetime]
) -> Blueprint:
    routes = Blueprint("password_reset", __name__)
    hasher = Argon2Hasher()
    in_background = MailedInBackground(mailer)

    @routes.route("/forgot-password", methods=["GET", "POST"])
    def forgot_password() -> Response:
        if request.method == "GET":
            return pages.page("forgot-password.html", errors={})
        email = request.form.get("email", "")
        try:
            resets.request_reset(
                email,
                request.remote_addr or "",
                store,
                reset_store,
                in_background,
                lambda token: pages.external("password_reset.reset_password", token=token),
                clock(),
            )
        except InvalidInput as invalid:
            return pages.page("forgot-password.html", 400, errors=invalid.fields, email=email)
        except TooManyAttempts as refused:
            return pages.page("forgot-password.html", 429, errors={"email": str(refused)}, email=email)
        return pages.page("reset-sent.html")

    @routes.route("/reset-password/<token>", methods=["GET", "POST"])
    def reset_password(token: str) -> Response:
        """Opening the link changes nothing (a mail scanner may open it); the form sets the password."""
        try:
            if request.method == "GET":
                resets.check_reset_link(token, reset_store, clock())
                return pages.page("reset-password.html", errors={}, token=token)
            resets.reset_password(
                token, request.form.get("password", ""), reset_store, hasher, common_passwords(), clock()
            )
        except InvalidInput as invalid:
            return pages.page("reset-password.html", 400, errors=invalid.fields, token=token)
        except DomainError as refused:
            return pages.message(
                400, "This link cannot be used", f"{refused}. You can ask for a new one.", forgot_password=True
            )
        return pages.message(
            200,
            "Your password is changed",
            "You are signed out everywhere: sign in with your new password.",
            sign_in=True,
        )

    return routes
