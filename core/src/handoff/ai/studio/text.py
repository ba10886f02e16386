"""Words, stems and the question match rule of the Scorecard and the Inbox (Q7). Pure.

Two questions are compared by their *content stems*: the words of each
(letters and digits, case and accents folded), less the common words that
carry no meaning on their own ("what", "is", "the", "how"...), each reduced
to its Snowball stem ("pricing" and "prices" are both "price"). The order of
the words, punctuation and repeated words do not matter.

The **match rule** (docs/ai.md, "The Scorecard's match rule"): a visitor's
question matches a Scorecard entry when the Jaccard similarity of their
stem sets (shared stems / all stems) is at least `MATCH_THRESHOLD` (0.75)
and neither set is empty. "What does Acme cost per seat?" ({acme, cost,
seat}) matches an entry "Acme cost per seat" (the same set, 1.0) and one
"Acme cost per seat monthly" (3 of 4, 0.75), but not "Acme cost" (2 of 3,
0.67) nor "How much does Acme cost?" ({much, acme, cost}: 2 of 4). When
several entries match, the most similar wins, then the newest. A Scorecard
answer overrides any model, so the rule errs towards no match.

The Inbox groups a question with an earlier one whose stems are at least
`GROUP_THRESHOLD` (0.6) similar, so "How do I reset SSO?" and "how to reset
my SSO settings" count together, while different questions stay apart.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

__all__ = [
    "GROUP_THRESHOLD",
    "MATCH_THRESHOLD",
    "STOPWORDS",
    "content_words",
    "jaccard",
    "question_key",
    "size_bounds",
    "stems",
]

MATCH_THRESHOLD = 0.75
"""Least Jaccard similarity of stems for a visitor's question to match a Scorecard entry."""

GROUP_THRESHOLD = 0.6
"""Least Jaccard similarity of stems for an Inbox question to join an earlier group."""

STOPWORDS = frozenset(
    """
    a about above after again against all am an and any are aren as at be because been before
    being below between both but by can could couldn did didn do does doesn doing don down
    during each few for from further had hadn has hasn have haven having he her here hers
    herself him himself his how i if in into is isn it its itself just let ll me might mightn
    more most must mustn my myself no nor not now of off on once only or other our ours
    ourselves out over own please re same shall shan she should shouldn so some such than that
    the their theirs them themselves then there these they this those through to too under until
    up ve very was wasn we were weren what when where which while who whom why will with won
    would wouldn you your yours yourself yourselves hi hello hey thanks thank tell know want
    like get got also us per s t d m
    """.split()  # noqa: SIM905 - a word list reads best as text
)
"""Words that carry no meaning alone: left out of questions' stems and of full-text queries."""

_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def _fold(text: str) -> str:
    """Lower case, accents dropped ('Café' -> 'cafe'), compatibility forms unified."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def content_words(text: str) -> list[str]:
    """The meaningful words of a text, folded, in order (repeats kept): what a search looks for.

    One-letter words and `STOPWORDS` are left out; "what's" gives "what" and
    "s", both left out.
    """
    return [w for w in _WORD.findall(_fold(text)) if len(w) > 1 and w not in STOPWORDS]


@lru_cache(maxsize=1)
def _stemmer() -> object:
    import snowballstemmer  # noqa: PLC0415 - only questions need it, not every import

    return snowballstemmer.stemmer("english")


@lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    stemmer = _stemmer()
    stemmed: str = stemmer.stemWord(word)  # type: ignore[attr-defined]
    return stemmed


def stems(text: str) -> frozenset[str]:
    """The set of content stems of a text: what two questions are compared by."""
    return frozenset(_stem(w) for w in content_words(text))


def question_key(text: str) -> str:
    """A question's stems, sorted and joined by spaces: equal for questions that say the same.

    Stored beside each Scorecard entry and Inbox group, so equal questions are
    found by an index and similar ones compared without re-reading their text.
    """
    return " ".join(sorted(stems(text)))


def jaccard(left: Iterable[str], right: Iterable[str]) -> float:
    """Shared stems over all stems; 0.0 when either side has none."""
    a, b = frozenset(left), frozenset(right)
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def size_bounds(size: int, threshold: float) -> tuple[int, int]:
    """The stem counts another set may have and still reach `threshold` with a set of `size`.

    Jaccard(A, B) <= min(|A|, |B|) / max(|A|, |B|), so only sets whose size is
    within these bounds can match: the store filters candidates by size first.
    """
    low = math.ceil(size * threshold - 1e-9)
    high = math.floor(size / threshold + 1e-9)
    return max(low, 1), high
