"""The [tickets] table: validated at load, every mistake named with its field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from tickets_helpers import TABLE, settings

from handoff.config import load_config
from handoff.errors import ConfigFileError
from handoff.tickets.flow import TICKETS


def test_regions_take_country_names_and_codes_as_iso_codes() -> None:
    config = settings(
        regions=[{"name": "EMEA", "countries": ["Germany", "fra", "gb"]}],
        territories=[],
        default_region=None,
    )
    assert config.regions[0].countries == ["DE", "FR", "GB"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"regions": [{"name": "EMEA", "countries": ["Atlantis"]}]}, "'Atlantis' is not a country"),
        ({"segments": [{"name": "Large", "min_employees": 2000}]}, "min_employees = 0"),
        (
            {"territories": [{"segment": "Huge", "region": "EMEA", "rep": "005"}]},
            "territories[0].segment: 'Huge' is no segment",
        ),
        (
            {"territories": [{"segment": "Small", "region": "MARS", "rep": "005"}]},
            "territories[0].region: 'MARS' is no region",
        ),
        ({"follow_up": {"schedule": "0 99 * * *"}}, "schedule"),
        (
            {"request_types": [{"id": "r", "kind": "renewal", "when": {"field": "fields.1"}}]},
            "expected 'field' with one of equals/in",
        ),
        (
            {"request_types": [{"id": "r", "kind": "renewal"}]},
            "request type r: give `when`",
        ),
    ],
)
def test_mistakes_are_refused_naming_what_is_wrong(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message.replace("[", r"\[").replace("(", r"\(")):
        settings(**change)


def test_a_bad_table_fails_at_load_naming_the_file_and_field(tmp_path: Path) -> None:
    path = tmp_path / "handoff.toml"
    path.write_text(
        '[tickets]\nhelp_desk = "zendesk"\n[tickets.follow_up]\nunanswered_after_hours = -1\n'
    )
    with pytest.raises(ConfigFileError, match=r"tickets\.follow_up\.unanswered_after_hours"):
        load_config(path)


def test_no_table_means_the_flow_is_off(tmp_path: Path) -> None:
    path = tmp_path / "handoff.toml"
    path.write_text("[tickets]\n")
    assert TICKETS.settings_of(load_config(path)).tickets is None


def test_conditions_are_the_rules_engines_with_above_for_more_than() -> None:
    config = settings(
        new_business_reasons=[
            {"id": "big", "label": "over $1,000", "when": {"field": "fields.7", "above": 1000}}
        ]
    )
    [reason] = config.new_business_reasons
    condition = reason.condition()
    assert condition is not None
    assert condition.check({"fields": {"7": 1000}})[0] is False
    assert condition.check({"fields": {"7": 1000.01}})[0] is True
    assert TABLE["help_desk"] == "zendesk"
