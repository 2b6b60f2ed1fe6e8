"""What a leader tells the registry about themselves, and the rules for each field."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields, replace

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MODES = ("remote", "in_person")
FORMATS = ("large_print", "easy_read", "braille", "audio", "bsl", "email", "post", "phone", "text_message")
EMAIL = re.compile(r"[^@\s]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9\-]{1,63})+")
PHONE = re.compile(r"\+?[0-9 ]{7,20}")
# UK postcodes, as the Office for National Statistics writes them (with or without the space)
POSTCODE = re.compile(
    r"(GIR ?0AA|[A-PR-UWYZ][0-9][0-9A-HJKPSTUW]? ?[0-9][ABD-HJLNP-UW-Z]{2}|"
    r"[A-PR-UWYZ][A-HK-Y][0-9][0-9ABEHMNPRVWXY]? ?[0-9][ABD-HJLNP-UW-Z]{2})"
)
TEXT_LIMITS = {"given_name": 100, "family_name": 100, "access_needs": 2000, "support_needs": 2000}
TERM_FIELDS = {"skills": "skill", "interests": "interest", "lived_experience": "lived_experience"}
PERSONAL_FIELDS = ("given_name", "family_name", "email", "phone", "postcode")
CONTACT_FIELDS = ("email", "phone")


def hidden_from_trust(may_contact: bool, lived_experience_consented: bool) -> list[str]:
    """The profile fields a trust is not shown: the contact fields unless the person consented to its
    contact, lived experience unless they consented to matching on it."""
    hidden = [] if may_contact else list(CONTACT_FIELDS)
    if not lived_experience_consented:
        hidden.append("lived_experience")
    return hidden


@dataclass(frozen=True)
class Availability:
    hours_per_month: int = 0
    days: tuple[str, ...] = ()
    modes: tuple[str, ...] = ()


@dataclass(frozen=True)
class LeaderProfile:
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
    declarations_of_interest: tuple[str, ...] = ()

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    def merged(self, other: LeaderProfile, names: Iterable[str]) -> LeaderProfile:
        return replace(self, **{name: getattr(other, name) for name in names})

    def without(self, names: Iterable[str]) -> LeaderProfile:
        blank = LeaderProfile()
        return replace(self, **{name: getattr(blank, name) for name in names})

    def district_only(self) -> LeaderProfile:
        """The postcode cut to its district (outward code, "LS1" of "LS1 4AP"): what a trust that may
        not contact the person sees, enough for coarse distance and no more."""
        return replace(self, postcode=outward_code(self.postcode))

    def normalised(self) -> LeaderProfile:
        return replace(
            self,
            given_name=self.given_name.strip(),
            family_name=self.family_name.strip(),
            email=self.email.strip(),
            phone=" ".join(self.phone.split()),
            postcode=normalise_postcode(self.postcode),
            skills=tuple(dict.fromkeys(self.skills)),
            interests=tuple(dict.fromkeys(self.interests)),
            lived_experience=tuple(dict.fromkeys(self.lived_experience)),
            preferred_formats=tuple(dict.fromkeys(self.preferred_formats)),
        )


def normalise_email(email: str) -> str:
    return email.strip().lower()


def normalise_postcode(postcode: str) -> str:
    compact = "".join(postcode.split()).upper()
    return f"{compact[:-3]} {compact[-3:]}" if len(compact) > 3 else compact


def outward_code(postcode: str) -> str:
    return normalise_postcode(postcode).split(" ")[0] if postcode else ""


def _printable(value: str, multiline: bool = False) -> bool:
    allowed = {"\n", "\r", "\t"} if multiline else set()
    return not any(unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co", "Cn") and c not in allowed for c in value)


TermExists = Callable[[str, str], bool]


def profile_problems(
    profile: LeaderProfile, term_exists: TermExists, names: Iterable[str] | None = None
) -> dict[str, str]:
    """Why each of the named fields (all by default) is invalid; empty when all are valid."""
    check = set(LeaderProfile.field_names() if names is None else names)
    problems: dict[str, str] = {}
    p = profile
    for name, limit in TEXT_LIMITS.items():
        if name not in check:
            continue
        value = getattr(p, name)
        if len(value) > limit:
            problems[name] = f"must be at most {limit} characters"
        elif not _printable(value, multiline=name.endswith("needs")):
            problems[name] = "must not contain control characters"
    for name in ("given_name", "family_name"):
        if name in check and name not in problems and not getattr(p, name).strip():
            problems[name] = "is required"
    if "email" in check and not p.email.strip():
        problems["email"] = "is required"
    elif "email" in check and (len(p.email) > 254 or not EMAIL.fullmatch(p.email.strip())):
        problems["email"] = "must be an email address"
    if "phone" in check and p.phone and not PHONE.fullmatch(p.phone.strip()):
        problems["phone"] = "must be 7 to 20 digits, optionally starting with +"
    if "postcode" in check and p.postcode and not POSTCODE.fullmatch(normalise_postcode(p.postcode)):
        problems["postcode"] = "must be a UK postcode"
    for name, kind in TERM_FIELDS.items():
        if name not in check:
            continue
        values = getattr(p, name)
        if len(values) > 50:
            problems[name] = "at most 50 terms"
        unknown = [v for v in values if not term_exists(kind, v)]
        if unknown:
            problems[name] = f"unknown {kind} term(s): {', '.join(repr(u[:40]) for u in unknown[:5])}"
    if "availability" in check:
        a = p.availability
        if not 0 <= a.hours_per_month <= 200:
            problems["availability.hours_per_month"] = "must be 0 to 200"
        if any(d not in DAYS for d in a.days):
            problems["availability.days"] = f"each must be one of {', '.join(DAYS)}"
        if any(m not in MODES for m in a.modes):
            problems["availability.modes"] = f"each must be one of {', '.join(MODES)}"
    if "preferred_formats" in check and any(f not in FORMATS for f in p.preferred_formats):
        problems["preferred_formats"] = f"each must be one of {', '.join(FORMATS)}"
    if "declarations_of_interest" in check:
        declarations = p.declarations_of_interest
        if len(declarations) > 20 or any(len(d) > 500 or not d.strip() or not _printable(d) for d in declarations):
            problems["declarations_of_interest"] = "at most 20, each 1 to 500 printable characters"
    return problems
