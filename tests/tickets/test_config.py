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
            {"request_types": [{"kind": "renewal", "when_any": [{"field": "1"}]}]},
            "give exactly one of in, not_in, above",
        ),
        (
            {"request_types": [{"kind": "renewal", "when_any": [{"tag": "a", "form": "2"}]}]},
            "give exactly one of field, tag, form",
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


def test_field_ids_written_as_numbers_are_kept_as_text() -> None:
    config = settings(
        request_types=[
            {"kind": "renewal", "when_any": [{"field": 360000000101, "in": ["renewal"]}]}
        ]
    )
    assert config.request_types[0].when_any[0].field == "360000000101"
    assert TABLE["help_desk"] == "zendesk"
