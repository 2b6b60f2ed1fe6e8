"""The registry, as the platform sees it (services/common/manifest.py; docs/adding-a-service.md)."""

from __future__ import annotations

from pathlib import Path

from services.common.mail import smtp_url, web_address
from services.common.manifest import Api, ApiCaller, Consumer, Ref, ServiceManifest, Setting, Timer
from services.common.settings import number, optional_token, text
from services.registry.adapters.topology import NOTIFICATIONS

WORKER = "services.registry.entrypoints.worker"

# a notice is owed per day; hourly runs send it early in the day, and the first run at start-up
# catches up whatever fell due while the worker was down
CHECK_SCAN_INTERVAL_S = 3600.0

# the api owns the trust directory and forgets a key at once on its own revocations and suspensions; a
# second api replica (or plr writing directly) notices within this long: kept short, at most 5 s
KEY_CACHE_TTL = Setting(
    "KEY_CACHE_TTL_S",
    "seconds the api reuses a verified trust key (0: never), 0 to 5",
    number(0, 5),
    default="1",
    roles=("api",),
)

# the notifier's mail server: `make run` starts a mail catcher there (messages land in .plr/mail/)
SMTP_URL = Setting(
    "SMTP_URL",
    "the SMTP server the worker sends email through: smtp://host:port (smtp+starttls://, smtps://; user:password@)",
    smtp_url,
    default="smtp://127.0.0.1:8025",
    roles=("worker",),
)
# where the person opens the worker's emailed links: <PORTAL_URL>/email/verify?token=... (a new email
# address) and <PORTAL_URL>/confirm/<link> (a trust's pending registration); the portal's web process
# listens on 8090 by default
PORTAL_URL = Setting(
    "PORTAL_URL",
    "the portal's address, which the links in the worker's email lead to: http(s)://host[:port][/path]",
    web_address,
    default="http://127.0.0.1:8090",
    roles=("worker",),
)
MAIL_FROM = Setting(
    "MAIL_FROM",
    "the From of the email the worker sends",
    text,
    default="Patient Leader Registry <no-reply@plr.invalid>",
    roles=("worker",),
)

# the key the worker signs those links with and the portal checks them with (at least 32 characters;
# empty: no link). Read by the registry worker and the portal's web process only
CONFIRM_LINK_KEY = Setting(
    "CONFIRM_LINK_KEY",
    "the key of the portal links the worker emails (at least 32 characters; empty: no link)",
    optional_token,
    default="",
    roles=("worker",),
    secret=True,
)

# the portal's credential: it acts for signed-in leaders (x-plr-leader) and members of staff
# (x-plr-staff-id), never as itself. Read by the api (to verify it) and, later, by the portal process;
# no worker is given it. Empty: no portal
PORTAL_TOKEN = Setting(
    "PORTAL_TOKEN",
    "the portal's credential (at least 32 characters; empty: no portal)",
    optional_token,
    default="",
    roles=("api",),
    secret=True,
)


def _methods(service: str, *names: str) -> tuple[str, ...]:
    return tuple(f"plr.registry.v1.{service}/{name}" for name in names)


# what a signed-in leader or member of staff does: everything but the administrator's methods (trust
# lifecycle, keys, import). The method's scope and the use case then decide for the person it acts for
PORTAL_METHODS = (
    *_methods("RegistryService", "GetTrust"),
    *_methods(
        "LeaderService",
        "RegisterLeader",
        "ConfirmAffiliation",
        "DeclineAffiliation",
        "EndAffiliation",
        "PauseAffiliation",
        "ResumeAffiliation",
        "ListAffiliations",
        "GetLeader",
        "ListLeaders",
        "UpdateLeader",
        "VerifyEmailChange",
        "PauseLeader",
        "ResumeLeader",
        "WithdrawLeader",
        "RecordConsent",
        "ListConsents",
        "SubmitEqualityMonitoring",
        "GetEqualityReport",
        "ExportLeaderData",
        "EraseLeader",
        "ListAuditEntries",
        "ListChanges",
        "ListTerms",
        "AddTerm",
    ),
    *_methods("CheckService", "RecordCheck", "ListChecks", "GetSharedRecord", "AcceptCheck", "MayPlace"),
    *_methods(
        "DevelopmentService",
        "CreateProgramme",
        "AddModule",
        "ListProgrammes",
        "EnrolLeader",
        "CompleteTraining",
        "ListEnrolments",
        "AssignFacilitator",
        "RecordCheckIn",
        "GetSupport",
        "GetDevelopmentPlan",
        "UpdateDevelopmentPlan",
    ),
    *_methods("StaffService", "AddStaff", "ListStaff", "RemoveStaff"),
    *_methods("NetworkService", "ListNetworks", "FindNetworkCandidates"),
    *_methods("InvitationService", "InviteLeader", "ListInvitations", "AcceptInvitation", "DeclineInvitation"),
)
PORTAL = ApiCaller("portal", PORTAL_TOKEN, PORTAL_METHODS, acts_for=("leader", "staff"))

# matching's credential: its worker reads a person's matching facts (GetMatchingProfile) to keep its
# projection of the people it ranks; that one method, as itself. Read by the registry's api (to verify
# it) and matching's worker (to send it); empty: matching keeps no projection of people
MATCHING_TOKEN = Setting(
    "MATCHING_TOKEN",
    "matching's credential for GetMatchingProfile (at least 32 characters; empty: no matching projection)",
    optional_token,
    default="",
    roles=("api",),
    secret=True,
)
MATCHING = ApiCaller("matching", MATCHING_TOKEN, _methods("MatchingProfileService", "GetMatchingProfile"), acts_for=())

MANIFEST = ServiceManifest(
    name="registry",
    migrations=Path(__file__).parent / "migrations",
    # its own events that call for an email to the person (invitations, changes made on their behalf)
    consumers=(Consumer(NOTIFICATIONS, "registry.notifications", Ref(f"{WORKER}:registry_notification_handlers")),),
    timers=(
        Timer("scan_check_expiry", CHECK_SCAN_INTERVAL_S, Ref(f"{WORKER}:check_expiry_scan")),
        Timer("resume_due_leaders", CHECK_SCAN_INTERVAL_S, Ref(f"{WORKER}:leader_resumption")),
    ),
    api=Api(default_port=50051, run=Ref("services.registry.entrypoints.api:run"), callers=(PORTAL, MATCHING)),
    commands=Ref("services.registry.entrypoints.cli:register"),
    settings=(KEY_CACHE_TTL, PORTAL_TOKEN, MATCHING_TOKEN, SMTP_URL, MAIL_FROM, PORTAL_URL, CONFIRM_LINK_KEY),
    demo=Ref("services.registry.entrypoints.demo:run"),
)
