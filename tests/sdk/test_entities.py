"""Canonical entities: every field documented, ids per system, strict about unknown fields."""

from __future__ import annotations

from pathlib import Path

import pydantic
import pytest

from handoff_sdk.entities import Account, Lead, Program
from handoff_sdk.entity_docs import entity_models, render_entities_markdown

DOCS = Path(__file__).resolve().parents[2] / "docs" / "entities.md"


@pytest.mark.parametrize("model", entity_models(), ids=lambda m: m.__name__)
def test_every_field_is_documented(model: type[pydantic.BaseModel]) -> None:
    assert model.__doc__, f"{model.__name__} has no docstring"
    missing = [n for n, f in model.model_fields.items() if not (f.description or "").strip()]
    assert not missing, f"{model.__name__}: undocumented fields {missing}"


def test_docs_page_matches_the_code() -> None:
    assert DOCS.read_text(encoding="utf-8") == render_entities_markdown(), (
        "docs/entities.md is stale; regenerate it (see its header)"
    )


def test_one_lead_is_known_in_several_systems() -> None:
    lead = Lead(
        email="ana@adventure-works.example",
        ids={"salesforce": "00Q000000000001", "marketo": "1042", "outreach": "77"},
    )
    assert lead.id_in("marketo") == "1042"
    assert lead.id_in("zendesk") is None


def test_unknown_fields_are_refused_with_their_name() -> None:
    with pytest.raises(pydantic.ValidationError, match="industy"):
        Account(name="Acme", industy="Software")  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("tags", "shown"),
    [
        ({"UsedWithQualified": "True"}, True),
        ({"UsedWithQualified": "true "}, True),
        ({"UsedWithQualified": "False"}, False),
        ({}, False),
    ],
)
def test_q13_program_shown_only_when_tagged_true(tags: dict[str, str], shown: bool) -> None:
    """Q13: untagged or false means hidden."""
    assert Program(name="Webinar", tags=tags).used_with_qualified is shown
