"""Render the canonical entities as Markdown, so docs/entities.md cannot drift from the code."""

from __future__ import annotations

import inspect

from pydantic import BaseModel

from . import entities

__all__ = ["entity_models", "render_entities_markdown"]


def entity_models() -> list[type[BaseModel]]:
    """Every pydantic model the entities module exports, in its __all__ order."""
    models = []
    for name in entities.__all__:
        obj = getattr(entities, name)
        if inspect.isclass(obj) and issubclass(obj, BaseModel):
            models.append(obj)
    return models


def _type_name(annotation: object) -> str:
    text = getattr(annotation, "__name__", None) if isinstance(annotation, type) else None
    return text or str(annotation).replace("typing.", "").replace("handoff_sdk.entities.", "")


def render_entities_markdown() -> str:
    """docs/entities.md: one table per entity, a row per field with its description."""
    lines = [
        "# Canonical entities",
        "",
        "Generated from `handoff_sdk/entities.py` by `handoff_sdk.entity_docs`; a test fails",
        "when this page and the code differ. Regenerate with:",
        "`.venv/bin/python -c 'from handoff_sdk.entity_docs import render_entities_markdown as r;"
        ' open("docs/entities.md", "w").write(r())\'`',
        "",
    ]
    for model in entity_models():
        lines += [f"## {model.__name__}", "", inspect.cleandoc(model.__doc__ or ""), ""]
        lines += ["| field | type | description |", "| --- | --- | --- |"]
        for name, field in model.model_fields.items():
            kind = _type_name(field.annotation).replace("|", "\\|")
            lines.append(f"| `{name}` | `{kind}` | {field.description or ''} |")
        lines.append("")
    return "\n".join(lines)
