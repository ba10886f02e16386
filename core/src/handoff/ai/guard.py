"""The rules of engagement, enforced on a candidate reply by code (Q6). Pure: no I/O, no clock.

`check_reply(message, reply, config)` takes the visitor's message, the
reply any backend proposed (a model, the built-in responder, a person's
draft) and the `[ai]` table, and returns a `GuardVerdict`: the reply sent
as is, or replaced by the fallback of the first rule it broke, with every
rule's check and why. A replaced reply is never sent.

The four rules, checked in this order (the first broken one picks the
fallback; every broken one is recorded):

- Q6.support: a support seeker (the message uses a support term) gets a
  reply that links the support URL;
- Q6.pages: no link to a demo or contact-us page (markdown links, HTML
  anchors, bare URLs and paths, whatever the scheme, 'www.', query string,
  fragment or trailing slash) and no phrase naming one;
- Q6.pricing: no special pricing or promotions (the configured terms,
  'N% off', 'N months free', an amount with 'instead of', 'down to'...);
- Q6.competitors: each sentence naming a competitor presents the company as
  the better choice; a comparison question gets a reply that does, or
  that offers a human. A model's own comparison is not approved content:
  called with `approved=False`, a reply that compares (or answers a
  comparison) must offer a human, since only the Scorecard and the indexed
  content are approved to compare.

Links come from the standard library (`html.parser` for anchors and text,
`urllib.parse` for URLs); docs/design.md says why the rest is patterns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

if TYPE_CHECKING:
    from handoff.ai.config import AiConfig

__all__ = ["RULES", "Check", "GuardVerdict", "Rule", "check_reply"]


@dataclass(frozen=True)
class Rule:
    """One rule of engagement: its id (under Q6) and its name."""

    id: str
    name: str


SUPPORT = Rule("Q6.support", "support seekers are sent to the support URL")
PAGES = Rule("Q6.pages", "never send visitors to the demo or contact-us pages")
PRICING = Rule("Q6.pricing", "no special pricing or promotions")
COMPETITORS = Rule("Q6.competitors", "comparisons present the company as the better choice")
RULES = (SUPPORT, PAGES, PRICING, COMPETITORS)
"""Every rule, in the order checked: the first one broken picks the reply sent instead."""


@dataclass(frozen=True)
class Check:
    """One rule's check of one reply: broken or not, and why."""

    rule: Rule
    broken: bool
    why: str
    evidence: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        """The check as stored in the decision's explanation."""
        return {
            "rule": self.rule.id,
            "name": self.rule.name,
            "matched": self.broken,
            "why": self.why,
            "evidence": list(self.evidence),
            "rule_ids": ["Q6"],
        }


@dataclass(frozen=True)
class GuardVerdict:
    """What the guard made of a candidate reply: what is sent, and each rule's check."""

    candidate: str
    reply: str
    """What is sent: the candidate when allowed, else the broken rule's fallback."""
    checks: tuple[Check, ...]

    @property
    def broken(self) -> tuple[Check, ...]:
        """The checks the candidate failed, in rule order."""
        return tuple(c for c in self.checks if c.broken)

    @property
    def allowed(self) -> bool:
        """True when the candidate broke no rule and is sent as is."""
        return not self.broken

    @property
    def rule_id(self) -> str | None:
        """The rule whose fallback replaced the candidate (None when allowed)."""
        return self.broken[0].rule.id if self.broken else None

    @property
    def rule_name(self) -> str | None:
        """That rule's name."""
        return self.broken[0].rule.name if self.broken else None

    def outcome(self) -> dict[str, Any]:
        """The decision's outcome: sent as is or replaced, by which rule, and what was sent."""
        return {
            "action": "sent" if self.allowed else "replaced",
            "rule": self.rule_id,
            "rule_name": self.rule_name,
            "broken": [c.rule.id for c in self.broken],
            "sent": self.reply,
        }

    def explanation(self) -> dict[str, Any]:
        """Why, in the shape `handoff explain` reads (summary, matched, not matched)."""
        if self.allowed:
            summary = "the reply was sent as is: it broke none of the rules of engagement (Q6)"
            matched = None
        else:
            first = self.broken[0]
            summary = (
                f"the reply was replaced, never sent: it broke {first.rule.id} ({first.rule.name})"
            )
            matched = f"{first.rule.id} {first.rule.name}: {first.why}"
        return {
            "summary": summary,
            "matched": matched,
            "not_matched": [f"{c.rule.id}: {c.why}" for c in self.checks if not c.broken],
            "rules": [c.as_json() for c in self.checks],
            "candidate": self.candidate,
        }


# -- text -------------------------------------------------------------------------------------


class _Markup(HTMLParser):
    """The text and the link targets of a reply that may hold HTML."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src", "action", "formaction") and value:
                self.links.append(value)
        if tag in ("br", "p", "li", "div"):
            self.text.append("\n")

    def handle_data(self, data: str) -> None:
        self.text.append(data)


_MARKDOWN_LINK = re.compile(r"\]\(\s*<?([^)\s>]+)")
_URL = re.compile(r"(?:https?://|//|www\.)[^\s<>\"'()\[\]{}|\\^`]+", re.IGNORECASE)
_BARE_HOST = re.compile(
    r"(?<![\w@/.-])(?:[a-z0-9-]+\.)+[a-z]{2,}(?:/[^\s<>\"'()\[\]{}]*)?", re.IGNORECASE
)
_PATH = re.compile(r"(?<![\w/.:%-])/[a-z0-9][^\s<>\"'()\[\]{}]*", re.IGNORECASE)
_SENTENCE = re.compile(r"(?<=[.!?;])\s+|\n+")
_NOT = re.compile(r"n['\u2019]t\b", re.IGNORECASE)
_NON_WORD = re.compile(r"[^a-z0-9$€£%]+")


def _words(text: str) -> str:
    """Lower case, "n't" as " not", every run of other characters one space, padded."""
    return " " + _NON_WORD.sub(" ", _NOT.sub(" not", text.lower())).strip() + " "


def _page(url: str) -> tuple[str | None, str]:
    """A link as (host or None when relative, path): scheme, 'www.', query and fragment dropped."""
    url = url.strip().rstrip(".,;:!?*_'\"")
    if url.startswith("//"):
        url = "http:" + url
    elif not url.startswith("/") and "://" not in url:
        url = "http://" + url
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower().removeprefix("www.") or None
    except ValueError:
        return None, ""
    path = re.sub(r"/+", "/", unquote(parts.path).lower()).rstrip("/")
    path = re.sub(r"\.(?:html?|php|aspx?)$", "", path)
    return host, path


def _under(link: tuple[str | None, str], page: tuple[str | None, str]) -> bool:
    """True when the link is the page or a page under it (a relative link: on any host)."""
    host, path = link
    page_host, page_path = page
    if host is not None and page_host is not None and host != page_host:
        return False
    if host is None and page_host is not None and not path:
        return False
    return path == page_path or path.startswith(page_path + "/")


@dataclass(frozen=True)
class _Reply:
    """A reply read once: its plain text, its words, its sentences and every link in it."""

    text: str
    words: str
    sentences: tuple[str, ...]
    links: tuple[str, ...]

    @classmethod
    def read(cls, raw: str) -> _Reply:
        markup = _Markup()
        try:
            markup.feed(raw)
            markup.close()
            text = "".join(markup.text)
        except AssertionError:  # malformed markup the parser gives up on: read it as text
            text = raw
        links = [*markup.links, *_MARKDOWN_LINK.findall(raw)]
        for source in (raw, text):
            links += _URL.findall(source)
            links += _BARE_HOST.findall(source)
            links += _PATH.findall(source)
        sentences = tuple(s for s in _SENTENCE.split(text) if s.strip())
        return cls(text, _words(text), sentences, tuple(dict.fromkeys(links)))


# -- the configured patterns ------------------------------------------------------------------


def _term(term: str) -> re.Pattern[str]:
    """A configured word or phrase as a pattern over `_words` text, plural or -ed/-ing too."""
    body = r"\s+".join(re.escape(w) for w in _words(term).split())
    return re.compile(rf"(?<![a-z0-9]){body}(?:s|es|d|ed|ing)?(?![a-z0-9])")


def _any(terms: list[str] | tuple[str, ...]) -> re.Pattern[str] | None:
    if not terms:
        return None
    bodies = sorted({r"\s+".join(re.escape(w) for w in _words(t).split()) for t in terms}, key=len)
    alternatives = "|".join(reversed(bodies))
    return re.compile(rf"(?<![a-z0-9])(?:{alternatives})(?:s|es|d|ed|ing)?(?![a-z0-9])")


_PERCENT_OFF = re.compile(
    r"\d+(?:[.,]\d+)?\s*(?:%|percent|per cent)\s*(?:off|discount|cheaper|less|reduction)"
)
_MONTHS_FREE = re.compile(
    r"(?<![a-z0-9])(?:\d+|a|one|two|three|six|first)\s+(?:extra\s+)?(?:month|months|year|years)"
    r"\s+(?:free|for free|at no cost|on us|off)"
)
_AMOUNT = re.compile(
    r"(?:[$€£¥]\s?\d|\d+(?:[.,]\d+)?\s?(?:usd|eur|gbp|dollars|euros|bucks))", re.IGNORECASE
)
_PRICE_CHANGE = re.compile(
    r"(?<![a-z0-9])(?:instead of|down to|reduced|reduce|lower|knock|slash|cut|for you|"
    r"just for|only for|special|match)(?![a-z0-9])"
)

_FAVOUR = _any(
    [
        "better",
        "best",
        "superior",
        "stronger",
        "faster",
        "ahead",
        "outperform",
        "outperforms",
        "beat",
        "beats",
        "win",
        "wins",
        "lead",
        "leads",
        "leader",
        "preferred",
        "easier",
        "more complete",
        "more secure",
        "more powerful",
        "more reliable",
        "the better choice",
        "the right choice",
        "the smarter choice",
        "excel",
        "excels",
        "shine",
        "shines",
        "edge",
    ]
)
_AGAINST = _any(
    [
        "worse",
        "worst",
        "inferior",
        "weaker",
        "slower",
        "behind",
        "lag",
        "lags",
        "lack",
        "lacks",
        "falls short",
        "harder",
        "less",
        "trail",
        "trails",
        "missing",
        "clunky",
    ]
)
_CHOICE = _any(
    [
        "recommend",
        "choose",
        "pick",
        "go with",
        "switch to",
        "prefer",
        "use",
        "try",
        "consider",
        "migrate to",
        "move to",
        "stick with",
        "opt for",
        "stay with",
        "buy",
    ]
)
_UNLIKE = _any(["unlike", "compared with", "compared to", "in contrast to", "whereas"])
_HUMAN_OFFER = _any(
    [
        "connect you with",
        "connect you to",
        "one of our team",
        "someone from our team",
        "a member of our team",
        "talk to a person",
        "speak to a person",
        "a human",
        "one of our reps",
        "a rep",
        "a colleague",
        "bring in",
    ]
)
_NEGATION = re.compile(r"(?<![a-z0-9])(?:not|no|never|nothing|hardly|cannot)(?![a-z0-9])")
_COMPARISON_CUE = _any(
    [
        "vs",
        "versus",
        "compare",
        "compared",
        "comparison",
        "difference",
        "differ",
        "alternative",
        "instead",
        "than",
        "better",
        "worse",
        "best",
        "switch",
        "over",
        "prefer",
        "recommend",
        "choose",
        "pick",
    ]
)


@dataclass(frozen=True)
class _Patterns:
    """An `[ai]` table turned into patterns, once per table."""

    pages: tuple[tuple[str, tuple[str | None, str]], ...]
    phrases: re.Pattern[str] | None
    pricing: re.Pattern[str] | None
    support: re.Pattern[str] | None
    support_page: tuple[str | None, str]
    company: re.Pattern[str]
    competitors: tuple[tuple[str, re.Pattern[str]], ...]


def _patterns(config: AiConfig) -> _Patterns:
    found = config._compiled  # the table's own cache of its patterns
    if isinstance(found, _Patterns):
        return found
    built = _Patterns(
        pages=tuple((url, _page(url)) for url in config.forbidden_urls),
        phrases=_any(config.forbidden_phrases),
        pricing=_any(config.pricing_terms),
        support=_any(config.support_terms),
        support_page=_page(config.support_url),
        company=_term(config.company),
        competitors=tuple((name, _term(name)) for name in config.competitors),
    )
    config._compiled = built
    return built


# -- the rules --------------------------------------------------------------------------------


def _support(message_words: str, reply: _Reply, patterns: _Patterns, url: str) -> Check:
    asked = patterns.support.search(message_words) if patterns.support else None
    if asked is None:
        return Check(SUPPORT, False, "the visitor did not ask for support")
    seeker = f"the visitor asked for support ('{asked.group(0).strip()}')"
    if any(_under(_page(link), patterns.support_page) for link in reply.links):
        return Check(SUPPORT, False, f"{seeker} and the reply links the support URL")
    return Check(
        SUPPORT, True, f"{seeker} and the reply does not link {url}", (asked.group(0).strip(),)
    )


def _pages(reply: _Reply, patterns: _Patterns) -> Check:
    hits = [
        link
        for link in reply.links
        if any(_under(_page(link), page) for _url, page in patterns.pages)
    ]
    if hits:
        return Check(PAGES, True, f"the reply links a forbidden page: {hits[0]}", tuple(hits))
    phrase = patterns.phrases.search(reply.words) if patterns.phrases else None
    if phrase is not None:
        said = phrase.group(0).strip()
        return Check(PAGES, True, f"the reply names a forbidden page: '{said}'", (said,))
    return Check(PAGES, False, "the reply neither links nor names a demo or contact-us page")


def _pricing(reply: _Reply, patterns: _Patterns) -> Check:
    words = reply.words
    hit = patterns.pricing.search(words) if patterns.pricing else None
    hit = hit or _PERCENT_OFF.search(words) or _MONTHS_FREE.search(words)
    if hit is None and _AMOUNT.search(reply.text):
        hit = _PRICE_CHANGE.search(words)
    if hit is not None:
        said = hit.group(0).strip()
        why = f"the reply discusses special pricing or promotions: '{said}'"
        return Check(PRICING, True, why, (said,))
    return Check(PRICING, False, "the reply mentions no special pricing or promotion")


def _mentions(words: str, patterns: _Patterns) -> list[tuple[int, int, bool, str]]:
    """Each (start, end, is_company, name) the sentence names, in order."""
    found = [(m.start(), m.end(), True, "company") for m in patterns.company.finditer(words)]
    for name, pattern in patterns.competitors:
        found += [(m.start(), m.end(), False, name) for m in pattern.finditer(words)]
    return sorted(found)


def _favours_company(words: str, patterns: _Patterns) -> bool:
    """True when the sentence presents the company as the better choice and names no rival higher.

    The first comparison word decides: 'better' or 'faster' favours the name
    said just before it, 'worse' or 'behind' the other one; 'recommend' or
    'go with' favours the name said just after; 'unlike Globex, Acme ...'
    sets the rival apart. A negation fails it.
    """
    if _NEGATION.search(words):
        return False
    mentions = _mentions(words, patterns)
    polar = [
        (m.start(), m.end(), kind)
        for kind, pattern in (
            ("favour", _FAVOUR),
            ("against", _AGAINST),
            ("choice", _CHOICE),
            ("unlike", _UNLIKE),
        )
        if pattern is not None
        for m in pattern.finditer(words)
    ]
    if not polar or not mentions:
        return False
    start, end, kind = min(polar)
    if kind in ("choice", "unlike"):
        after = [m for m in mentions if m[0] >= end]
        if kind == "choice":
            return bool(after) and after[0][2]
        # 'Unlike Globex, Acme ships ...': the rival set apart, the company said after it
        return len(after) > 1 and not after[0][2] and any(m[2] for m in after[1:])
    before = [m for m in mentions if m[1] <= start]
    if not before:
        return False
    return before[-1][2] if kind == "favour" else not before[-1][2]


def _competitors(
    message_words: str, reply: _Reply, patterns: _Patterns, company: str, *, approved: bool
) -> Check:
    if not patterns.competitors:
        return Check(COMPETITORS, False, "no competitors are configured")
    named_any = False
    for sentence in reply.sentences:
        words = _words(sentence)
        rivals = [name for name, pattern in patterns.competitors if pattern.search(words)]
        if not rivals:
            continue
        named_any = True
        if not _favours_company(words, patterns):
            return Check(
                COMPETITORS,
                True,
                f"the reply names {rivals[0]} without presenting {company} as the better "
                f"choice: '{sentence.strip()[:200]}'",
                (sentence.strip()[:200],),
            )
    asked = [name for name, pattern in patterns.competitors if pattern.search(message_words)]
    cue = _COMPARISON_CUE.search(message_words) if _COMPARISON_CUE else None
    offers_human = bool(_HUMAN_OFFER and _HUMAN_OFFER.search(reply.words))
    favoured = any(_favours_company(_words(s), patterns) for s in reply.sentences)
    if not approved and not offers_human and (named_any or (asked and cue)):
        rival = asked[0] if asked else "a competitor"
        return Check(
            COMPETITORS,
            True,
            f"a comparison of {company} with {rival} drafted by a model, not taken from "
            "the approved Scorecard or content, and offering no human",
            (rival,),
        )
    if asked and cue and not named_any and not offers_human and not favoured:
        return Check(
            COMPETITORS,
            True,
            f"the visitor compared {company} with {asked[0]} and the reply does not "
            f"present {company} as the better choice",
            (asked[0],),
        )
    if named_any:
        return Check(COMPETITORS, False, f"every competitor named is put behind {company}")
    return Check(COMPETITORS, False, "the reply names no competitor")


def check_reply(
    message: str, reply: str, config: AiConfig, *, approved: bool = True
) -> GuardVerdict:
    """Q6: the verdict on one candidate reply to the visitor's message, under the `[ai]` table.

    Every rule is checked (each is explained); when one is broken the reply
    sent is the fallback of the first broken rule in `RULES` order (for a
    support seeker, always the support reply), and the candidate is never sent.
    `approved` says the reply comes from approved content (the Scorecard, the
    indexed pages, the hub's own texts); a model's free draft is not, and may
    answer a comparison only by offering a human.
    """
    patterns = _patterns(config)
    read = _Reply.read(reply)
    message_words = _words(_Reply.read(message).text)
    checks = (
        _support(message_words, read, patterns, config.support_url),
        _pages(read, patterns),
        _pricing(read, patterns),
        _competitors(message_words, read, patterns, config.company, approved=approved),
    )
    broken = [c for c in checks if c.broken]
    if not broken:
        return GuardVerdict(reply, reply, checks)
    if patterns.support and patterns.support.search(message_words):
        return GuardVerdict(reply, config.support_reply(), checks)
    fallback = {
        SUPPORT.id: config.support_reply(),
        PAGES.id: config.fallback.pages,
        PRICING.id: config.fallback.pricing,
        COMPETITORS.id: config.fallback.competitor,
    }[broken[0].rule.id]
    return GuardVerdict(reply, fallback, checks)
