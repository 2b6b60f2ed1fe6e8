"""The portal, as the platform sees it (services/common/manifest.py; docs/adding-a-service.md): a web
application (Flask) for patient leaders, its own database of accounts and sessions, and the worker and
migrate every service has. It calls the registry with the registry's PORTAL_TOKEN, acting for the
signed-in person, and checks the registry's emailed links with its CONFIRM_LINK_KEY."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from services.common.mail import smtp_url, web_address
from services.common.manifest import Consumer, Ref, ServiceManifest, Setting, Web
from services.common.settings import optional_token, text
from services.portal.adapters.trust_names import TRUST_NAME_EVENTS

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

# the portal's own address as people open it: the links it emails (verify an address, reset a password)
# and NHS login's return address are made from it, never from the request's Host header (which whoever
# sends the request chooses: a reset asked for with another Host would mail its owner a link there)
PUBLIC_URL = Setting(
    "PUBLIC_URL",
    "the portal's address as people open it, which the links in its email lead to: http(s)://host[:port][/path]",
    web_address,
    default="http://127.0.0.1:8090",
    roles=("web",),
)

# --- NHS login (OpenID Connect): off while ISSUER is empty ---


def optional_issuer(raw: str) -> str | None:
    """A setting's parser: empty (no NHS login), or the provider's https issuer URL (http only on this
    machine's loopback, for a test's own provider)."""
    if raw == "":
        return None
    parts = urlsplit(raw)
    local = parts.scheme == "http" and parts.hostname in ("localhost", "127.0.0.1")
    if not (parts.scheme == "https" or local) or not parts.hostname or parts.query or parts.fragment:
        raise ValueError("expected https://host[/path] (the issuer NHS login's discovery document names)")
    return raw


def optional_text(raw: str) -> str | None:
    return raw or None


def optional_private_key_file(raw: str) -> str | None:
    """A setting's parser: empty, or a readable PEM private key file (its content is the value)."""
    if raw == "":
        return None
    try:
        content = Path(raw).read_text()
    except OSError:
        raise ValueError("expected the path of a readable PEM private key file") from None
    if "PRIVATE KEY-----" not in content:
        raise ValueError("expected a PEM private key (-----BEGIN PRIVATE KEY-----)")
    return content


NHS_LOGIN_ISSUER = Setting(
    "NHS_LOGIN_ISSUER",
    "NHS login's issuer URL (its discovery document is <issuer>/.well-known/openid-configuration); empty: no NHS login",
    optional_issuer,
    default="",
    roles=("web",),
)
NHS_LOGIN_CLIENT_ID = Setting(
    "NHS_LOGIN_CLIENT_ID", "the portal's client id at NHS login", optional_text, default="", roles=("web",)
)
NHS_LOGIN_PRIVATE_KEY_FILE = Setting(
    "NHS_LOGIN_PRIVATE_KEY_FILE",
    "the PEM file of the private key the portal signs its client assertions with (private_key_jwt, RS512, "
    "as NHS login asks); NHS login holds its public key",
    optional_private_key_file,
    default="",
    roles=("web",),
)  # a path, not itself a credential (the file is: mode 0600, readable by the portal's user only)
NHS_LOGIN_CLIENT_SECRET = Setting(
    "NHS_LOGIN_CLIENT_SECRET",
    "a client secret instead of the private key, for a provider that uses one (at least 32 characters)",
    optional_token,
    default="",
    roles=("web",),
    secret=True,
)
NHS_LOGIN_SCOPES = Setting(
    "NHS_LOGIN_SCOPES", "the scopes asked of NHS login", text, default="openid email", roles=("web",)
)
NHS_LOGIN_SETTINGS = (
    NHS_LOGIN_ISSUER,
    NHS_LOGIN_CLIENT_ID,
    NHS_LOGIN_PRIVATE_KEY_FILE,
    NHS_LOGIN_CLIENT_SECRET,
    NHS_LOGIN_SCOPES,
)

MANIFEST = ServiceManifest(
    name="portal",
    migrations=Path(__file__).parent / "migrations",
    settings=(SMTP_URL, MAIL_FROM, PUBLIC_URL, *NHS_LOGIN_SETTINGS),
    # trusts' names and statuses for the per-trust start pages (/t/<ods>/; docs/adr/0011)
    consumers=(
        Consumer(
            TRUST_NAME_EVENTS, "portal.trust-names", Ref("services.portal.adapters.trust_names:trust_name_handlers")
        ),
    ),
    trust_directory=False,  # accounts and sessions only: it asks the registry, acting for the person
    # a demo person's sign-in, once the registry's demo has made its trust and people
    demo=Ref("services.portal.entrypoints.demo:run"),
    demo_after=("registry",),
    web=Web(
        default_port=8090,
        app=Ref("services.portal.entrypoints.web:run"),
        reads=(("registry", "PORTAL_TOKEN"), ("registry", "CONFIRM_LINK_KEY")),
    ),
)
