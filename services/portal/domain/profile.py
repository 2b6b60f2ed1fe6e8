"""What the person's own pages show and ask: their profile's fields as a form, each consent purpose in
plain words, and the equality questions. Pure Python. The registry decides what is valid and who may
do what; the portal only words the registry's codes for people and maps the registry's answers back to
the form's fields (the codes are checked against the registry's own in the unit tests)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from services.common.errors import PreconditionFailed
from services.common.validation import whole_number

# the version of the words on the consent page, recorded with each grant or withdrawal: change it when
# the wording of PURPOSES changes
CONSENT_WORDING_VERSION = "portal-2026-12"

DAYS = (
    ("mon", "Monday"),
    ("tue", "Tuesday"),
    ("wed", "Wednesday"),
    ("thu", "Thursday"),
    ("fri", "Friday"),
    ("sat", "Saturday"),
    ("sun", "Sunday"),
)
MODES = (("remote", "Online or by phone"), ("in_person", "In person"))
FORMATS = (
    ("large_print", "Large print"),
    ("easy_read", "Easy read"),
    ("braille", "Braille"),
    ("audio", "Audio"),
    ("bsl", "British Sign Language (BSL)"),
    ("email", "Email"),
    ("post", "Post"),
    ("phone", "Phone call"),
    ("text_message", "Text message"),
)
HOURS_MAX = 200


@dataclass(frozen=True)
class Availability:
    hours_per_month: int = 0
    days: tuple[str, ...] = ()
    modes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Profile:
    """The fields of the person's record the profile pages show and change."""

    given_name: str = ""
    family_name: str = ""
    email: str = ""
    phone: str = ""
    postcode: str = ""
    skills: tuple[str, ...] = ()
    interests: tuple[str, ...] = ()
    lived_experience: tuple[str, ...] = ()
    availability: Availability = field(default_factory=Availability)
    access_needs: str = ""
    support_needs: str = ""
    preferred_formats: tuple[str, ...] = ()


# what the profile page saves (lived experience has its own page, behind its consent)
PROFILE_PAGE_FIELDS = (
    "given_name",
    "family_name",
    "email",
    "phone",
    "postcode",
    "skills",
    "interests",
    "availability",
    "access_needs",
    "support_needs",
    "preferred_formats",
)

# each form field's label, which an error message starts with
LABELS = {
    "given_name": "First name",
    "family_name": "Last name",
    "email": "Email address",
    "phone": "Phone number",
    "postcode": "Postcode",
    "skills": "Skills",
    "interests": "Interests",
    "lived_experience": "Lived experience",
    "hours_per_month": "Hours a month",
    "days": "Days",
    "modes": "How you can take part",
    "access_needs": "Access needs",
    "support_needs": "Support needs",
    "preferred_formats": "Preferred formats",
}
# the registry's field names that differ from the form's
REGISTRY_FIELD_OF_FORM = {
    "availability.hours_per_month": "hours_per_month",
    "availability.days": "days",
    "availability.modes": "modes",
}


class Purpose(StrEnum):
    CONTACT_BY_TRUST = "contact_by_trust"
    SHARE_RECORD_WITH_TRUST = "share_record_with_trust"
    LIVED_EXPERIENCE_MATCHING = "lived_experience_matching"
    SHARE_PROFILE_WITH_NETWORK = "share_profile_with_network"


class TargetKind(StrEnum):
    NONE = "none"  # the person's own, for every trust
    TRUST = "trust"  # one trust (its ODS code)
    NETWORK = "network"  # one network of trusts


@dataclass(frozen=True)
class PurposeWords:
    target: TargetKind
    title: str  # "{name}" is the trust's or network's name
    text: str


PURPOSES: dict[Purpose, PurposeWords] = {
    Purpose.CONTACT_BY_TRUST: PurposeWords(
        TargetKind.TRUST,
        "Let {name} contact you",
        "{name} sees your email address, phone number and full postcode, and may contact you about roles. "
        "Without this it sees only the first part of your postcode (such as LS1) and cannot contact you.",
    ),
    Purpose.SHARE_RECORD_WITH_TRUST: PurposeWords(
        TargetKind.TRUST,
        "Share your checks and training record with {name}",
        "{name} sees your checks that another trust has verified (such as your DBS check level and its dates, "
        "never its content), your completed training and past roles, so that it need not repeat them.",
    ),
    Purpose.LIVED_EXPERIENCE_MATCHING: PurposeWords(
        TargetKind.NONE,
        "Use your lived experience to match you with roles",
        "The trusts you work with see the lived experience you tell us about, and use it to offer you roles "
        "where it matters. If you withdraw this, what you told us about your lived experience is deleted.",
    ),
    Purpose.SHARE_PROFILE_WITH_NETWORK: PurposeWords(
        TargetKind.NETWORK,
        "Let the trusts of {name} find you",
        "Every trust in {name} can find you by your skills, interests and availability (never your name or "
        "contact details) and invite you. It cannot see more of you unless you accept its invitation.",
    ),
}


@dataclass(frozen=True)
class Term:
    code: str
    label: str


@dataclass(frozen=True)
class Consent:
    purpose: str
    target: str
    granted: bool
    recorded_by_kind: str  # "leader" or "staff"
    recorded_at: datetime | None


@dataclass(frozen=True)
class TrustLink:
    """A trust that holds or asks the person (pending or active), by its name."""

    ods: str
    name: str
    status: str


@dataclass(frozen=True)
class Network:
    network_id: str
    name: str


@dataclass(frozen=True)
class PersonRecord:
    """The person as the registry shows them to themselves."""

    version: int
    status: str
    profile: Profile
    consents: tuple[Consent, ...]

    def granted(self, purpose: Purpose, target: str = "") -> bool:
        return any(c.purpose == purpose and c.target == target and c.granted for c in self.consents)


class ChangedSinceOpened(PreconditionFailed):
    """The record changed after the page was opened (the registry's version moved): nothing was saved."""


@dataclass(frozen=True)
class ConsentOffer:
    """One purpose for one target, as the consent page offers it."""

    purpose: Purpose
    target: str
    title: str
    text: str
    granted: bool
    since: datetime | None


def consent_offers(
    trusts: Sequence[TrustLink], networks: Sequence[Network], current: Sequence[Consent]
) -> list[ConsentOffer]:
    """Each purpose the person may decide, for each trust that holds or asks them and each network they
    may share with; and any target they have decided before (so a consent can always be withdrawn)."""
    names: dict[tuple[TargetKind, str], str] = {(TargetKind.TRUST, t.ods): t.name or t.ods for t in trusts}
    names.update({(TargetKind.NETWORK, n.network_id): n.name or n.network_id for n in networks})
    state = {(c.purpose, c.target): c for c in current}
    offers: list[ConsentOffer] = []
    for purpose, words in PURPOSES.items():
        if words.target is TargetKind.NONE:
            targets = [""]
        else:
            offered = [target for kind, target in names if kind is words.target]
            decided = [t for p, t in state if p == purpose and t not in offered]
            targets = [*offered, *sorted(decided)]
        for target in targets:
            name = names.get((words.target, target), target)
            held = state.get((purpose, target))
            offers.append(
                ConsentOffer(
                    purpose,
                    target,
                    words.title.format(name=name),
                    words.text.format(name=name),
                    held is not None and held.granted,
                    held.recorded_at if held is not None else None,
                )
            )
    return offers


PREFER_NOT = ("prefer_not_to_say", "Prefer not to say")

EQUALITY_QUESTIONS: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {
    "age_band": (
        "What is your age?",
        (
            ("16_24", "16 to 24"),
            ("25_34", "25 to 34"),
            ("35_44", "35 to 44"),
            ("45_54", "45 to 54"),
            ("55_64", "55 to 64"),
            ("65_74", "65 to 74"),
            ("75_plus", "75 or over"),
        ),
    ),
    "sex": ("What is your sex?", (("female", "Female"), ("male", "Male"))),
    "gender_identity_same_as_birth": (
        "Is the gender you identify with the same as your sex registered at birth?",
        (("yes", "Yes"), ("no", "No")),
    ),
    "sexual_orientation": (
        "Which of the following best describes your sexual orientation?",
        (
            ("heterosexual", "Straight or heterosexual"),
            ("gay_or_lesbian", "Gay or lesbian"),
            ("bisexual", "Bisexual"),
            ("other", "Another sexual orientation"),
        ),
    ),
    "ethnicity": (
        "What is your ethnic group?",
        (
            ("asian", "Asian or Asian British"),
            ("black", "Black, Black British, Caribbean or African"),
            ("mixed", "Mixed or multiple ethnic groups"),
            ("white", "White"),
            ("other", "Another ethnic group"),
        ),
    ),
    "religion": (
        "What is your religion?",
        (
            ("none", "No religion"),
            ("christian", "Christian"),
            ("buddhist", "Buddhist"),
            ("hindu", "Hindu"),
            ("jewish", "Jewish"),
            ("muslim", "Muslim"),
            ("sikh", "Sikh"),
            ("other", "Another religion"),
        ),
    ),
    "disability": (
        "Do you have a physical or mental health condition or illness lasting or expected to last 12 months or more?",
        (("yes", "Yes"), ("no", "No")),
    ),
    "carer": (
        "Do you look after, or give any help or support to, anyone because of their long-term physical or "
        "mental health condition, illness or problems related to old age?",
        (("yes", "Yes"), ("no", "No")),
    ),
}


def profile_from_form(form: Mapping[str, str], lists: Mapping[str, Sequence[str]]) -> tuple[Profile, dict[str, str]]:
    """The profile page's answers as a Profile, and what is wrong with them that only the form can tell
    (hours not a whole number); everything else is the registry's to judge."""
    problems: dict[str, str] = {}
    hours_text = form.get("hours_per_month", "").strip()
    hours = 0
    if hours_text:
        typed = whole_number(hours_text, max_digits=4)
        if typed is not None:
            hours = typed
        else:
            problems["hours_per_month"] = f"Hours a month must be a whole number from 0 to {HOURS_MAX}"
    profile = Profile(
        given_name=form.get("given_name", ""),
        family_name=form.get("family_name", ""),
        email=form.get("email", ""),
        phone=form.get("phone", ""),
        postcode=form.get("postcode", ""),
        skills=tuple(lists.get("skills", ())),
        interests=tuple(lists.get("interests", ())),
        availability=Availability(hours, tuple(lists.get("days", ())), tuple(lists.get("modes", ()))),
        access_needs=form.get("access_needs", ""),
        support_needs=form.get("support_needs", ""),
        preferred_formats=tuple(lists.get("preferred_formats", ())),
    )
    return profile, problems


# "name: why; name: why", as the registry's INVALID_ARGUMENT names each bad field
_PROBLEM = re.compile(r"(?:^|; )([a-z][a-z0-9_.]*): (.*?)(?=; [a-z][a-z0-9_.]*: |$)", re.DOTALL)


def registry_problems(details: str) -> dict[str, str]:
    """The registry's INVALID_ARGUMENT details as field name -> why."""
    return {m.group(1): m.group(2) for m in _PROBLEM.finditer(details)}


def form_errors(
    problems: Mapping[str, str], labels: Mapping[str, str], first_field: str, fallback_label: str
) -> dict[str, str]:
    """The registry's problems as the form's errors: each under the form field it concerns, its message
    starting with that field's label. A problem with no field on the form (none is expected) is shown
    on the form's first field, so the summary still links somewhere."""
    errors: dict[str, str] = {}
    for name, why in problems.items():
        form_field = REGISTRY_FIELD_OF_FORM.get(name, name)
        if form_field in labels:
            errors[form_field] = f"{labels[form_field]} {why}"
        else:
            errors.setdefault(first_field, f"{fallback_label}: {name} {why}")
    return errors
