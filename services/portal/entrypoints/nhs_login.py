"""Sign in with NHS login (OpenID Connect), when its settings name a provider: leave for it from the
start or sign-in page, come back to /nhs-login/callback. Local accounts stay: with NHS login off, its
button is not shown and its addresses are "page not found"."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, abort, redirect, request

from services.common.errors import DomainError
from services.common.settings import ServiceSettings, SettingsError
from services.portal.adapters.nhs_login import NhsLoginSettings, OidcProvider
from services.portal.entrypoints.pages import Pages
from services.portal.service_layer import nhs_login
from services.portal.service_layer.ports import (
    AccountStore,
    IdentityProvider,
    IdentityProviderUnavailable,
    IdentityRefused,
    NhsLoginStore,
)

log = logging.getLogger("plr.portal")


def provider_from_settings(own: ServiceSettings) -> OidcProvider | None:
    """NHS login as the portal's settings configure it; None when its issuer is empty."""
    from services.portal.manifest import (
        NHS_LOGIN_CLIENT_ID,
        NHS_LOGIN_CLIENT_SECRET,
        NHS_LOGIN_ISSUER,
        NHS_LOGIN_PRIVATE_KEY_FILE,
        NHS_LOGIN_SCOPES,
    )

    issuer = own.value(NHS_LOGIN_ISSUER)
    if issuer is None:
        return None
    client_id = own.value(NHS_LOGIN_CLIENT_ID)
    key, secret = own.value(NHS_LOGIN_PRIVATE_KEY_FILE), own.value(NHS_LOGIN_CLIENT_SECRET)
    if not client_id or not (key or secret):
        raise SettingsError(
            "PLR_PORTAL_NHS_LOGIN_ISSUER is set: PLR_PORTAL_NHS_LOGIN_CLIENT_ID and "
            "PLR_PORTAL_NHS_LOGIN_PRIVATE_KEY_FILE (or PLR_PORTAL_NHS_LOGIN_CLIENT_SECRET) must be too"
        )
    return OidcProvider(NhsLoginSettings(issuer, client_id, key, secret, own.value(NHS_LOGIN_SCOPES)))


def blueprint(
    pages: Pages,
    provider: IdentityProvider | None,
    store: NhsLoginStore,
    account_store: AccountStore,
    clock: Callable[[], datetime],
) -> Blueprint:
    routes = Blueprint("nhs_login", __name__)

    @routes.app_context_processor
    def offered() -> dict[str, Any]:
        return {"nhs_login_offered": provider is not None}

    def configured() -> IdentityProvider:
        if provider is None:
            abort(404)
        return provider

    def unavailable() -> Response:
        return pages.message(
            503,
            "NHS login is not available at the moment",
            "Try again in a few minutes, or sign in with your email address and password.",
            sign_in=True,
        )

    def callback_url() -> str:
        return pages.external("nhs_login.callback")

    @routes.get("/nhs-login")
    def begin() -> Response:
        """A link, not a form: the CSP's ``form-action 'self'`` would stop a form whose answer redirects to
        NHS login. Starting costs nothing to anyone: the attempt is bound to this browser's own session,
        so a page that sends a visitor here cannot finish a sign-in for them (the callback checks)."""
        chosen = configured()
        try:
            url = nhs_login.begin(pages.session().session_id, callback_url(), chosen, store, clock())
        except IdentityProviderUnavailable:
            return unavailable()
        return redirect(url, 303)  # type: ignore[return-value]

    @routes.get("/nhs-login/callback")
    def callback() -> Response:
        chosen = configured()
        if request.args.get("error"):  # the person cancelled, or NHS login refused: its code only
            return pages.message(
                400,
                "You did not sign in with NHS login",
                "You can try again, or sign in with your email address and password.",
                sign_in=True,
            )
        state, code = request.args.get("state", ""), request.args.get("code", "")
        current = pages.session()
        if not state or not code:
            return pages.message(400, "This sign-in cannot be used", "Start again from the sign-in page.", sign_in=True)
        try:
            account = nhs_login.finish(
                state, code, current.session_id, callback_url(), chosen, store, account_store, clock()
            )
        except IdentityProviderUnavailable:
            return unavailable()
        except IdentityRefused as refused:
            log.warning("NHS login's answer was refused: %s", refused)  # what was wrong, never a token or claim
            return pages.message(
                400, "NHS login's answer could not be checked", "Start again from the sign-in page.", sign_in=True
            )
        except DomainError as refused:
            return pages.message(400, "You could not sign in with NHS login", f"{refused}.", sign_in=True)
        return pages.start_signed_in(account)

    return routes
