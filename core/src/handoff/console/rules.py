"""Rules: replay exported traffic against a candidate configuration; the shadow's report.

A candidate (flow tables in TOML, as `handoff replay --candidate` reads)
and a traffic file (what `handoff events export` writes), each uploaded or
picked from the configuration's folder, are replayed by
`handoff.replay.compare.replay`, the machinery of `handoff replay`: every
decision that would change, per flow, and the load per rep, pool and team
before and after. The shadow report is `handoff shadow report`'s
(`shadow_report`) over the last hours or days. Ops only.

A file that cannot be read is a 400 naming the file, the line or table and
the field, as the CLI says it; never a traceback.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path, PurePath
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from handoff.api_keys import Scope
from handoff.config import HubConfig, candidate_from_text
from handoff.console.web import ConsoleError, ConsolePages, NavItem, Viewer, render, require_role
from handoff.console.web import console_of as _console_of
from handoff.errors import HandoffError
from handoff.replay.compare import ReplayReport, replay
from handoff.replay.format import parse_lines
from handoff.replay.shadow import shadow_report

__all__ = ["MAX_UPLOAD", "SHADOW_WINDOWS", "rule_pages"]

MAX_UPLOAD = 20_000_000
"""The largest file the page reads (bytes)."""
SHADOW_WINDOWS = {"24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30)}
"""The periods the shadow report covers, back from now."""


def _config(request: Request) -> HubConfig:
    found = getattr(request.app.state, "hub_config", None)
    return found if isinstance(found, HubConfig) else HubConfig()


def _folder(config: HubConfig) -> Path | None:
    return config.path.parent if config.path is not None else None


def _choices(config: HubConfig) -> dict[str, list[str]]:
    """The candidates (*.toml but handoff.toml) and traffic files (*.jsonl) beside the config."""
    folder = _folder(config)
    if folder is None or not folder.is_dir():
        return {"candidates": [], "traffic": []}
    live = config.path.name if config.path is not None else ""
    return {
        "candidates": sorted(p.name for p in folder.glob("*.toml") if p.name != live),
        "traffic": sorted(p.name for p in folder.glob("*.jsonl")),
    }


async def _text(
    form: Any, field: str, *, pick: str, allowed: list[str], folder: Path | None, label: str
) -> tuple[str, str]:
    """(name, text) of the uploaded file `field`, else of the file picked in `pick`."""
    upload = form.get(field)
    if isinstance(upload, UploadFile) and upload.filename:
        name = PurePath(upload.filename).name[:100] or field
        data = await upload.read(MAX_UPLOAD + 1)
        if len(data) > MAX_UPLOAD:
            raise ConsoleError(400, f"{label}: {name} is over {MAX_UPLOAD:,} bytes")
    else:
        name = str(form.get(pick) or "")
        if not name:
            raise ConsoleError(400, f"{label}: upload a file or pick one")
        if name not in allowed or folder is None:
            raise ConsoleError(400, f"{label}: no file {name[:100]!r} to pick")
        data = await asyncio.to_thread((folder / name).read_bytes)
    try:
        return name, data.decode("utf-8")
    except UnicodeDecodeError:
        raise ConsoleError(400, f"{label}: {name} is not UTF-8 text") from None


def _view(report: ReplayReport) -> dict[str, Any]:
    """The report as the template shows it: totals, changes per flow, load before and after."""
    assert report.current is not None
    runs = [(report.names[0], report.current.to_json())]
    if report.candidate is not None:
        runs.append((report.names[1], report.candidate.to_json()))
    return {
        "heading": report.text_lines()[0],
        "names": report.names,
        "runs": runs,
        "changes": {
            flow: [
                {
                    "where": f"line {c.line}" if c.line is not None else "timer",
                    "what": c.what,
                    "kind": c.kind,
                    "subject": c.subject,
                    "text": c.text().strip(),
                    "differences": c.differences(),
                }
                for c in changes
            ]
            for flow, changes in report.changes_per_flow().items()
        },
        "load": {key: rows for key, rows in report.load().items() if rows},
    }


def rule_pages() -> ConsolePages:
    """The Rules page: the replay form and its report, and the shadow report."""
    router = APIRouter()

    @router.get("/rules")
    async def rules_page(
        request: Request, _viewer: Annotated[Viewer, require_role(Scope.OPS)]
    ) -> Response:
        """The replay form: a candidate and a traffic file, uploaded or picked."""
        config = _config(request)
        return render(
            request, "rules.html", {**_choices(config), "shadow": config.shadow is not None}
        )

    @router.post("/rules/replay")
    async def replay_page(
        request: Request, _viewer: Annotated[Viewer, require_role(Scope.OPS)]
    ) -> Response:
        """Replay the traffic through the live configuration and the candidate: what changes."""
        config = _config(request)
        choices = _choices(config)
        folder = _folder(config)
        form = await request.form()
        cname, ctext = await _text(
            form,
            "candidate",
            pick="candidate_pick",
            allowed=choices["candidates"],
            folder=folder,
            label="candidate",
        )
        tname, ttext = await _text(
            form,
            "traffic",
            pick="traffic_pick",
            allowed=choices["traffic"],
            folder=folder,
            label="traffic",
        )
        flows = getattr(request.app.state, "flows", None)
        try:
            candidate = candidate_from_text(config, ctext, Path(cname), flows=flows)
            lines = list(parse_lines(ttext.splitlines(), tname))
        except HandoffError as exc:
            raise ConsoleError(400, str(exc)) from None
        if not lines:
            raise ConsoleError(400, f"traffic: {tname} holds no event")
        report = await asyncio.to_thread(asyncio.run, replay(lines, config, candidate, flows=flows))
        return render(
            request,
            "rules.html",
            {
                **choices,
                "shadow": config.shadow is not None,
                "report": _view(report),
                "files": (cname, tname),
            },
        )

    @router.get("/rules/shadow")
    async def shadow_page(
        request: Request,
        _viewer: Annotated[Viewer, require_role(Scope.OPS)],
        window: str = "24h",
    ) -> Response:
        """Where the `[shadow]` candidate decided otherwise than the live hub, per flow."""
        if window not in SHADOW_WINDOWS:
            raise ConsoleError(400, f"window: expected one of {', '.join(SHADOW_WINDOWS)}")
        config = _config(request)
        if config.shadow is None:
            raise ConsoleError(
                409, "No shadow is decided: handoff.toml has no [shadow] table (docs/replay.md)"
            )
        console = _console_of(request)
        since = console.clock.now() - SHADOW_WINDOWS[window]
        try:
            report = await asyncio.to_thread(
                shadow_report,
                config,
                console.store,
                since=since,
                flows=getattr(request.app.state, "flows", None),
            )
        except HandoffError as exc:
            raise ConsoleError(409, str(exc)) from None
        return render(
            request,
            "shadow.html",
            {"report": _view(report), "window": window, "windows": list(SHADOW_WINDOWS)},
        )

    return ConsolePages(router=router, nav=(NavItem("Rules", "/rules", (Scope.OPS,), order=70),))
