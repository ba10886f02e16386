"""docs/hooks.md documents every hook with its exact signature and an example."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from handoff_sdk import hookspecs

DOCS = Path(__file__).resolve().parents[2] / "docs" / "hooks.md"
ALL_HOOKS = ("handoff_connectors", *hookspecs.CAPABILITY_HOOKS)


def code_signature(name: str) -> str:
    fn = getattr(hookspecs, name)
    sig = inspect.signature(fn)
    params = ", ".join(f"{p.name}: {p.annotation}" for p in sig.parameters.values())
    prefix = "async def" if inspect.iscoroutinefunction(fn) else "def"
    return f"{prefix} {name}({params}) -> {sig.return_annotation}"


def sections() -> dict[str, str]:
    text = DOCS.read_text(encoding="utf-8")
    parts = re.split(r"^### (\w+)\s*$", text, flags=re.M)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def test_every_hookspec_is_listed_in_capability_hooks() -> None:
    specs = {n for n, v in vars(hookspecs).items() if n.startswith("handoff_") and callable(v)}
    assert specs == set(ALL_HOOKS)


@pytest.mark.parametrize("hook", ALL_HOOKS)
def test_hook_is_documented_with_its_signature_and_an_example(hook: str) -> None:
    documented = sections()
    assert hook in documented, f"docs/hooks.md has no '### {hook}' section"
    body = documented[hook]
    blocks = re.findall(r"```python\n(.*?)```", body, flags=re.S)
    assert blocks, f"{hook}: no code blocks"
    assert blocks[0].strip() == code_signature(hook), f"{hook}: documented signature drifted"
    assert len(blocks) >= 2, f"{hook}: no example"
    assert "Example" in body


def test_no_section_documents_a_hook_that_does_not_exist() -> None:
    assert set(sections()) <= set(ALL_HOOKS)
