"""P4-P6 end to end over real sockets: each of the five signal sources opens its Salesforce
Case and sends its notifications (email through the SMTP relay simulator, Slack posts through
the Slack simulator) once, however often the signal is delivered; a hand-off checks the
Pooled Sales User; cases by hand through the API and the CLI."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from accounts_world import WEBHOOK_SECRET, World
from click.testing import CliRunner
from fastapi import FastAPI
from handoff_salesforce.simulator import sfid

from handoff.cli import cli
from handoff.runtime.explain import explain_ref
from handoff_sdk import FakeClock
from handoff_sdk.testing.company import COMPANY

Serve = Callable[[FastAPI], AbstractAsyncContextManager[httpx.AsyncClient]]
CASEY0, CASEY1, CASEY2 = (f"casey{i}@pooled30{i}.example" for i in range(3))
CONTACT0 = sfid("003", 330)
INBOX = "selfserviceteam@example.test"
ANA = COMPANY.person("ana-lima")  # a contact at Adventure Works, owned by Taylor
TAYLOR = COMPANY.rep("sdr-taylor")
TOKEN = {"X-Handoff-Token": WEBHOOK_SECRET}


def cases(world: World) -> list[dict[str, Any]]:
    return list(world.salesforce.account.data["Case"])


def mails(world: World) -> list[Any]:
    return [m.message for m in world.email.messages]


def posts(world: World) -> list[dict[str, Any]]:
    return [c.body for c in world.slack.calls("chat_post_message") if c.status == 200]


async def twice(client: httpx.AsyncClient, path: str, body: dict[str, Any], **kw: Any) -> None:
    """The same signal delivered twice (a retry, the poll and the webhook...)."""
    for _ in range(2):
        answer = await client.post(path, json=body, **kw)
        assert answer.status_code == 202, answer.text


async def test_p5_contact_us_form_opens_one_case_and_emails_the_contact_owner(
    world: World, loopback: Serve
) -> None:
    form = {
        "id": "form-1",
        "form_id": "contact-us",
        "email": CASEY0,
        "fields": {"notes": "We want 20 more seats before renewal"},
    }
    async with loopback(world.app) as client:
        await twice(client, "/v1/form-submissions", form)
        await world.drain()
    [case] = cases(world)
    assert case["Origin"] == "Contact Us Form Response"
    assert case["AccountId"] == sfid("001", 300)
    assert case["ContactId"] == CONTACT0
    assert case["OwnerId"] == "00GHd0000000001AAA"  # the Pooled AE team's queue
    assert "Trigger: Customer completes this form" in case["Description"]
    [mail] = mails(world)
    assert mail["To"] == INBOX
    body = mail.get_body(("plain",)).get_content()
    assert "notes: We want 20 more seats before renewal" in body
    assert f"https://example.my.salesforce.com/{CONTACT0}" in body
    assert posts(world) == []


async def test_p5_nps_survey_from_gainsight_emails_and_posts_once(
    world: World, loopback: Serve
) -> None:
    response = {
        "response_id": "gs-r-1",
        "survey_kind": "nps",
        "survey_name": "NPS Q1",
        "score": 6,
        "comment": "Pipelines got slow",
        "email": CASEY1,
    }
    async with loopback(world.app) as client:
        await twice(client, "/webhooks/gainsight", response, headers=TOKEN)
        await world.drain()
    [case] = cases(world)
    assert case["Origin"] == "NPS/CSAT Response"
    assert "Survey NPS Q1 answered, score 6." in case["Description"]
    [mail] = mails(world)
    assert mail["To"] == INBOX
    [post] = posts(world)
    assert post["channel"] == "#cs_programs_survey_results"
    assert "Pipelines got slow" in post["text"]


async def test_p5_pql_hand_raise_from_the_product_opens_one_case(
    world: World, loopback: Serve
) -> None:
    raise_ = {"id": "pql-1", "email": CASEY2, "product": "ultimate-trial", "message": "CI minutes"}
    async with loopback(world.app) as client:
        await twice(client, "/v1/hand-raises", raise_)
        await world.drain()
    [case] = cases(world)
    assert case["Origin"] == "PQL Hand Raise"
    assert "Hand raise in the product (ultimate-trial)." in case["Description"]
    assert len(mails(world)) == 1


async def test_p5_post_churn_survey_posts_to_slack_mentioning_the_account_owner(
    world: World, loopback: Serve
) -> None:
    response = {
        "response_id": "gs-r-9",
        "survey_kind": "post_churn",
        "survey_name": "Post-churn survey",
        "score": 3,
        "comment": "Too expensive for us",
        "email": ANA.email,
    }
    async with loopback(world.app) as client:
        await twice(client, "/webhooks/gainsight", response, headers=TOKEN)
        await world.drain()
    [case] = cases(world)
    assert case["Origin"] == "Post-Churn Survey Response"
    [post] = posts(world)
    assert post["channel"] == "#cs_programs_survey_results"
    assert f"<@{TAYLOR.slack_id}>" in post["text"]  # found by the owner's email
    assert mails(world) == []


async def test_p5_fast_moving_buyer_from_pathfactory_opens_one_case(
    world: World, loopback: Serve
) -> None:
    activity = {
        "activity_id": "pf-act-1",
        "activity_name": "Fast Moving Buyer",
        "email": CASEY0,
        "assets": [
            {"id": "101", "title": "CI/CD Primer", "engaged_seconds": 300},
            {"id": "102", "title": "DevSecOps Buyer's Guide", "engaged_seconds": 420},
        ],
    }
    async with loopback(world.app) as client:
        await twice(client, "/webhooks/pathfactory", activity, headers=TOKEN)
        await world.drain()
    [case] = cases(world)
    assert case["Origin"] == "Fast Moving Buyer Alert"
    assert "- DevSecOps Buyer's Guide" in case["Description"]
    assert len(mails(world)) == 1


async def test_p5_a_signal_from_a_customer_not_pooled_opens_no_case_and_says_why(
    world: World, loopback: Serve
) -> None:
    body = {"id": "s-1", "survey_id": "nps", "email": "pat.lee@acme.example", "score": 9}
    async with loopback(world.app) as client:
        await twice(client, "/v1/survey-responses", body)
        await world.drain()
        listed = (await client.get("/v1/cases")).json()["cases"]
    assert cases(world) == []
    assert mails(world) == []
    [row] = listed
    assert row["action"] == "none"
    assert "not the Pooled Sales User" in row["why"][0]


async def test_p4_a_pooled_customer_asking_for_sales_help_is_handed_to_the_pooled_ae_team(
    world: World, loopback: Serve
) -> None:
    async with loopback(world.app) as client:
        pooled = await client.post(
            "/v1/hand-offs",
            json={
                "id": "ho-1",
                "email": CASEY0,
                "message": "Quote for 50 seats",
                "channel": "email",
            },
        )
        other = await client.post(
            "/v1/hand-offs", json={"id": "ho-2", "email": "pat.lee@acme.example"}
        )
        nobody = await client.post("/v1/hand-offs", json={"id": "ho-3"})
        await world.drain()
        listed = (await client.get("/v1/cases")).json()["cases"]
    assert (pooled.status_code, other.status_code, nobody.status_code) == (202, 202, 422)
    assert pooled.json()["landing_page"] == "https://about.gitlab.com/sales/self-service/"
    assert pooled.json()["message"].startswith("Next time you need sales help, use https://")
    [case] = cases(world)
    assert case["Origin"] == "Hand-off"
    assert case["OwnerId"] == "00GHd0000000001AAA"
    by_ref = {r["ref"]: r for r in listed}
    assert len(by_ref) == 2
    [handed] = [r for r in listed if r["action"] == "open"]
    [kept] = [r for r in listed if r["action"] == "none"]
    assert handed["rule_ids"] == ["P4"]
    assert "use the other channels" in kept["why"][0]
    with world.store.sessions() as session:
        report = explain_ref(session, handed["ref"])
    assert report["decisions"][0]["outcome"]["landing_page"] == (
        "https://about.gitlab.com/sales/self-service/"
    )


async def test_p6_self_service_ops_open_a_case_by_hand_through_the_api(
    world: World, loopback: Serve
) -> None:
    body = {
        "id": "manual-1",
        "account_id": sfid("001", 301),
        "subject_line": "Asked for a quote on a call",
        "description": "Wants Premium for 12 users",
        "source": "Phone",
        "requested_by": "Olive Ops",
    }
    async with loopback(world.app) as client:
        await twice(client, "/v1/cases", body)
        await world.drain()
    [case] = cases(world)
    assert (case["Origin"], case["Subject"], case["AccountId"]) == (
        "Phone",
        "Asked for a quote on a call",
        sfid("001", 301),
    )
    assert "Hand raise recorded by Olive Ops" in case["Description"]


@pytest.fixture
def cli_home(isolated_home: Path) -> Path:
    return isolated_home


async def test_p6_a_case_by_hand_through_the_cli_and_the_list(
    world: World, cli_home: Path, clock: FakeClock
) -> None:
    def run(*args: str) -> Any:
        return CliRunner().invoke(cli, [*args, "--config", str(world.path)])

    made = await asyncio.to_thread(
        run,
        "cases",
        "create",
        "--email",
        CASEY2,
        "--subject",
        "Wrote to support asking for sales",
        "--by",
        "Olive Ops",
        "--source",
        "Email",
    )
    assert made.exit_code == 0, made.output
    assert "the worker opens the case" in made.output
    # The command stamps the event with the real time: the worker's clock catches up.
    clock.advance((datetime.now(UTC) - clock.now()).total_seconds() + 1)
    await world.drain()
    [case] = cases(world)
    assert case["Origin"] == "Email"
    listed = await asyncio.to_thread(run, "cases", "list", "--json")
    [row] = json.loads(listed.output)
    assert (row["action"], row["source"], row["rule_ids"]) == ("open", "Email", ["P6"])
