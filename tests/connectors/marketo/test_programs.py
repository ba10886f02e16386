"""Rule Q13: Marketo programs with their tags; only UsedWithQualified = True ones by default."""

from __future__ import annotations

from handoff_marketo import MarketoConnector

from handoff_sdk.entities import Program

CONFIG = {"base_url": "https://marketo.example.test", "client_id": "synthetic-client-id"}
SECRETS = {"client_secret": "synthetic-secret"}


async def test_q13_filter_on_by_default_lists_only_tagged_programs(connector_harness) -> None:
    harness = connector_harness(
        MarketoConnector, config=CONFIG, secrets=SECRETS, cassette="list_programs"
    )
    assert harness.connector.config.used_with_qualified_only is True

    programs = await harness.connector.handoff_list_programs()

    assert len(programs) == 205
    assert all(isinstance(p, Program) for p in programs)
    assert all(p.used_with_qualified for p in programs)
    first = programs[0]
    assert first.ids == {"marketo": "2000"}
    assert first.name == "Program 2000"
    assert first.channel == "Content"
    assert first.tags == {"UsedWithQualified": "True", "Region": "EMEA"}
    assert programs[-1].ids["marketo"] == "2204"


async def test_q13_programs_are_paged_by_offset_and_max_return(connector_harness) -> None:
    harness = connector_harness(
        MarketoConnector, config=CONFIG, secrets=SECRETS, cassette="list_programs"
    )

    await harness.connector.handoff_list_programs()

    sent = [r for r in harness.sent() if "/identity/" not in r.url.path]
    assert [r.url.path for r in sent] == ["/rest/asset/v1/program/byTag.json"] * 2
    assert [dict(r.url.params) for r in sent] == [
        {"tagType": "UsedWithQualified", "tagValue": "True", "maxReturn": "200", "offset": "0"},
        {"tagType": "UsedWithQualified", "tagValue": "True", "maxReturn": "200", "offset": "200"},
    ]


async def test_q13_filter_off_lists_every_program_with_the_tags_known(connector_harness) -> None:
    harness = connector_harness(
        MarketoConnector,
        config={**CONFIG, "used_with_qualified_only": False},
        secrets=SECRETS,
        cassette="list_programs_all",
    )

    programs = await harness.connector.handoff_list_programs()

    assert len(programs) == 210
    assert harness.api_calls == 3  # byTag (one short page) + browse (200, then 10)
    shown = sorted(p.ids["marketo"] for p in programs if p.used_with_qualified)
    assert shown == ["3001", "3007"]
    untagged = next(p for p in programs if p.ids["marketo"] == "3002")
    assert untagged.tags == {}
    assert not untagged.used_with_qualified
    browse = [r for r in harness.sent() if r.url.path == "/rest/asset/v1/programs.json"]
    assert [r.url.params["offset"] for r in browse] == ["0", "200"]


async def test_q13_untagged_or_false_means_hidden(marketo, fake_marketo) -> None:
    """Even if Marketo's tag search hands back a program not tagged True, Q13 hides it."""
    fake_marketo.answer(
        "/rest/asset/v1/program/byTag.json",
        {
            "success": True,
            "errors": [],
            "requestId": "1#1",
            "warnings": [],
            "result": [
                {
                    "id": 1,
                    "name": "Shown",
                    "channel": "Webinar",
                    "tags": [{"tagType": "UsedWithQualified", "tagValue": "True"}],
                },
                {
                    "id": 2,
                    "name": "Shown too (lower case)",
                    "tags": [{"tagType": "UsedWithQualified", "tagValue": "true"}],
                },
                {
                    "id": 3,
                    "name": "False",
                    "tags": [{"tagType": "UsedWithQualified", "tagValue": "false"}],
                },
                {"id": 4, "name": "Untagged", "tags": []},
                {
                    "id": 5,
                    "name": "Other tag only",
                    "tags": [{"tagType": "Region", "tagValue": "True"}],
                },
            ],
        },
    )
    harness = marketo()

    programs = await harness.connector.handoff_list_programs()

    assert [p.name for p in programs] == ["Shown", "Shown too (lower case)"]
