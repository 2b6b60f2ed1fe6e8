"""A trust's own start page (/t/<ods>/): the portal's journeys under the trust's name, which the portal
knows from the registry's trust events (adapters/trust_names.py). A code the portal does not know as
an active trust's is a page saying so (404), whatever the code looks like."""

from __future__ import annotations

from flask import Blueprint, Response

from services.portal.entrypoints.pages import Pages
from services.portal.service_layer.ports import TrustNames

ODS_MAX = 10  # ODS codes are 3 to 5 characters: anything far longer is not looked up


def blueprint(pages: Pages, trusts: TrustNames) -> Blueprint:
    routes = Blueprint("trust_start", __name__)

    @routes.get("/t/<ods>/")
    def start(ods: str) -> Response:
        code = ods.upper()
        name = trusts.active_trust_name(code) if code.isalnum() and len(code) <= ODS_MAX else None
        if name is None:
            return pages.message(
                404,
                "We cannot find this trust",
                "No NHS trust with this code uses the patient leader portal. Check the address the trust "
                "gave you, or go to the start.",
            )
        return pages.page("trust-start.html", trust_name=name, title=f"{name}: patient leader portal")

    return routes
