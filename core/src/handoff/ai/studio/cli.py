"""`handoff ai content|scorecard|inbox`: AI Studio from the command line (Q7).

The same operations as the API's /v1/ai/content, /v1/ai/scorecard and
/v1/ai/inbox routes, on the store directly, through the same functions
(`handoff.ai.studio.changes`); changes are audited as `cli:<OS user>`.
Tables print as text, or JSON with `--json`; indexing shows a bar over the
pages on a terminal.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from handoff.cli.options import json_option, open_store_for, store_options
from handoff.errors import HandoffError

if TYPE_CHECKING:
    from handoff.ai.config import AiConfig
    from handoff.config import HubConfig

__all__ = ["content", "inbox", "scorecard"]

_KINDS = click.Choice(["accepted", "edited", "dictated"])


def _table(config_path: Path | None) -> tuple[AiConfig, HubConfig]:
    from handoff.ai.flow import AI  # noqa: PLC0415 - imported when a command runs
    from handoff.config import load_config  # noqa: PLC0415

    config = load_config(config_path)
    table = AI.settings_of(config).ai
    if table is None:
        raise HandoffError("no [ai] table in handoff.toml: the AI flow is off")
    return table, config


def _now() -> Any:
    from handoff_sdk import SystemClock  # noqa: PLC0415

    return SystemClock().now()


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


@click.group("content")
def content() -> None:
    """Index and search the content the AI rep quotes (Q7).

    Sources are the [[ai.content.sources]] of handoff.toml: folders of
    Markdown and HTML, or sitemaps (docs/ai.md, "Content").
    """


@content.command("index")
@store_options
@click.argument("sources", nargs=-1)
@json_option
def index(
    config_path: Path | None, database: str | None, sources: tuple[str, ...], as_json: bool
) -> None:
    """Index SOURCES (names from [[ai.content.sources]] or added in the console; none: all).

    Changed pages are replaced and removed ones dropped; unchanged pages are
    skipped. A sitemap's pages are fetched within the source's budget
    (requests_per_minute). Pages that fail this time keep their old passages.
    """
    from handoff.ai.studio.changes import index_content_source  # noqa: PLC0415
    from handoff.ai.studio.content import discover  # noqa: PLC0415
    from handoff.ai.studio.sources import content_sources  # noqa: PLC0415
    from handoff.api_keys import cli_actor  # noqa: PLC0415
    from handoff.cli.progress import bar  # noqa: PLC0415

    table, config = _table(config_path)
    store = open_store_for(config_path, database)
    with store.sessions() as session:
        configured = content_sources(session, table.content)
    if not configured:
        raise HandoffError(
            "no [[ai.content.sources]] in handoff.toml (nor added in the console): add a folder "
            "or a sitemap (docs/ai.md)"
        )
    by_name = {s.name: s for s in configured}
    chosen = []
    for name in sources:
        if name not in by_name:
            names = ", ".join(by_name)
            raise HandoffError(f"no content source {name!r}: expected one of {names}")
        chosen.append(by_name[name])
    actor = cli_actor()

    async def run() -> list[dict[str, Any]]:
        reports = []
        for source in chosen or configured:
            plan = await discover(source, config_file=config.path)
            with bar(f"indexing {source.name}", len(plan.urls)) as advance:
                report = await index_content_source(
                    store, source, actor=actor, now=_now(), plan=plan, advance=advance
                )
            reports.append(report.as_json())
        return reports

    reports = asyncio.run(run())
    if as_json:
        _echo_json(reports)
        return
    for r in reports:
        click.echo(
            f"{r['source']}: {r['added']} added, {r['changed']} changed, "
            f"{r['unchanged']} unchanged, {r['removed']} removed "
            f"({r['passages']} passages written)"
            + (f", {r['skipped']} over max_pages" if r["skipped"] else "")
        )
        for failed in r["failed"]:
            click.echo(
                f"  not read this time (old passages kept): {failed['url']}: {failed['why']}"
            )


@content.command("add-source")
@store_options
@click.argument("name")
@click.option("--folder", default=None, help="A folder of Markdown and HTML, under handoff.toml's.")
@click.option("--sitemap", default=None, help="A sitemap's http(s) URL.")
@click.option("--base-url", default=None, help="The site address of the folder's pages.")
@click.option("--max-pages", default=None, type=click.IntRange(1, 100_000))
@json_option
def add_source(  # noqa: PLR0917 - click passes each option
    config_path: Path | None,
    database: str | None,
    name: str,
    folder: str | None,
    sitemap: str | None,
    base_url: str | None,
    max_pages: int | None,
    as_json: bool,
) -> None:
    """Add source NAME, a --folder or a --sitemap, beside handoff.toml's (audited as cli:<OS user>).

    Stored in the hub (as the console's Add a source does) and indexed like
    a configured source from then on: `handoff ai content index NAME`. A
    folder must be inside handoff.toml's folder; configure any other there.
    """
    from handoff.ai.studio.changes import add_content_source  # noqa: PLC0415
    from handoff.api_keys import cli_actor  # noqa: PLC0415

    table, _ = _table(config_path)
    fields = {
        key: value
        for key, value in {
            "name": name,
            "folder": folder,
            "sitemap": sitemap,
            "base_url": base_url,
            "max_pages": max_pages,
        }.items()
        if value is not None
    }
    store = open_store_for(config_path, database)
    with store.transaction() as session:
        source = add_content_source(
            session, fields, config=table.content, actor=cli_actor(), now=_now()
        )
    if as_json:
        _echo_json(source.model_dump(exclude_defaults=True))
        return
    click.echo(f"Source {source.name} added: `handoff ai content index {source.name}` reads it.")


@content.command("search")
@store_options
@click.argument("question")
@click.option("--limit", default=5, show_default=True, type=click.IntRange(1, 50))
@json_option
def search(
    config_path: Path | None, database: str | None, question: str, limit: int, as_json: bool
) -> None:
    """The indexed passages that best answer QUESTION, best first, and what the AI rep would say.

    The answer line is the built-in responder's draft (Scorecard first, then
    content, else the offer of a human), before the rules of engagement.
    """
    from handoff.ai.builtin_responder import BuiltinResponder  # noqa: PLC0415
    from handoff.ai.studio.content import passages  # noqa: PLC0415

    table, _ = _table(config_path)
    store = open_store_for(config_path, database)
    with store.sessions() as session:
        found = passages(session, question, limit=limit)
    draft = BuiltinResponder(store, coverage=table.content.answer_coverage).draft_now(question)
    if as_json:
        _echo_json(
            {
                "passages": [
                    {"source": p.source, "title": p.title, "text": p.text, "score": p.score}
                    for p in found
                ],
                "answer": {"text": draft.text, "backend": draft.backend},
            }
        )
        return
    if not found:
        click.echo("No passage holds a word of that question.")
    for rank, p in enumerate(found, 1):
        snippet = p.text if len(p.text) <= 160 else p.text[:157] + "..."
        click.echo(f"{rank}. {p.title}  {p.source}  (score {p.score:.3f})\n   {snippet}")
    click.echo(f"answer ({draft.backend}): {draft.text}")


@click.group("scorecard")
def scorecard() -> None:
    """Curated answers that override any model (Q7).

    A visitor's question gets an entry's answer when it matches: when their
    word stems are at least 75 % alike (Jaccard; docs/ai.md "The Scorecard's
    match rule").
    """


def _entry_line(e: dict[str, Any]) -> str:
    link = f"  {e['link']}" if e["link"] else ""
    return f"{e['id']:>5}  [{e['kind']}] {e['question']}\n       -> {e['answer']}{link}"


@scorecard.command("add")
@store_options
@click.option("--question", required=True, help="The question, as a visitor would ask it.")
@click.option("--answer", required=True, help="The answer sent whenever a question matches.")
@click.option(
    "--kind",
    type=_KINDS,
    default="dictated",
    show_default=True,
    help="accepted (the AI's answer as is), edited (the AI's, changed) or dictated.",
)
@click.option("--link", default=None, help="A page the answer points to (URL or site path).")
@json_option
def add(  # noqa: PLR0917 - click passes each option
    config_path: Path | None,
    database: str | None,
    question: str,
    answer: str,
    kind: str,
    link: str | None,
    as_json: bool,
) -> None:
    """Put a curated answer on the Scorecard (audited as cli:<OS user>)."""
    from handoff.ai.studio.changes import add_scorecard_entry  # noqa: PLC0415
    from handoff.api_keys import cli_actor  # noqa: PLC0415

    _table(config_path)
    store = open_store_for(config_path, database)
    actor, now = cli_actor(), _now()
    with store.transaction() as session:
        entry = add_scorecard_entry(
            session, question=question, answer=answer, kind=kind, link=link, actor=actor, now=now
        )
    if as_json:
        _echo_json(entry.as_json())
        return
    click.echo(f"Scorecard entry {entry.id} added: questions that match it get this answer.")


@scorecard.command("list")
@store_options
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 1000))
@json_option
def list_scorecard(
    config_path: Path | None, database: str | None, limit: int, as_json: bool
) -> None:
    """The Scorecard's entries, newest first."""
    from handoff.ai.studio.scorecard import count_entries, list_entries  # noqa: PLC0415

    _table(config_path)
    store = open_store_for(config_path, database)
    with store.sessions() as session:
        entries = [e.as_json() for e in list_entries(session, limit=limit)]
        total = count_entries(session)
    if as_json:
        _echo_json(entries)
        return
    if not entries:
        click.echo(
            "The Scorecard is empty: `handoff ai scorecard add` or `handoff ai inbox promote`."
        )
        return
    for e in entries:
        click.echo(_entry_line(e))
    if total > len(entries):
        click.echo(f"({len(entries)} of {total}; --limit shows more)")


@scorecard.command("edit")
@store_options
@click.argument("entry_id", type=click.IntRange(min=1))
@click.option("--question", default=None, help="The question's new wording.")
@click.option("--answer", default=None, help="The new answer.")
@click.option("--kind", type=_KINDS, default=None, help="accepted, edited or dictated.")
@click.option("--link", default=None, help="A page the answer points to; '' removes it.")
@json_option
def edit(  # noqa: PLR0917 - click passes each option
    config_path: Path | None,
    database: str | None,
    entry_id: int,
    question: str | None,
    answer: str | None,
    kind: str | None,
    link: str | None,
    as_json: bool,
) -> None:
    """Change entry ENTRY_ID (the options given; the rest kept), audited as cli:<OS user>."""
    from handoff.ai.studio.changes import edit_scorecard_entry  # noqa: PLC0415
    from handoff.ai.studio.scorecard import get_entry  # noqa: PLC0415
    from handoff.api_keys import cli_actor  # noqa: PLC0415

    _table(config_path)
    store = open_store_for(config_path, database)
    with store.transaction() as session:
        entry = get_entry(session, entry_id)
        if entry is None:
            raise HandoffError(
                f"Scorecard entry {entry_id} does not exist: `handoff ai scorecard list`"
            )
        changed = edit_scorecard_entry(
            session,
            entry_id,
            question=question if question is not None else entry.question,
            answer=answer if answer is not None else entry.answer,
            kind=kind or entry.kind,
            link=entry.link if link is None else (link or None),
            actor=cli_actor(),
            now=_now(),
        )
    assert changed is not None
    if as_json:
        _echo_json(changed.as_json())
        return
    click.echo(f"Scorecard entry {changed.id} saved [{changed.kind}].")


@scorecard.command("remove")
@store_options
@click.argument("entry_id", type=click.IntRange(min=1))
@json_option
def remove(config_path: Path | None, database: str | None, entry_id: int, as_json: bool) -> None:
    """Take entry ENTRY_ID off the Scorecard (audited as cli:<OS user>)."""
    from handoff.ai.studio.changes import remove_scorecard_entry  # noqa: PLC0415
    from handoff.api_keys import cli_actor  # noqa: PLC0415

    _table(config_path)
    store = open_store_for(config_path, database)
    actor, now = cli_actor(), _now()
    with store.transaction() as session:
        entry = remove_scorecard_entry(session, entry_id, actor=actor, now=now)
        if entry is None:
            raise HandoffError(
                f"Scorecard entry {entry_id} does not exist: `handoff ai scorecard list`"
            )
    if as_json:
        _echo_json(entry.as_json())
        return
    click.echo(f"Scorecard entry {entry.id} removed ({entry.question!r}).")


@click.group("inbox")
def inbox() -> None:
    """Visitor questions, grouped and counted; promote one (Q7).

    Every visitor question is recorded, grouped with similar ones (word
    stems at least 60 % alike) and counted; promote a common one to the
    Scorecard in one step.
    """


@inbox.command("list")
@store_options
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 1000))
@click.option("--all", "include_promoted", is_flag=True, help="Include groups already promoted.")
@json_option
def list_inbox(
    config_path: Path | None,
    database: str | None,
    limit: int,
    include_promoted: bool,
    as_json: bool,
) -> None:
    """Groups of visitor questions, most asked first (promoted ones only with --all)."""
    from handoff.ai.studio.inbox import list_groups  # noqa: PLC0415

    _table(config_path)
    store = open_store_for(config_path, database)
    with store.sessions() as session:
        groups = [
            g.as_json()
            for g in list_groups(session, limit=limit, include_promoted=include_promoted)
        ]
    if as_json:
        _echo_json(groups)
        return
    if not groups:
        click.echo("The Inbox is empty: no visitor question yet.")
        return
    for g in groups:
        promoted = f"  (Scorecard entry {g['scorecard_id']})" if g["scorecard_id"] else ""
        click.echo(
            f"{g['id']:>5}  {g['count']:>4}x  {g['question']}  "
            f"[{g['answered_by'] or '-'}]{promoted}"
        )


@inbox.command("promote")
@store_options
@click.argument("group_id", type=click.IntRange(min=1))
@click.option(
    "--answer", default=None, help="The answer; without it the latest drafted answer is accepted."
)
@click.option(
    "--kind", type=_KINDS, default=None, help="Default: accepted without --answer, dictated with."
)
@click.option("--question", default=None, help="Another wording of the question.")
@click.option("--link", default=None, help="A page the answer points to (URL or site path).")
@json_option
def promote(  # noqa: PLR0917 - click passes each option
    config_path: Path | None,
    database: str | None,
    group_id: int,
    answer: str | None,
    kind: str | None,
    question: str | None,
    link: str | None,
    as_json: bool,
) -> None:
    """Put Inbox group GROUP_ID's question on the Scorecard, in one step."""
    from handoff.ai.studio.changes import promote_inbox_group  # noqa: PLC0415
    from handoff.api_keys import cli_actor  # noqa: PLC0415

    _table(config_path)
    store = open_store_for(config_path, database)
    actor, now = cli_actor(), _now()
    with store.transaction() as session:
        entry = promote_inbox_group(
            session,
            group_id,
            actor=actor,
            now=now,
            answer=answer,
            kind=kind,
            question=question,
            link=link,
        )
    if as_json:
        _echo_json(entry.as_json())
        return
    click.echo(f"Inbox group {group_id} promoted: Scorecard entry {entry.id} [{entry.kind}].")
