"""Write the Gainsight cassettes: synthetic records in the shapes the query API returns.

Run by hand from the repository root, output committed:

    .venv/bin/python tests/connectors/gainsight/make_cassettes.py

The connector itself sends the requests, so URLs and bodies are exactly what
it sends; a mock Gainsight answers them and the SDK's recording transport
writes (and scrubs) the cassette. Every value is invented: example.test
domains, made-up GSIDs. To record from a real tenant instead, run the tests
with `--record-cassettes` and HANDOFF_GAINSIGHT_ACCESS_KEY set.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from handoff_gainsight import GainsightConnector

from handoff_sdk.testing.cassettes import CassetteTransport, write_cassette
from handoff_sdk.testing.harness import build_harness

ROOT = Path(__file__).resolve().parents[3]
CASSETTES = ROOT / "cassettes" / "gainsight"
BASE_URL = "https://gainsight.example.test"
SECRETS = {"access_key": "synthetic-access-key", "webhook_secret": "synthetic-webhook-secret"}
REQUEST_ID = "00000000-0000-4000-8000-00000000000{n}"


SURVEY_NUMBERS = {
    "Q1 NPS Relationship Survey": 1,
    "Support CSAT Survey": 2,
    "Post-Churn Survey 2026": 3,
    "Onboarding Feedback": 4,
    "Pulse NPS": 5,
}


def gsid(prefix: str, n: int) -> str:
    """A made-up 36-character Gainsight id."""
    return f"1P0{prefix}SYNTHETIC".ljust(32, "0") + f"{n:04d}"


def record(
    n: int,
    modified: str,
    *,
    score: Any,
    survey: str,
    email: str | None,
    comment: str | None = None,
    responded: str | None = None,
    company: int = 1,
    company_name: str = "Example Widgets Inc",
) -> dict[str, Any]:
    """One survey-response record, keyed by the default field API names."""
    return {
        "Gsid": gsid("2", n),
        "ModifiedDate": modified,
        "RespondedDate": responded or modified,
        "Score": score,
        "Comment": comment,
        "EmailAddress": email,
        "SurveyId": gsid("4", SURVEY_NUMBERS.get(survey, 99)),
        "SurveyId__gr.Title": survey,
        "CompanyId": gsid("3", company),
        "CompanyId__gr.Name": company_name,
        "RelationshipId": None,
        "CompanyId__gr.SfdcAccountId": f"001SYNTHETIC{company:06d}",
        "CompanyId__gr.Csm__gr.Email": "owner.one@example.test",
    }


def envelope(records: list[dict[str, Any]], n: int = 1) -> dict[str, Any]:
    """Gainsight's answer envelope around a page of records."""
    return {
        "result": True,
        "errorCode": None,
        "errorDesc": None,
        "localizedErrorDesc": None,
        "requestId": REQUEST_ID.format(n=n),
        "data": {"records": records},
        "message": None,
        "localizedMessage": None,
    }


MAIN_PAGE = [
    # Read by the previous poll (its id is in the cursor): skipped.
    record(1, "01/05/2026 08:00:00", score=10, survey="Q1 NPS Relationship Survey",
           email="earlier@example.test"),
    record(2, "01/05/2026 08:05:10", responded="01/05/2026 08:04:55", score=9,
           survey="Q1 NPS Relationship Survey", email="Dana.Lee@Example.test",
           comment="Pipelines got much faster after the upgrade."),
    record(3, "01/05/2026 08:20:00", score="4", survey="Support CSAT Survey",
           email="sam.ortiz@example.test", comment="Quick answer, thanks.", company=2,
           company_name="Sample Robotics LLC"),
    record(4, "01/05/2026 08:31:45", score=3, survey="Post-Churn Survey 2026",
           email="alex.kim@example.test", comment="We moved to another tool.", company=3,
           company_name="Demo Analytics GmbH"),
    # Sent but never answered: no score, no comment; not a signal.
    record(5, "01/05/2026 08:40:00", score=None, survey="Q1 NPS Relationship Survey",
           email="quiet@example.test"),
    # A survey no rule classifies: skipped by default.
    record(6, "01/05/2026 08:40:00", score=8, survey="Onboarding Feedback",
           email="new.user@example.test"),
]  # fmt: skip


def paged(records: list[dict[str, Any]]) -> Callable[[httpx.Request], httpx.Response]:
    """A mock Gainsight that honours limit/offset over `records`."""

    def answer(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        offset, limit = body["offset"], body["limit"]
        page = records[offset : offset + limit]
        return httpx.Response(200, json=envelope(page, offset // limit + 1))

    return answer


async def record_polls(
    name: str,
    config: dict[str, Any],
    answer: Callable[[httpx.Request], httpx.Response],
    cursors: list[str | None],
) -> None:
    """Poll once per cursor (None = use the previous poll's cursor) into one cassette."""
    path = CASSETTES / f"{name}.yaml"
    path.unlink(missing_ok=True)
    transport = CassetteTransport(path, record=True, inner=httpx.MockTransport(answer))
    harness = build_harness(GainsightConnector, transport=transport, config=config, secrets=SECRETS)
    cursor: str | None = None
    for given in cursors:
        result = await harness.connector.handoff_poll_events(cursor=given or cursor)  # type: ignore[attr-defined]
        cursor = result.cursor
    await harness.aclose()
    print(f"wrote {path.relative_to(ROOT)}")


def cursor(since: str, ids: list[str]) -> str:
    """A cursor as the connector writes it."""
    return json.dumps({"v": 1, "since": since, "ids": ids}, separators=(",", ":"))


MAIN_CONFIG: dict[str, Any] = {
    "base_url": BASE_URL,
    "page_size": 50,
    "fields": {
        "crm_account_id": "CompanyId__gr.SfdcAccountId",
        "owner_email": "CompanyId__gr.Csm__gr.Email",
    },
}
MAIN_CURSOR = cursor("2026-01-05T08:00:00+00:00", [gsid("2", 1)])


def many(count: int) -> list[dict[str, Any]]:
    """`count` NPS responses, one minute apart."""
    return [
        record(10 + i, f"01/05/2026 07:{i:02d}:00", score=i % 11, survey="Pulse NPS",
               email=f"person{i}@example.test")
        for i in range(count)
    ]  # fmt: skip


async def main() -> None:
    """Write every cassette."""
    CASSETTES.mkdir(parents=True, exist_ok=True)
    await record_polls("poll_survey_responses", MAIN_CONFIG, paged(MAIN_PAGE), [MAIN_CURSOR])
    await record_polls(
        "poll_paged",
        {"base_url": BASE_URL, "page_size": 2},
        paged(many(5)),
        [cursor("2026-01-05T07:00:00+00:00", [])],
    )
    # Two pages per poll at most: the first poll stops after 4 records, the
    # second resumes from its cursor and finds the fifth.
    five = many(5)
    calls = iter([five[0:2], five[2:4], five[4:5]])
    await record_polls(
        "poll_capped",
        {"base_url": BASE_URL, "page_size": 2, "max_pages_per_poll": 2},
        lambda _r: httpx.Response(200, json=envelope(next(calls))),
        [cursor("2026-01-05T07:00:00+00:00", []), None],
    )
    empty = CASSETTES / "webhook.yaml"
    write_cassette(empty, [])
    print(f"wrote {empty.relative_to(ROOT)}")


if __name__ == "__main__":
    asyncio.run(main())
