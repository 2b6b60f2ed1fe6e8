"""The registry worker's timers and consumer (declared in services/registry/manifest.py): the check
expiry scan, the resumption of paused leaders whose return date has come, and the notifier, which
consumes the registry's own events that call for an email to the person. The worker also relays the
registry's outbox."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from sqlalchemy.engine import Connection, Engine

from services.common.db import apply_scope
from services.common.events import CloudEvent
from services.common.inbox import EventHandler
from services.common.mail import SmtpMailer
from services.common.settings import own_settings
from services.common.tenancy import TenantScope
from services.registry.adapters.email_changes import SqlMailLedger
from services.registry.adapters.recipients import SqlRecipients
from services.registry.adapters.unit_of_work import SqlUnitOfWork
from services.registry.domain.history import SYSTEM
from services.registry.service_layer.checks import scan_check_expiry
from services.registry.service_layer.leaders import resume_due_leaders
from services.registry.service_layer.notifications import NOTIFIED, Notifier
from services.registry.service_layer.ports import Mailer


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


def notification_handlers(mailer: Mailer, portal_url: str = "http://127.0.0.1:8000") -> dict[str, EventHandler]:
    """{event type: handler}: each sends the messages its event calls for, through ``mailer``, recording
    each in the ledger on a connection of its own (the pool always has one to spare: the notifier's
    lanes are fewer than the worker's places, and the pool is at least as large)."""

    def handle(connection: Connection, event: CloudEvent) -> None:
        # the person an event concerns is no tenant's to read: the notifier reads as the platform, then
        # gives the transaction back in the event's scope (the inbox applies a batch's next events in it)
        apply_scope(connection, TenantScope.platform_wide())
        ledger = SqlMailLedger(connection.engine)
        Notifier(SqlRecipients(connection), mailer, ledger, portal_url).notify(event)
        own = TenantScope.trust(event.trust_ods) if event.trust_ods else TenantScope.platform_wide()
        apply_scope(connection, own)  # (a failure rolls the whole transaction back: nothing to give back)

    return dict.fromkeys(NOTIFIED, handle)


def registry_notification_handlers() -> dict[str, EventHandler]:
    """The worker's notifier, sending through the SMTP server of its settings (SMTP_URL, MAIL_FROM),
    with links to the portal (PORTAL_URL)."""
    from services.registry.manifest import MAIL_FROM, PORTAL_URL, SMTP_URL

    own = own_settings("registry", role="worker")
    return notification_handlers(SmtpMailer(own.value(SMTP_URL), own.value(MAIL_FROM)), own.value(PORTAL_URL))
