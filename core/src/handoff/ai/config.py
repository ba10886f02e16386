"""The `[ai]` table: the AI rep's rules of engagement as configuration (Q6).

    [ai]
    company = "Acme"
    support_url = "https://support.acme.example/"
    forbidden_urls = ["https://acme.example/demo", "https://acme.example/contact-us"]
    competitors = ["Globex", "Initech"]

    [ai.fallback]
    competitor = "Happy to compare in detail: shall I bring in one of our team?"

Everything the guard enforces is here: the URLs and the phrases that name the
forbidden pages, the competitors, the pricing and promotion terms, what marks
a support seeker, and the replies sent in place of a reply that broke a rule.
"""

from __future__ import annotations

from typing import Self
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from handoff.ai.conversation_config import ConversationsConfig
from handoff.ai.email import AiEmailConfig
from handoff.ai.model_config import ModelConfig
from handoff.ai.studio.config import ContentConfig

__all__ = ["AiConfig", "FallbackReplies"]

DEFAULT_PAGE_PHRASES = (
    "contact us",
    "contact sales",
    "contact form",
    "contact page",
    "demo page",
    "request a demo",
    "book a demo",
    "schedule a demo",
    "sign up for a demo",
    "free demo",
    "live demo",
    "get a demo",
)
DEFAULT_PRICING_TERMS = (
    "discount",
    "promo",
    "promotion",
    "promotional",
    "coupon",
    "voucher",
    "rebate",
    "special pricing",
    "special price",
    "special offer",
    "special deal",
    "exclusive offer",
    "limited time offer",
    "limited-time offer",
    "price match",
    "negotiate",
    "negotiating",
    "negotiation",
    "negotiable",
    "percent off",
    "free months",
    "free month",
    "black friday",
    "cyber monday",
    "cheaper price",
    "lower price",
    "deal for you",
    "waive the fee",
)
DEFAULT_SUPPORT_TERMS = (
    "support team",
    "support ticket",
    "support question",
    "support for my",
    "get support",
    "need support",
    "contact support",
    "customer support",
    "technical support",
    "bug",
    "error",
    "not working",
    "does not work",
    "doesn't work",
    "stopped working",
    "broken",
    "crash",
    "crashes",
    "crashed",
    "outage",
    "reset my password",
    "can't log in",
    "cannot log in",
    "can't sign in",
    "locked out",
    "troubleshoot",
    "failing",
    "failed",
    "fix my",
    "help desk",
    "refund my",
    "my license key",
    "my subscription is",
)


class FallbackReplies(BaseModel):
    """What is sent in place of a reply that broke a rule: one reply per rule."""

    model_config = ConfigDict(extra="forbid")

    pricing: str = Field(
        default="I can't go into that here, but one of our team can walk you through "
        "it: shall I connect you with someone?",
        min_length=1,
        max_length=2000,
        description="Sent instead of a reply that discussed special pricing or promotions "
        "(Q6 no special pricing). Change it to your voice; it must break no rule itself.",
    )
    support: str = Field(
        default="Our support team can help with that: please go to {support_url}",
        min_length=1,
        max_length=2000,
        description="Sent to a support seeker whose reply did not point to the support URL "
        "(Q6 support URL). '{support_url}' is replaced by `support_url` and is required.",
    )
    pages: str = Field(
        default="I can help you right here, or bring in one of our team: what would you "
        "like to know?",
        min_length=1,
        max_length=2000,
        description="Sent instead of a reply that pointed to a demo or contact-us page "
        "(Q6 no demo or contact pages).",
    )
    competitor: str = Field(
        default="That's a comparison one of our team can take you through properly: "
        "shall I connect you with someone?",
        min_length=1,
        max_length=2000,
        description="Sent instead of a comparison that did not present the company as the "
        "better choice (Q6 competitors): the offer of a human.",
    )

    @field_validator("support")
    @classmethod
    def _names_the_support_url(cls, value: str) -> str:
        """The support fallback exists to send the visitor to the support URL."""
        if "{support_url}" not in value:
            raise ValueError("must contain '{support_url}' (where the support URL goes)")
        return value


def _is_web_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


class AiConfig(BaseModel):
    """The AI rep's rules of engagement (Q6); its presence turns the AI flow on."""

    model_config = ConfigDict(extra="forbid")

    company: str = Field(
        min_length=1,
        max_length=200,
        description="The company the AI rep speaks for, as visitors write it ('GitLab'): "
        "a comparison passes only when it presents this name as the better choice.",
    )
    support_url: str = Field(
        max_length=2000,
        description="Where support seekers are sent (an http(s) URL). A visitor asking for "
        "support gets a reply that links it, or the support fallback.",
    )
    forbidden_urls: list[str] = Field(
        default_factory=list,
        max_length=200,
        description="The demo and contact-us pages the AI rep never sends visitors to "
        "(http(s) URLs or site paths like '/sales'). Matched whatever the scheme, 'www.', "
        "query string, fragment or trailing slash, and for the pages under them.",
    )
    forbidden_phrases: list[str] = Field(
        default_factory=lambda: list(DEFAULT_PAGE_PHRASES),
        max_length=200,
        description="Phrases that name the forbidden pages in text ('request a demo', "
        "'contact us'); matched case-insensitively, hyphens and spaces alike.",
    )
    competitors: list[str] = Field(
        default_factory=list,
        max_length=200,
        description="Named competitors: a reply naming one must present `company` as the "
        "better choice, or it is replaced by the offer of a human.",
    )
    pricing_terms: list[str] = Field(
        default_factory=lambda: list(DEFAULT_PRICING_TERMS),
        max_length=500,
        description="Words and phrases of special pricing and promotions ('discount', "
        "'coupon'); a reply using one is replaced. 'N% off' is always caught.",
    )
    support_terms: list[str] = Field(
        default_factory=lambda: list(DEFAULT_SUPPORT_TERMS),
        max_length=500,
        description="Words and phrases in a visitor's message that mark a support seeker "
        "('bug', 'not working').",
    )
    fallback: FallbackReplies = Field(
        default_factory=FallbackReplies,
        description="The replies sent in place of one that broke a rule, per rule.",
    )
    model: ModelConfig | None = Field(
        default=None,
        description="[ai.model]: the connector whose model drafts replies (issue 12); none: "
        "the built-in responder answers.",
    )
    conversations: ConversationsConfig = Field(
        default_factory=ConversationsConfig,
        description="The AI rep's conversations (Q5): entry paths, goals, texts "
        "(`[ai.conversations]`, handoff.ai.conversation_config).",
    )
    content: ContentConfig = Field(
        default_factory=ContentConfig,
        description="AI Studio's content (Q7): the folders and sitemaps the built-in responder "
        "answers from (handoff.ai.studio.config).",
    )
    email: AiEmailConfig | None = Field(
        default=None,
        description="The AI email campaigns (Q16, Q17) and their switches: handoff.ai.email.",
    )

    _compiled: object = PrivateAttr(default=None)
    """The guard's patterns built from this table, once (handoff.ai.guard)."""

    @field_validator("support_url")
    @classmethod
    def _support_url_is_web(cls, value: str) -> str:
        """Visitors are sent there: it must be a link they can open."""
        if not _is_web_url(value):
            raise ValueError(f"expected an http(s) URL, got {value!r}")
        return value

    @field_validator("forbidden_urls")
    @classmethod
    def _forbidden_are_pages(cls, value: list[str]) -> list[str]:
        """Each is a full http(s) URL or a path on the site."""
        for index, url in enumerate(value):
            if not (_is_web_url(url) or url.startswith("/")):
                raise ValueError(f"[{index}]: expected an http(s) URL or a path, got {url!r}")
        return value

    @field_validator("forbidden_phrases", "competitors", "pricing_terms", "support_terms")
    @classmethod
    def _no_blank_terms(cls, value: list[str]) -> list[str]:
        """A blank term would match every reply."""
        for index, term in enumerate(value):
            if not any(ch.isalnum() for ch in term):
                raise ValueError(f"[{index}]: expected a word or phrase, got {term!r}")
        return value

    @model_validator(mode="after")
    def _fallbacks_break_no_rule(self) -> Self:
        """A fallback is sent unchecked in place of a bad reply: it must pass the guard itself."""
        from handoff.ai.guard import check_reply  # noqa: PLC0415 - the guard reads this model

        for name in ("pricing", "pages", "competitor"):
            text = getattr(self.fallback, name)
            verdict = check_reply("", text, self)
            if not verdict.allowed:
                raise ValueError(
                    f"fallback.{name} breaks {verdict.rule_id} ({verdict.rule_name}): "
                    f"{verdict.broken[0].why}"
                )
        texts = self.conversations
        for name in (
            "greeting",
            "email_first",
            "email_for_goal",
            "email_for_support",
            "email_refused",
            "no_answer",
        ):
            text = getattr(texts, name).replace("{support_url}", self.support_url)
            verdict = check_reply("", text, self)
            if not verdict.allowed:
                raise ValueError(
                    f"conversations.{name} breaks {verdict.rule_id} ({verdict.rule_name}): "
                    f"{verdict.broken[0].why}"
                )
        support = self.support_reply()
        verdict = check_reply("", support, self)
        if not verdict.allowed:
            raise ValueError(
                f"fallback.support breaks {verdict.rule_id} ({verdict.rule_name}): "
                f"{verdict.broken[0].why}"
            )
        return self

    def support_reply(self) -> str:
        """The support fallback with the support URL in place."""
        return self.fallback.support.replace("{support_url}", self.support_url)
