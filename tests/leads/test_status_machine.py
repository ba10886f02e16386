"""The status machine as configuration (D5, with Q16's Accepted, Recycle, Qualifying)."""

from __future__ import annotations

import re

import pytest

from handoff.config import ConfigFileError, HubConfig, validate_table
from handoff.leads.flow import LEADS
from handoff.leads.settings import LeadsSettings
from handoff.leads.status import DEFAULT_TRANSITIONS, StatusConfig, TransitionRefused, channels_of

MACHINE = StatusConfig()


def test_d5_and_q16_statuses_are_the_default_machine() -> None:
    statuses = MACHINE.statuses()
    for status in ("Raw", "Open", "Attempt 1", "Attempt 4", "Qualified", "Progressing"):
        assert status in statuses
    for status in ("Unqualified", "Bad Data", "Nurture", "Accepted", "Recycle", "Qualifying"):
        assert status in statuses
    assert MACHINE.allowed_next("Accepted") == ["Recycle", "Qualifying"]


def test_d5_a_refused_transition_names_the_current_status_and_the_allowed_next_ones() -> None:
    with pytest.raises(TransitionRefused) as caught:
        MACHINE.check("kim@acme.example", "Raw", "Attempt 3")
    message = str(caught.value)
    assert "is 'Raw'" in message
    assert "cannot move to 'Attempt 3'" in message
    assert ", ".join(DEFAULT_TRANSITIONS["Raw"]) in message
    assert caught.value.allowed == DEFAULT_TRANSITIONS["Raw"]
    with pytest.raises(TransitionRefused, match="'Lost' is not a status"):
        MACHINE.check("kim@acme.example", "Open", "Lost")


def test_d5_attempt_n_repeats_the_last_and_nurture_counts_from_the_last_attempt() -> None:
    assert [MACHINE.attempt_status(n) for n in (1, 2, 4, 7)] == [
        "Attempt 1",
        "Attempt 2",
        "Attempt 4",
        "Attempt 4",
    ]


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (
            {"transitions": {"Raw": ["Gone"]}},
            "leads.status.transitions.Raw: 'Gone' is not a status",
        ),
        ({"nurture": "Parked"}, "leads.status.nurture: 'Parked' is not a status"),
        ({"nurture_after_days": 0}, "leads.status.nurture_after_days"),
        (
            {"transitions": {**DEFAULT_TRANSITIONS, "Attempt 2": ["Progressing"]}},
            "transitions.Attempt 2: must allow 'Nurture'",
        ),
    ],
)
def test_d5_a_bad_machine_is_refused_at_load_naming_the_field(
    table: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigFileError, match=re.escape(message)):
        validate_table(LeadsSettings, {"leads": {"status": table}})


def test_the_leads_table_is_off_when_absent_and_typed_when_given() -> None:
    assert LEADS.settings_of(HubConfig()).leads is None
    config = LEADS.settings_of(HubConfig(leads={"status": {"nurture_after_days": 30}})).leads
    assert config is not None
    assert config.status.nurture_after_days == 30


def test_d5_spam_spamson_with_a_valid_email_has_a_channel() -> None:
    assert channels_of("spam@acme.example", None, bounced=False).any
    assert not channels_of("spam@acme.example", None, bounced=True).any
    assert not channels_of("not an email", "12", bounced=False).any
    assert channels_of("not an email", "+1 415 555 0100", bounced=False).valid == (
        "phone +1 415 555 0100",
    )
