"""The registry worker's timers and consumer (declared in services/registry/manifest.py): the check
expiry scan, the resumption of paused leaders whose return date has come, and the notifier, which
consumes the registry's own events that call for an email to the person. The worker also relays the
registry's outbox."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy.engine import Connection, Engine

from services.common import signed_links
from services.common.db import apply_scope
from services.common.events import CloudEvent
from services.common.inbox import EventHandler
from services.common.mail import SmtpMailer
from services.common.settings import ServiceSettings, own_settings
from services.common.tenancy import TenantScope
from services.registry.adapters.email_changes import SqlMailLedger
from services.registry.adapters.recipients import SqlRecipients
from services.registry.adapters.unit_of_work import SqlUnitOfWork
from services.registry.domain.history import SYSTEM
from services.registry.service_layer.checks import scan_check_expiry
from services.registry.service_layer.leaders import resume_due_leaders, utc_now
from services.registry.service_layer.notifications import NOTIFIED, ConfirmLink, InvitationLink, Notifier, no_link
from services.registry.service_layer.ports import Mailer

CONFIRM_LINK_VALID_FOR = timedelta(days=14)


def timer_unit_of_work(engine: Engine, timer: str) -> Callable[[], SqlUnitOfWork]:
    """Units of work of a timer (platform-wide): the change history names the timer as the method."""

    def made() -> SqlUnitOfWork:
        uow = SqlUnitOfWork(engine, TenantScope.platform_wide())
        uow.actor = replace(SYSTEM, method=timer)
        return uow

    return made


def check_expiry_scan(engine: Engine) -> Callable[[], int]:
    return lambda: scan_check_expiry(timer_unit_of_work(engine, "scan_check_expiry"))


def leader_resumption(engine: Engine) -> Callable[[], int]:
    return lambda: resume_due_leaders(timer_unit_of_work(engine, "resume_due_leaders"))


def notification_handlers(
    mailer: Mailer,
    portal_url: str = "http://127.0.0.1:8090",
    confirm_link: ConfirmLink = no_link,
    invitation_link: InvitationLink = no_link,
) -> dict[str, EventHandler]:
    """{event type: handler}: each sends the messages its event calls for, through ``mailer``, recording
    each in the ledger on a connection of its own (the pool always has one to spare: the notifier's
    lanes are fewer than the worker's places, and the pool is at least as large)."""

    def handle(connection: Connection, event: CloudEvent) -> None:
        # the person an event concerns is no tenant's to read: the notifier reads as the platform, then
        # gives the transaction back in the event's scope (the inbox applies a batch's next events in it)
        apply_scope(connection, TenantScope.platform_wide())
        ledger = SqlMailLedger(connection.engine)
        Notifier(SqlRecipients(connection), mailer, ledger, portal_url, confirm_link, invitation_link).notify(event)
        own = TenantScope.trust(event.trust_ods) if event.trust_ods else TenantScope.platform_wide()
        apply_scope(connection, own)  # (a failure rolls the whole transaction back: nothing to give back)

    return dict.fromkeys(NOTIFIED, handle)


def registry_notification_handlers() -> dict[str, EventHandler]:
    """The worker's notifier, sending through the SMTP server of its settings (SMTP_URL, MAIL_FROM),
    with links to the portal (PORTAL_URL)."""
    from services.registry.manifest import MAIL_FROM, PORTAL_URL, SMTP_URL

    own = own_settings("registry", role="worker")
    mailer = SmtpMailer(own.value(SMTP_URL), own.value(MAIL_FROM))
    answer_link = portal_confirm_link(own, purpose=signed_links.ANSWER_INVITATION, about="invitation_id")
    return notification_handlers(mailer, own.value(PORTAL_URL), portal_confirm_link(own), answer_link)


def portal_confirm_link(
    own: ServiceSettings,
    clock: Callable[[], datetime] = utc_now,
    purpose: str = signed_links.CONFIRM_AFFILIATION,
    about: str = "affiliation_id",
) -> ConfirmLink:
    """The portal's one-time link for a pending affiliation (or, with ``purpose`` ANSWER_INVITATION and
    ``about`` "invitation_id", an invitation), signed with the key the portal checks it with
    (CONFIRM_LINK_KEY); no link without a key or a portal address. Both land on the portal's /confirm/
    page, which joins the account to the person and shows them the trust's request."""
    from services.registry.manifest import CONFIRM_LINK_KEY, PORTAL_URL

    key, portal = own.value(CONFIRM_LINK_KEY), own.value(PORTAL_URL)
    if not key or not portal:
        return no_link

    def link(leader_id: str, about_id: str, email: str) -> str:
        payload = {"leader_id": leader_id, about: about_id, "to": signed_links.address_tag(key, email)}
        token = signed_links.sign(key, purpose, payload, clock(), CONFIRM_LINK_VALID_FOR)
        return f"{portal.rstrip('/')}/confirm/{token}"

    return link
