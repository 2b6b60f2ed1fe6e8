"""The portal, as the platform sees it (services/common/manifest.py; docs/adding-a-service.md): a web
application (Flask) for patient leaders, its own database of accounts and sessions, and the worker and
migrate every service has. It calls the registry with the registry's PORTAL_TOKEN, acting for the
signed-in person, and checks the registry's emailed links with its CONFIRM_LINK_KEY."""

from __future__ import annotations

from pathlib import Path

from services.common.mail import smtp_url
from services.common.manifest import Ref, ServiceManifest, Setting, Web
from services.common.settings import text

# the portal's own email (verifying an address): `make run`'s mail catcher by default
SMTP_URL = Setting(
    "SMTP_URL",
    "the SMTP server the portal sends its email through (smtp://host:port, smtp+starttls://, smtps://)",
    smtp_url,
    default="smtp://127.0.0.1:8025",
    roles=("web",),
)
MAIL_FROM = Setting(
    "MAIL_FROM",
    "the From of the portal's email",
    text,
    default="Patient Leader Portal <no-reply@plr.invalid>",
    roles=("web",),
)

MANIFEST = ServiceManifest(
    name="portal",
    migrations=Path(__file__).parent / "migrations",
    settings=(SMTP_URL, MAIL_FROM),
    trust_directory=False,  # accounts and sessions only: it asks the registry, acting for the person
    web=Web(
        default_port=8090,
        app=Ref("services.portal.entrypoints.web:run"),
        reads=(("registry", "PORTAL_TOKEN"), ("registry", "CONFIRM_LINK_KEY")),
    ),
)
