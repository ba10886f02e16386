"""AI Studio's retrieval per visitor question (Q7): SQLite FTS5 and PostgreSQL, p50/p99.

    .venv/bin/python benchmarks/bench_retrieval.py [--pages 10000] [--entries 1000]
        [--questions 400] [--postgres URL | --no-postgres]

Writes `--pages` synthetic Markdown pages (3 sections of 2 paragraphs, words
drawn from a 5,000-word vocabulary with a Zipf-like skew, as real text is),
indexes them as one folder source, puts `--entries` questions on the
Scorecard, then asks `--questions` visitor questions: half close to a
Scorecard question (they match), half built from a page's words (answered
from content). Per question it times, each on its own:

- `match_question`: the Scorecard match (the 0.75 rule over the entries of
  a size that can match);
- `search_passages`: ranked full-text retrieval, top 3;
- `BuiltinResponder.draft_now`: the whole built-in answer (Scorecard, then
  retrieval and the quote).

The same on SQLite (a file in a temporary folder) and on PostgreSQL (a
private schema, dropped after; `--postgres`, default
$HANDOFF_TEST_POSTGRES_URL, else the tests' default server).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

from handoff.ai.builtin_responder import BuiltinResponder
from handoff.ai.studio.config import ContentSource
from handoff.ai.studio.content import index_source
from handoff.ai.studio.scorecard import add_entry, match_question
from handoff.ai.studio.search import search_passages
from handoff.store import Store, upgrade

NOW = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SYLLABLES = [
    "ka", "lo", "mi", "ta", "re", "so", "vu", "pe", "ni", "da", "fo", "gi", "ha", "ju", "be",
    "ze", "qu", "wo", "xi", "ly",
]  # fmt: skip


def vocabulary(rng: random.Random, size: int = 5000) -> list[str]:
    """Distinct made-up words of 2-4 syllables (none a stop word)."""
    words: dict[str, None] = {}
    while len(words) < size:
        words.setdefault("".join(rng.choices(SYLLABLES, k=rng.randint(2, 4))), None)
    return list(words)


def zipf_picker(rng: random.Random, words: list[str]) -> Callable[[int], list[str]]:
    """Draw words with weight 1/rank: a few common, most rare."""
    cumulative = list(itertools.accumulate(1 / (rank + 1) for rank in range(len(words))))

    def pick(count: int) -> list[str]:
        return rng.choices(words, cum_weights=cumulative, k=count)

    return pick


def write_site(folder: Path, pages: int, pick: Callable[[int], list[str]]) -> list[str]:
    """`pages` Markdown files; the first paragraph of each page, kept to ask about it."""
    firsts: list[str] = []
    for index in range(pages):
        sections = []
        first = ""
        for section in range(3):
            paragraphs = []
            for _ in range(2):
                sentences = [" ".join(pick(12)).capitalize() + "." for _ in range(5)]
                paragraphs.append(" ".join(sentences))
            first = first or paragraphs[0]
            sections.append(f"## {' '.join(pick(3))} {section}\n\n" + "\n\n".join(paragraphs))
        title = " ".join(pick(3)).title()
        (folder / f"page-{index:05d}.md").write_text(f"# {title}\n\n" + "\n\n".join(sections))
        firsts.append(first)
    return firsts


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[max(0, int(len(ordered) * share) - 1)]


def timed(label: str, samples: list[float]) -> str:
    p50 = statistics.median(samples) * 1e3
    p99 = percentile(samples, 0.99) * 1e3
    return f"  {label:<28} p50 {p50:7.2f} ms   p99 {p99:7.2f} ms   max {max(samples) * 1e3:7.2f} ms"


def run(store: Store, name: str, args: argparse.Namespace, folder: Path) -> None:
    """Index, fill the Scorecard, ask the questions; print the figures for one database."""
    rng = random.Random(7)
    words = vocabulary(rng)
    pick = zipf_picker(rng, words)
    firsts = getattr(run, "firsts", None)
    if firsts is None:
        firsts = write_site(folder, args.pages, pick)
        run.firsts = firsts  # type: ignore[attr-defined]
    source = ContentSource(name="bench", folder=str(folder), max_pages=args.pages)
    started = time.perf_counter()
    report = asyncio.run(index_source(store, source, now=NOW))
    indexing = time.perf_counter() - started
    entry_questions = []
    with store.transaction() as session:
        for index in range(args.entries):
            question = " ".join(rng.sample(words[200:], 4)) + "?"
            entry_questions.append(question)
            add_entry(
                session,
                question=question,
                answer=f"Curated answer {index}.",
                kind="dictated",
                created_by="bench",
                now=NOW,
            )
    questions = []
    for index in range(args.questions):
        if index % 2 == 0:
            base = entry_questions[rng.randrange(len(entry_questions))].rstrip("?").split()
            questions.append("What about " + " ".join(rng.sample(base, len(base))) + "?")
        else:
            sentence = firsts[rng.randrange(len(firsts))].split(".")[0].split()
            questions.append("How does " + " ".join(rng.sample(sentence, 5)) + " work?")
    responder = BuiltinResponder(store)
    matching, searching, drafting = [], [], []
    answered = {"scorecard": 0, "content": 0, "unknown": 0}
    responder.draft_now(questions[0])  # warm the caches (stemmer, connection pool)
    for question in questions:
        with store.sessions() as session:
            started = time.perf_counter()
            match_question(session, question)
            matching.append(time.perf_counter() - started)
            started = time.perf_counter()
            search_passages(session, question, limit=3)
            searching.append(time.perf_counter() - started)
        started = time.perf_counter()
        draft = responder.draft_now(question)
        drafting.append(time.perf_counter() - started)
        kind = draft.backend if draft.backend == "scorecard" else "content"
        answered[kind if draft.passages else "unknown"] += 1
    print(f"{name}: {args.pages} pages ({report.passages} passages) indexed in {indexing:.1f} s;")
    print(f"  {args.entries} Scorecard entries; {len(questions)} questions: {answered}")
    print(timed("Scorecard match", matching))
    print(timed("full-text retrieval (top 3)", searching))
    print(timed("built-in answer (all of it)", drafting))


def pg_store(url: str) -> tuple[Store, Callable[[], None]]:
    """A migrated store in a private schema of the server at `url`; a function dropping it."""
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    dsn = make_url(url).set(drivername="postgresql", query={}).render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    private = make_url(url).update_query_dict({"options": f"-csearch_path={schema}"})
    store = Store(private.render_as_string(hide_password=False))
    upgrade(store)

    def drop() -> None:
        store.dispose()
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')

    return store, drop


def main() -> None:
    """Measure and print retrieval on SQLite, then PostgreSQL."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--pages", type=int, default=10_000)
    parser.add_argument("--entries", type=int, default=1_000)
    parser.add_argument("--questions", type=int, default=400)
    parser.add_argument(
        "--postgres", default=os.environ.get("HANDOFF_TEST_POSTGRES_URL", PG_DEFAULT)
    )
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "site"
        folder.mkdir()
        sqlite = Store(f"sqlite:///{Path(scratch) / 'bench.db'}")
        upgrade(sqlite)
        run(sqlite, "SQLite (FTS5)", args, folder)
        sqlite.dispose()
        if not args.no_postgres:
            store, drop = pg_store(args.postgres)
            try:
                run(store, "PostgreSQL (tsvector, GIN)", args, folder)
            finally:
                drop()
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
