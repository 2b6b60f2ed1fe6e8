"""Every error the web application answers is an NHS.UK page with its status (a wrong address, a
method a page does not take, an expired form), and anything unforeseen is a 500 page of the same kind
that says nothing of the cause (the cause goes to the log, without personal data)."""

from __future__ import annotations

import logging
import traceback

from flask import Blueprint, Response
from werkzeug.exceptions import HTTPException

from services.portal.entrypoints.pages import Pages

log = logging.getLogger("plr.portal")

TITLES = {
    400: "Sorry, this cannot be done",
    404: "Page not found",
    405: "Sorry, this cannot be done",
    413: "Sorry, this is too large",
    429: "Too many requests",
}


def blueprint(pages: Pages) -> Blueprint:
    routes = Blueprint("error_pages", __name__)

    @routes.app_errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        status = error.code or 500
        if status == 404:
            text = "If you typed the web address, check it is correct. If you pasted it, check you copied all of it."
        elif status == 400 and error.description and "form has expired" in error.description:
            text = error.description
        else:
            text = "Go back and try again."
        return pages.message(status, TITLES.get(status, "Sorry, there is a problem"), text)

    @routes.app_errorhandler(Exception)
    def unforeseen(error: Exception) -> Response:
        # the kind of error and where it was raised only: its text may repeat what a person typed
        where = traceback.extract_tb(error.__traceback__)[-1] if error.__traceback__ else None
        place = f"{where.filename}:{where.lineno} in {where.name}" if where else "unknown"
        log.error("a request failed: %s at %s", type(error).__name__, place)
        return pages.message(500, "Sorry, there is a problem with the service", "Try again later.")

    return routes
