"""The Salesforce connector against its simulator, over a real loopback socket (TLS).

The first test is the one that would have caught `httpx.ResponseNotRead`:
the OAuth login and a write, through the hub's own HTTP client, against a
server that streams its answers.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from handoff_salesforce import SalesforceConnector
from handoff_salesforce.simulator import sfid
from sf_cases import make_leads

from handoff_sdk import ApiError
from handoff_sdk.entities import Account, AccountCriterion, AccountUpdate, CrmActivity, Lead
from handoff_sdk.testing import Limits, RateWindow


@pytest.fixture
async def org(simulated: Any) -> Any:
    return await simulated(SalesforceConnector)


async def test_login_and_an_upsert_over_a_real_socket(org: Any) -> None:
    """Would have failed with ResponseNotRead: the token answer is a stream on a real socket."""
    harness = org.harness()
    [result] = await harness.connector.handoff_upsert_leads(
        [Lead(email="new.person@hooli.example", last_name="Person", company="Hooli")], "k-1"
    )
    await harness.aclose()
    assert result.ok
    assert result.created is True
    assert harness.token_requests == 1
    [token_call] = org.simulator.calls("token")
    assert token_call.status == 200
    [write] = org.simulator.calls("upsert_collection")
    assert write.status == 200
    assert write.headers["x-handoff-idempotency-key"] == "k-1:0"
    stored = [
        r for r in org.simulator.account.data["Lead"] if r["Email"] == "new.person@hooli.example"
    ]
    assert stored
    assert stored[0]["Id"] == result.id


async def test_the_rotated_refresh_token_is_written_back(org: Any) -> None:
    harness = org.harness()
    await harness.connector.handoff_find_person(email="pat.lee@acme.example")
    await harness.aclose()
    rotated = org.simulator.account.secrets["refresh_token"]
    assert rotated != "sim-refresh-token-0"
    assert harness.secrets.values["refresh_token"] == rotated


async def test_an_expired_session_is_refreshed_once(org: Any) -> None:
    harness = org.harness()
    first = await harness.connector.handoff_find_person(email="pat.lee@acme.example")
    org.simulator.tokens.expire_all()
    second = await harness.connector.handoff_find_person(email="pat.lee@acme.example")
    await harness.aclose()
    assert first == second
    assert harness.token_requests == 2
    assert [s.refusal for s in org.simulator.log if s.refusal] == ["token_expired"]


async def test_query_pages_are_followed_through_next_records_url(org: Any) -> None:
    org.simulator.page_size = 100
    harness = org.harness()
    account = await harness.connector.handoff_match_account(
        email_domain="acme.example", website=None
    )
    rows = await harness.connector.query("SELECT Id, Name FROM Account ORDER BY Id")
    await harness.aclose()
    assert account is not None
    assert account.ids["salesforce"] == sfid("001", 1)
    assert len(rows) == len(org.simulator.account.data["Account"])
    assert len(org.simulator.calls("query_more")) >= 1


async def test_1000_leads_go_in_five_concurrent_calls_with_per_record_errors(org: Any) -> None:
    org.simulator.latency = 0.05
    harness = org.harness()
    results = await harness.connector.handoff_upsert_leads(make_leads(), "import-1")
    await harness.aclose()
    assert len(results) == 1000
    assert [r.index for r in results] == list(range(1000))
    assert len(org.simulator.calls("upsert_collection")) == 5
    assert not org.simulator.throttled()
    assert 1 < org.simulator.peak_concurrency() <= harness.connector.budget.limit.concurrency
    errors = {r.index: r.errors[0].code for r in results if not r.ok}
    assert errors[17] == "REQUIRED_FIELD_MISSING"
    assert errors[250] == "INVALID_EMAIL_ADDRESS"
    assert errors[512] == "DUPLICATE_EXTERNAL_ID"


async def test_account_updates_fail_one_by_one_for_unknown_ids(org: Any) -> None:
    harness = org.harness()
    results = await harness.connector.handoff_update_accounts(
        [
            AccountUpdate(account_id=sfid("001", 11), status="Actively Working"),
            AccountUpdate(account_id=sfid("001", 12), status="Actively Working"),
        ],
        "rank-1",
    )
    await harness.aclose()
    assert [r.ok for r in results] == [True, False]
    assert results[1].errors[0].code == "INVALID_CROSS_REFERENCE_KEY"
    updated = next(a for a in org.simulator.account.data["Account"] if a["Id"] == sfid("001", 11))
    assert updated["Account_Status__c"] == "Actively Working"


async def test_a_spent_daily_allocation_stops_the_write_without_hammering(org: Any) -> None:
    org.simulator.limits = Limits(windows=(RateWindow(3, 86_400.0, name="daily"),))
    harness = org.harness()
    await harness.connector.handoff_find_person(email="nobody@nowhere.example")
    results = await harness.connector.handoff_upsert_leads(make_leads(), "import-2")
    await harness.aclose()
    assert {r.errors[0].code for r in results[200:]} == {"REQUEST_LIMIT_EXCEEDED"}
    assert "TotalRequests Limit exceeded" in results[-1].errors[0].message
    refused = org.simulator.throttled()
    assert 1 <= len(refused) <= harness.connector.budget.limit.concurrency, (
        "chunks queued behind a spent allocation are not sent"
    )


async def test_a_field_the_org_lacks_is_invalid_field_naming_the_config(org: Any) -> None:
    harness = org.harness(account_fields={"tier": "Tier__c"})
    with pytest.raises(ApiError, match="No such column 'Tier__c'") as info:
        await harness.connector.handoff_match_account(email_domain="acme.example", website=None)
    await harness.aclose()
    assert info.value.code == "INVALID_FIELD"
    assert "connectors.salesforce.account_fields" in info.value.message


POOLED_FIELDS = {
    "tier": "Pooled_Rank__c",
    "carr": "CARR__c",
    "total_funding": "Total_Funding__c",
    "lam_dev_count": "LAM_Dev_Count__c",
    "segment": "Sales_Segment__c",
}


async def test_the_pool_is_listed_a_page_at_a_time_over_a_real_socket(org: Any) -> None:
    """P1, P3: owner, segment and CARR in the SOQL; pages follow nextRecordsUrl; fields read."""
    for n in range(450):  # more pooled customers than one 200-record page holds
        org.simulator.account.data["Account"].append(
            {
                "Id": sfid("001", 700_000 + n),
                "Name": f"Pooled {n}",
                "Type": "Customer",
                "OwnerId": sfid("005", 77),
                "Sales_Segment__c": "smb",
                "CARR__c": 100 + n,
                "Account_Rank_Notes_History__c": f"note {n}",
            }
        )
    harness = org.harness(account_fields=POOLED_FIELDS, query_batch_size=200)
    where = [
        AccountCriterion(field="owner_id", op="eq", value=sfid("005", 77)),
        AccountCriterion(field="segment", op="in", value=["SMB"]),
        AccountCriterion(field="carr", op="lt", value=1000),
    ]
    fields = ["Account_Rank_Notes_History__c"]
    pages = []
    cursor = None
    while True:
        page = await harness.connector.handoff_list_accounts(  # type: ignore[attr-defined]
            where=where, fields=fields, cursor=cursor
        )
        pages.append(page)
        if page.cursor is None:
            break
        cursor = page.cursor
    accounts = [a for p in pages for a in p.accounts]
    assert [len(p.accounts) for p in pages] == [200, 200, 53]  # 450 + the 3 seeded
    assert pages[0].total == 453
    assert all(a.owner_email == "pooled.sales@example.test" for a in accounts)
    assert accounts[-1].fields["Account_Rank_Notes_History__c"] == "note 449"
    ids = [a.ids["salesforce"] for a in accounts]
    assert ids == sorted(ids)
    assert len(org.simulator.calls("query")) + len(org.simulator.calls("query_more")) == 3


async def test_find_users_by_email_marks_inactive_users(org: Any) -> None:
    """P1, P4: the Pooled Sales User by email, whatever its case; an inactive user says so."""
    harness = org.harness()
    [user] = await harness.connector.handoff_find_users(  # type: ignore[attr-defined]
        user_ids=[], emails=["Pooled.Sales@example.test"]
    )
    assert user.id_in("salesforce") == sfid("005", 77)
    assert user.active
    [gone] = await harness.connector.handoff_find_users(  # type: ignore[attr-defined]
        user_ids=[], emails=["former.pooled@example.test"]
    )
    assert not gone.active


async def test_an_api_write_stamps_who_and_when(org: Any) -> None:
    """P3: what the hub writes is LastModifiedBy the integration user, as Salesforce stamps it."""
    harness = org.harness(account_fields=POOLED_FIELDS)
    account_id = sfid("001", 301)
    [result] = await harness.connector.handoff_update_accounts(  # type: ignore[attr-defined]
        updates=[AccountUpdate(account_id=account_id, tier="Tier 2")], idempotency_key="k1"
    )
    assert result.ok
    page = await harness.connector.handoff_list_accounts(  # type: ignore[attr-defined]
        where=[AccountCriterion(field="id", op="eq", value=account_id)], fields=[], cursor=None
    )
    [account] = page.accounts
    assert account.tier == "Tier 2"
    assert account.modified_by == "Avery Owner"
    assert account.modified_at is not None


async def test_q13_activities_become_tasks_and_campaign_members_once_per_key(org: Any) -> None:
    """Q13 over a real socket: a Task on the Contact, a CampaignMember; a retry writes nothing new."""
    harness = org.harness()
    activities = [
        CrmActivity(
            email="pat.lee@acme.example",
            subject="Form qualified (handoff)",
            occurred_at=datetime(2026, 3, 2, 10, tzinfo=UTC),
            campaign_id="701Hd000000001AAA",
            campaign_status="Responded",
            key="leads:pat.lee@acme.example:form_qualified:1",
        ),
        CrmActivity(
            email="nobody@nowhere.example",
            subject="Chat held",
            occurred_at=datetime(2026, 3, 2, 10, tzinfo=UTC),
            key="leads:nobody:chat_held:1",
        ),
    ]
    first = await harness.connector.handoff_record_activities(activities, "act-1")
    again = await harness.connector.handoff_record_activities(activities, "act-1-retry")
    await harness.aclose()
    assert [r.ok for r in first] == [True, False]
    assert first[1].errors[0].code == "NOT_FOUND"
    assert [r.ok for r in again] == [True, False]
    data = org.simulator.account.data
    [task] = data["Task"]
    assert task["WhoId"] == sfid("003", 30)
    assert task["Subject"] == "Form qualified (handoff)"
    [member] = data["CampaignMember"]
    assert (member["ContactId"], member["CampaignId"], member["Status"]) == (
        sfid("003", 30),
        "701Hd000000001AAA",
        "Responded",
    )


async def test_d8_buy_now_creates_the_account_once_and_updates_a_known_one(org: Any) -> None:
    harness = org.harness()
    new = Account(name="Hooli", website="https://hooli.example", account_type="Customer")
    created = await harness.connector.handoff_upsert_account(new, "buy-now:order-1")
    retried = await harness.connector.handoff_upsert_account(new, "buy-now:order-1")
    known = Account(
        ids={"salesforce": sfid("001", 11)}, name="Umbrella Labs", account_type="Customer"
    )
    updated = await harness.connector.handoff_upsert_account(known, "buy-now:order-2")
    await harness.aclose()
    assert created.ok
    assert created.created is True
    assert retried.ok
    assert (retried.id, retried.created) == (created.id, False)
    accounts = org.simulator.account.data["Account"]
    assert len([a for a in accounts if a.get("Name") == "Hooli"]) == 1
    assert updated.ok
    umbrella = next(a for a in accounts if a["Id"] == sfid("001", 11))
    assert umbrella["Type"] == "Customer"
