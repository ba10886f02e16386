"""The layout by flow: frameworks know no flow, and no flow reaches into another's internals.

A flow is a package under handoff/ with a `flow.py` (its registration). The
frameworks (config, runtime, store, server, CLI, ...) may not import any
flow; only the registry `handoff/flows.py` names them, through their
`flow.py`. A flow may import the frameworks, and of another flow only its
`kinds` module (the event types and decision kinds it stores) and its
`public` module (the few calls it offers other flows, its front door): flows
talk through events and stored decisions.
"""

from __future__ import annotations

import ast
from pathlib import Path

import handoff
from handoff.chat import kinds

HANDOFF = Path(handoff.__file__).parent
REGISTRY = "flows.py"
FRONT_DOORS = ("kinds", "public")
"""The modules of a flow another flow may import."""


def flows_in(root: Path) -> set[str]:
    """The flow packages: folders of handoff/ holding a flow.py."""
    return {p.parent.name for p in root.glob("*/flow.py")}


def imported(path: Path) -> set[str]:
    """Every module a file imports, at the top, in functions or under TYPE_CHECKING."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def violations(root: Path) -> list[str]:
    """Each import that crosses a boundary, as 'file: module'."""
    flows = flows_in(root)
    found: list[str] = []
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root)
        owner = relative.parts[0] if len(relative.parts) > 1 else None
        for module in sorted(imported(path)):
            parts = module.split(".")
            if len(parts) < 2 or parts[0] != root.name or parts[1] not in flows:
                continue
            target = parts[1]
            inner = parts[2] if len(parts) > 2 else None
            if owner == target:
                continue  # a flow's own modules
            if owner in flows:
                if inner not in FRONT_DOORS and len(parts) > 2:
                    found.append(f"{relative}: {module} (another flow's internals)")
                continue
            if str(relative) == REGISTRY and inner == "flow":
                continue
            found.append(f"{relative}: {module} (a framework importing a flow)")
    return found


def test_frameworks_import_no_flow_and_flows_not_each_other() -> None:
    assert flows_in(HANDOFF) >= {"chat"}
    assert violations(HANDOFF) == []


def test_the_check_finds_each_kind_of_crossing(tmp_path: Path) -> None:
    root = tmp_path / "handoff"
    for folder in ("chat", "leads", "server"):
        (root / folder).mkdir(parents=True)
    (root / "chat" / "flow.py").write_text("")
    (root / "leads" / "flow.py").write_text("from handoff.chat.kinds import CHAT_REQUEST\n")
    (root / "leads" / "handler.py").write_text(
        "from handoff.chat.routing import engine\nfrom handoff.chat.public import offer_slots\n"
    )
    (root / "server" / "app.py").write_text(
        "def build():\n    from handoff.chat.api import routes\n"
    )
    (root / "flows.py").write_text("from handoff.chat.flow import CHAT\n")
    (root / "cli.py").write_text("import handoff.leads.cli\n")
    assert violations(root) == [
        "cli.py: handoff.leads.cli (a framework importing a flow)",
        "leads/handler.py: handoff.chat.routing (another flow's internals)",
        "leads/handler.py: handoff.chat.routing.engine (another flow's internals)",
        "server/app.py: handoff.chat.api (a framework importing a flow)",
        "server/app.py: handoff.chat.api.routes (a framework importing a flow)",
    ]


def chat_names() -> set[str]:
    """The chat flow's event types and job kinds: strings only chat code has a reason to write."""
    names = {getattr(kinds, name) for name in kinds.__all__}
    return {n for n in names if isinstance(n, str) and "." in n}


def chat_parts() -> set[str]:
    """The names of the chat flow's modules and sub-packages (identify, routing, ...)."""
    chat = HANDOFF / "chat"
    return {p.stem for p in chat.glob("*.py")} | {
        p.name for p in chat.iterdir() if (p / "__init__.py").exists()
    }


def test_the_chat_flow_lives_in_one_package() -> None:
    """No chat module is left beside the frameworks, nor a chat name written outside chat/."""
    generic = {
        *("__init__", "flow", "kinds", "settings", "handler", "intake", "api", "cli", "console"),
        *("demo", "sandbox", "playbooks"),
    }
    topics = chat_parts() - generic
    assert {"identify", "routing", "writeback", "meetings", "experiences", "pounce"} <= topics
    top_level = {p.stem for p in HANDOFF.glob("*.py")} | {
        p.name for p in HANDOFF.iterdir() if (p / "__init__.py").exists()
    }
    assert top_level & topics == set(), "chat modules at handoff/'s top level"
    names = chat_names()
    assert "hub.chat_request" in names
    written_elsewhere = [
        f"{path.relative_to(HANDOFF)}:{node.lineno} {node.value!r}"
        for path in sorted(HANDOFF.rglob("*.py"))
        if path.relative_to(HANDOFF).parts[0] != "chat"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Constant) and node.value in names
    ]
    assert written_elsewhere == [], "chat's event types or job kinds spelled outside chat/"
