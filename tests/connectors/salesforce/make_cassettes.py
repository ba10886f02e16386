"""Write the Salesforce cassettes (synthetic values in Salesforce's real shapes).

Run by hand from the repository root after changing what the connector sends:

    .venv/bin/python tests/connectors/salesforce/make_cassettes.py

Requests are built with the connector's own SOQL and mapping functions, so
the recorded URIs are exactly what the connector asks for; responses follow
the REST API's shapes (query pages with nextRecordsUrl, sObject Collections
results with per-record errors, Sforce-Limit-Info headers). Nothing here
is copied from a real org.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
from handoff_salesforce import SalesforceConfig
from handoff_salesforce.mapping import (
    account_field_name,
    account_query_fields,
    account_to_record,
    activity_records,
    case_to_record,
    contact_update_to_record,
    lead_to_record,
    update_to_record,
)
from handoff_salesforce.soql import (
    account_list_query,
    account_match_query,
    condition,
    contact_by_email_query,
    lead_by_email_query,
    renewal_opportunity_query,
    users_query,
)
from sf_cases import (
    ACTIVITIES,
    BAD_EMAIL,
    BUY_NOW_ACCOUNT,
    CASE,
    CONFIG,
    CONTACT_UPDATES,
    DATA,
    DELETED_ACCOUNTS,
    DEMO_CONFIG,
    DUPLICATE_EMAIL,
    LIST_FIELDS,
    LIST_WHERE,
    MISSING_LAST_NAME,
    POOL_OWNER_EMAIL,
    SMALL_LEADS,
    SMALL_UPDATES,
    WRITEBACK_CONTACT,
    WRITEBACK_LEAD,
    make_leads,
    make_updates,
    sfid,
)

from handoff_sdk.testing.cassettes import cassette_interaction, write_cassette

OUT = Path(__file__).resolve().parents[3] / "cassettes" / "salesforce"

JSON_HEADERS = {"Content-Type": ["application/json;charset=UTF-8"]}


class Org:
    """One synthetic org: its URLs and a running API-usage counter for Sforce-Limit-Info."""

    def __init__(self, config: dict[str, Any], usage: int = 1200, limit: int = 15000) -> None:
        self.config = SalesforceConfig.model_validate(config)
        self.usage = usage
        self.limit = limit

    def headers(self) -> dict[str, list[str]]:
        """Response headers of one API call; every call uses one more request."""
        self.usage += 1
        return {**JSON_HEADERS, "Sforce-Limit-Info": [f"api-usage={self.usage}/{self.limit}"]}

    def token(self) -> dict[str, Any]:
        """The refresh-token grant and Salesforce's answer (it carries no expires_in)."""
        cfg = self.config
        body = urlencode(
            {
                "grant_type": "refresh_token",
                "refresh_token": "REDACTED",
                "client_id": cfg.client_id,
                "client_secret": "REDACTED",
            }
        )
        answer = {
            "access_token": "REDACTED",
            "signature": "REDACTED",
            "scope": "api refresh_token",
            "instance_url": cfg.instance_url,
            "id": f"{cfg.login_url}/id/{sfid('00D', 1)}/{sfid('005', 1)}",
            "token_type": "Bearer",
            "issued_at": "1767603600000",
        }
        return interaction(
            "POST",
            cfg.token_url,
            body,
            status=200,
            answer=answer,
            headers={**JSON_HEADERS},
            request_headers={"Content-Type": ["application/x-www-form-urlencoded"]},
        )

    def query(
        self,
        statement: str,
        records: list[dict[str, Any]],
        *,
        total: int | None = None,
        next_path: str | None = None,
    ) -> dict[str, Any]:
        """GET /query?q=... answered with one page."""
        url = str(httpx.URL(f"{self.config.data_url}/query", params={"q": statement}))
        return interaction(
            "GET",
            url,
            None,
            status=200,
            answer=page(records, total, next_path),
            headers=self.headers(),
        )

    def query_more(
        self,
        path: str,
        records: list[dict[str, Any]],
        *,
        total: int | None = None,
        next_path: str | None = None,
    ) -> dict[str, Any]:
        """GET of a nextRecordsUrl."""
        url = f"{self.config.instance_url}{path}"
        return interaction(
            "GET",
            url,
            None,
            status=200,
            answer=page(records, total, next_path),
            headers=self.headers(),
        )

    def account_fields(self) -> list[str]:
        """The custom fields the connector selects with this config."""
        cfg = self.config
        return account_query_fields(cfg.account_fields, cfg.account_extra_fields)


def interaction(
    method: str,
    url: str,
    body: Any,
    *,
    status: int,
    answer: Any,
    headers: dict[str, list[str]],
    request_headers: dict[str, list[str]] | None = None,
) -> dict[str, Any]:
    """One API call; by default it carries the Authorization header, recorded as REDACTED."""
    if request_headers is None:
        request_headers = {"Authorization": ["REDACTED"]}
    return cassette_interaction(
        method,
        url,
        request_body=body,
        request_headers=request_headers,
        status=status,
        response_body=answer,
        response_headers=headers,
    )


def page(records: list[dict[str, Any]], total: int | None, next_path: str | None) -> dict[str, Any]:
    """A query result page: done is false exactly when a nextRecordsUrl follows."""
    body: dict[str, Any] = {
        "totalSize": len(records) if total is None else total,
        "done": next_path is None,
    }
    if next_path:
        body["nextRecordsUrl"] = next_path
    body["records"] = records
    return body


def attributes(kind: str, record_id: str) -> dict[str, str]:
    """The `attributes` block Salesforce puts on every queried record."""
    return {"type": kind, "url": f"{DATA}/sobjects/{kind}/{record_id}"}


def account_row(
    org: Org,
    n: int,
    name: str,
    website: str | None,
    *,
    owner: tuple[int, str] = (10, "Avery Owner"),
    account_type: str | None = "Prospect",
    industry: str | None = None,
    employees: int | None = None,
    country: str | None = None,
    state: str | None = None,
    custom: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An Account query row with every selected field, nulls included, as Salesforce sends."""
    record_id = sfid("001", n)
    owner_id = sfid("005", owner[0])
    row: dict[str, Any] = {
        "attributes": attributes("Account", record_id),
        "Id": record_id,
        "Name": name,
        "Website": website,
        "Industry": industry,
        "NumberOfEmployees": employees,
        "BillingCountry": country,
        "BillingState": state,
        "Type": account_type,
        "OwnerId": owner_id,
        "Owner": {"attributes": attributes("User", owner_id), "Name": owner[1]},
    }
    for field in org.account_fields():
        row[field] = (custom or {}).get(field)
    return row


def account_lookup(org: Org, domains: Sequence[str], rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The match_account query for these domains, answered with these rows."""
    cfg = org.config
    statement = account_match_query(domains, org.account_fields(), cfg.account_fields.domain)
    return org.query(statement, rows)


def collection_answer(results: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """An sObject Collections answer (HTTP 200 whatever the per-record outcome)."""
    return list(results)


def ok(record_id: str, created: bool | None = None) -> dict[str, Any]:
    """A record that was written."""
    result: dict[str, Any] = {"id": record_id, "success": True, "errors": []}
    if created is not None:
        result["created"] = created
    return result


def failed(code: str, message: str, fields: list[str], *, upsert: bool = False) -> dict[str, Any]:
    """A record that was refused; upsert results also say created: false."""
    result: dict[str, Any] = {
        "success": False,
        "errors": [{"statusCode": code, "message": message, "fields": fields}],
    }
    if upsert:
        result["created"] = False
    return result


def patch(org: Org, url: str, records: list[dict[str, Any]], answer: Any) -> dict[str, Any]:
    """A PATCH of an sObject collection (allOrNone false) and its answer."""
    body = {"allOrNone": False, "records": records}
    return interaction("PATCH", url, body, status=200, answer=answer, headers=org.headers())


# -- the cassettes -----------------------------------------------------------------


def match_account(org: Org) -> list[dict[str, Any]]:
    """LIKE finds a look-alike first (acme.example.org); only the exact domain matches."""
    rows = [
        account_row(org, 1, "Acme Outdoor Supply", "https://acme.example.org", country="Canada"),
        account_row(
            org,
            2,
            "Acme Corporation",
            "https://www.acme.example/",
            industry="Manufacturing",
            employees=2400,
            country="United States",
            state="CA",
            custom={
                "BDR_Assigned__c": sfid("005", 21),
                "Account_Status__c": "Actively Working",
                "Sales_Geo__c": "AMER",
            },
        ),
    ]
    return [org.token(), account_lookup(org, ["acme.example"], rows)]


def match_account_paged(org: Org) -> list[dict[str, Any]]:
    """Two pages: the exact match is on the second, after nextRecordsUrl."""
    more = f"{DATA}/query/{sfid('01g', 7)}-2000"
    first = [
        account_row(org, 100 + i, f"Initech Reseller {i}", f"https://partner{i}.initech.example")
        for i in range(3)
    ]
    second = [account_row(org, 200, "Initech", "initech.example", account_type="Customer")]
    cfg = org.config
    statement = account_match_query(
        ["initech.example"], org.account_fields(), cfg.account_fields.domain
    )
    return [
        org.token(),
        org.query(statement, first, total=4, next_path=more),
        org.query_more(more, second, total=4),
    ]


def listed_account(org: Org, n: int, name: str) -> dict[str, Any]:
    """An account-listing row: the match row plus the owner's email and who last changed it."""
    row = account_row(org, n, name, f"https://{name.lower().replace(' ', '')}.example",
                      owner=(77, "Pooled Sales User"), account_type="Customer")  # fmt: skip
    row["Owner"]["Email"] = POOL_OWNER_EMAIL
    editor = sfid("005", 21)
    row["LastModifiedBy"] = {"attributes": attributes("User", editor), "Name": "Riley Rep"}
    row["LastModifiedDate"] = "2026-01-02T09:30:00.000+0000"
    row["Account_Rank_Notes_History__c"] = f"2025-12-01 none -> Tier 2 (auto) #{n}"
    return row


def list_accounts(org: Org) -> list[dict[str, Any]]:
    """The pooled owner's customers: two pages, linked by nextRecordsUrl (P1, P3)."""
    cfg = org.config
    conditions = [
        condition(account_field_name(c.field, cfg.account_fields), c.op, c.value)
        for c in LIST_WHERE
    ]
    statement = account_list_query(conditions, [*org.account_fields(), *LIST_FIELDS])
    more = f"{DATA}/query/{sfid('01g', 9)}-2"
    first = [listed_account(org, 300 + i, f"Pooled Customer {i}") for i in range(2)]
    second = [listed_account(org, 302, "Pooled Customer 2")]
    return [
        org.token(),
        org.query(statement, first, total=3, next_path=more),
        org.query_more(more, second, total=3),
    ]


def contact_row(n: int, email: str, first: str, last: str, account: int) -> dict[str, Any]:
    """A Contact query row."""
    record_id = sfid("003", n)
    return {
        "attributes": attributes("Contact", record_id),
        "Id": record_id,
        "Email": email,
        "FirstName": first,
        "LastName": last,
        "Title": "Director of IT",
        "Phone": None,
        "AccountId": sfid("001", account),
        "OwnerId": sfid("005", 10),
    }


def lead_row(n: int, email: str, first: str, last: str, company: str) -> dict[str, Any]:
    """A Lead query row."""
    record_id = sfid("00Q", n)
    return {
        "attributes": attributes("Lead", record_id),
        "Id": record_id,
        "Email": email,
        "FirstName": first,
        "LastName": last,
        "Company": company,
        "Title": None,
        "Phone": None,
        "Country": "United States",
        "Status": "Open - Not Contacted",
        "LeadSource": "Web",
        "OwnerId": sfid("005", 11),
    }


def find_person_contact(org: Org) -> list[dict[str, Any]]:
    """The email belongs to a Contact: one query, the Lead is never asked for."""
    email = "pat.lee@acme.example"
    row = contact_row(30, email, "Pat", "Lee", 2)
    return [org.token(), org.query(contact_by_email_query(email), [row])]


def find_person_lead(org: Org) -> list[dict[str, Any]]:
    """No Contact, an unconverted Lead."""
    email = "sam.rivera@globex.example"
    row = lead_row(40, email, "Sam", "Rivera", "Globex")
    return [
        org.token(),
        org.query(contact_by_email_query(email), []),
        org.query(lead_by_email_query(email), [row]),
    ]


def find_person_quote(org: Org) -> list[dict[str, Any]]:
    """An email with a quote in it: both queries run, properly escaped, and find nobody."""
    email = "o'brien@x.example"
    return [
        org.token(),
        org.query(contact_by_email_query(email), []),
        org.query(lead_by_email_query(email), []),
    ]


def _lead_url(org: Org) -> str:
    return f"{org.config.data_url}/composite/sobjects/Lead/{org.config.lead_upsert_field}"


def upsert_leads(org: Org) -> list[dict[str, Any]]:
    """Three leads: created, updated, and refused because two leads share the email."""
    records = [lead_to_record(lead) for lead in SMALL_LEADS]
    answer = collection_answer(
        [
            ok(sfid("00Q", 50), created=True),
            ok(sfid("00Q", 40), created=False),
            failed(
                "DUPLICATE_EXTERNAL_ID",
                f"Lead: more than one record found for external id field: "
                f"[{sfid('00Q', 61)}, {sfid('00Q', 62)}]",
                ["Email"],
                upsert=True,
            ),
        ]
    )
    return [org.token(), patch(org, _lead_url(org), records, answer)]


def upsert_leads_1000(org: Org) -> list[dict[str, Any]]:
    """1,000 leads in five calls of 200, with refusals of the kinds real orgs give."""
    leads = make_leads()
    out = [org.token()]
    for start in range(0, len(leads), 200):
        chunk = leads[start : start + 200]
        results = []
        for offset, lead in enumerate(chunk):
            i = start + offset
            if i in MISSING_LAST_NAME:
                results.append(
                    failed(
                        "REQUIRED_FIELD_MISSING",
                        "Required fields are missing: [LastName]",
                        ["LastName"],
                        upsert=True,
                    )
                )
            elif i in BAD_EMAIL:
                results.append(
                    failed(
                        "INVALID_EMAIL_ADDRESS",
                        f"Email: invalid email address: {lead.email}",
                        ["Email"],
                        upsert=True,
                    )
                )
            elif i in DUPLICATE_EMAIL:
                results.append(
                    failed(
                        "DUPLICATE_EXTERNAL_ID",
                        f"Lead: more than one record found for external id field: "
                        f"[{sfid('00Q', 90001)}, {sfid('00Q', 90002)}]",
                        ["Email"],
                        upsert=True,
                    )
                )
            else:
                results.append(ok(sfid("00Q", 10000 + i), created=i % 3 != 0))
        records = [lead_to_record(lead) for lead in chunk]
        out.append(patch(org, _lead_url(org), records, results))
    return out


def update_accounts(org: Org) -> list[dict[str, Any]]:
    """Two updates: one written, one refused because the account was deleted."""
    fields = org.config.account_fields
    records = [update_to_record(u, fields) for u in SMALL_UPDATES]
    answer = [
        ok(SMALL_UPDATES[0].account_id),
        failed("ENTITY_IS_DELETED", "entity is deleted", []),
    ]
    return [org.token(), patch(org, f"{org.config.data_url}/composite/sobjects", records, answer)]


def update_accounts_401(org: Org) -> list[dict[str, Any]]:
    """401 updates: calls of 200, 200 and 1; two accounts no longer exist."""
    fields = org.config.account_fields
    updates = make_updates()
    out = [org.token()]
    for start in range(0, len(updates), 200):
        chunk = updates[start : start + 200]
        answer = [
            failed("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", [])
            if start + offset in DELETED_ACCOUNTS
            else ok(update.account_id)
            for offset, update in enumerate(chunk)
        ]
        records = [update_to_record(u, fields) for u in chunk]
        out.append(patch(org, f"{org.config.data_url}/composite/sobjects", records, answer))
    return out


def update_contacts(org: Org) -> list[dict[str, Any]]:
    """Q11: two contacts changed in one collection call; a validation rule refuses one."""
    records = [contact_update_to_record(c) for c in CONTACT_UPDATES]
    answer = [
        ok(sfid("003", 30)),
        failed(
            "FIELD_CUSTOM_VALIDATION_EXCEPTION",
            "Last chat rep must be an active user",
            ["Last_Chat_Rep__c"],
        ),
    ]
    return [org.token(), patch(org, f"{org.config.data_url}/composite/sobjects", records, answer)]


def writeback_contact(org: Org) -> list[dict[str, Any]]:
    """Q11 end to end (tests/chat/writeback): find Pat Lee, a Contact, then update that Contact."""
    email = WRITEBACK_CONTACT.email
    row = contact_row(30, email, "Pat", "Lee", 2)
    records = [contact_update_to_record(WRITEBACK_CONTACT)]
    return [
        org.token(),
        org.query(contact_by_email_query(email), [row]),
        patch(org, f"{org.config.data_url}/composite/sobjects", records, [ok(sfid("003", 30))]),
    ]


def writeback_lead(org: Org) -> list[dict[str, Any]]:
    """Q11 end to end (tests/chat/writeback): nobody has the email, so the Lead is created."""
    email = WRITEBACK_LEAD.email
    records = [lead_to_record(WRITEBACK_LEAD)]
    return [
        org.token(),
        org.query(contact_by_email_query(email), []),
        org.query(lead_by_email_query(email), []),
        patch(org, _lead_url(org), records, [ok(sfid("00Q", 77), created=True)]),
    ]


def record_activities(org: Org) -> list[dict[str, Any]]:
    """Q13: Pat Lee is a Contact; a Task and a CampaignMember, upserted on the key field."""
    [activity] = ACTIVITIES
    field = org.config.activity_key_field
    task, member = activity_records(activity, sfid("003", 30), True, field)
    assert member is not None
    data = org.config.data_url
    return [
        org.token(),
        org.query(
            contact_by_email_query(activity.email, org.config.contact_extra_fields),
            [contact_row(30, activity.email, "Pat", "Lee", 1)],
        ),
        patch(org, f"{data}/composite/sobjects/Task/{field}", [task], [ok(sfid("00T", 1), True)]),
        patch(
            org,
            f"{data}/composite/sobjects/CampaignMember/{field}",
            [member],
            [ok(sfid("00v", 1), True)],
        ),
    ]


def upsert_account(org: Org) -> list[dict[str, Any]]:
    """D8: a new account, upserted on the key field with the idempotency key."""
    field = org.config.account_key_field
    record = {**account_to_record(BUY_NOW_ACCOUNT), field: "buy-now:order-1"}
    url = f"{org.config.data_url}/composite/sobjects/Account/{field}"
    return [org.token(), patch(org, url, [record], [ok(sfid("001", 900), created=True)])]


def create_case(org: Org) -> list[dict[str, Any]]:
    """POST sobjects/Case answered 201 with the new id."""
    body = case_to_record(CASE)
    answer = {"id": sfid("500", 70), "success": True, "errors": []}
    headers = {**org.headers(), "Location": [f"{DATA}/sobjects/Case/{sfid('500', 70)}"]}
    return [
        org.token(),
        interaction(
            "POST",
            f"{org.config.data_url}/sobjects/Case",
            body,
            status=201,
            answer=answer,
            headers=headers,
        ),
    ]


def demo(org: Org) -> list[dict[str, Any]]:
    """The demo: five visitors' companies matched by domain (Q1), then v-1006's chat (Q3)."""
    out = [org.token()]
    out.append(
        account_lookup(
            org,
            ["northwind.example"],
            [
                account_row(
                    org,
                    1001,
                    "Northwind Traders",
                    "https://www.northwind.example/",
                    owner=(101, "Morgan Reyes"),
                    industry="Retail",
                    employees=1800,
                    country="United States",
                    state="WA",
                    custom={
                        "Account_Status__c": "Actively Working",
                        "BDR_Assigned__c": sfid("005", 201),
                        "Sales_Geo__c": "AMER",
                    },
                )
            ],
        )
    )
    out.append(
        account_lookup(
            org,
            ["contoso-gov.example"],
            [
                account_row(
                    org,
                    1002,
                    "Contoso Public Sector Agency",
                    "contoso-gov.example",
                    owner=(102, "Jordan Blake"),
                    industry="Government",
                    employees=5200,
                    country="United States",
                    state="VA",
                    custom={
                        "Sector__c": "US Public Sector",
                        "BDR_Assigned__c": sfid("005", 202),
                        "Sales_Geo__c": "AMER",
                    },
                )
            ],
        )
    )
    out.append(
        account_lookup(
            org,
            ["fabrikam.example"],
            [
                account_row(
                    org,
                    1003,
                    "Fabrikam GmbH",
                    "www.fabrikam.example",
                    owner=(103, "Lena Vogel"),
                    industry="Manufacturing",
                    employees=650,
                    country="Germany",
                    custom={"Sales_Geo__c": "EMEA"},
                )
            ],
        )
    )
    out.append(account_lookup(org, ["tailspin.example"], []))
    out.append(_demo_adventure_works(org))
    # The chat requests (Q3): only v-1006's carries something to identify by (her email),
    # so the routing handler matches her account again and looks her up (a Contact).
    out.append(_demo_adventure_works(org))
    email = "ana@adventure-works.example"
    out.append(
        org.query(contact_by_email_query(email), [contact_row(1006, email, "Ana", "Silva", 1005)])
    )
    return out


def _demo_adventure_works(org: Org) -> dict[str, Any]:
    """v-1006's account, matched by her email's domain (a Customer in AMER)."""
    return account_lookup(
        org,
        ["adventure-works.example"],
        [
            account_row(
                org,
                1005,
                "Adventure Works",
                "http://adventure-works.example/en-us",
                owner=(105, "Casey Nguyen"),
                account_type="Customer",
                industry="Consumer Goods",
                employees=320,
                country="United States",
                state="CO",
                custom={"Sales_Geo__c": "AMER"},
            )
        ],
    )


def renewal_opportunity(org: Org) -> list[dict[str, Any]]:
    """The open renewal closing first (Z4): ordered by the query, one row back."""
    account = sfid("001", 2)
    opp_id, owner_id = sfid("006", 40), sfid("005", 12)
    row = {
        "attributes": attributes("Opportunity", opp_id),
        "Id": opp_id,
        "Name": "Acme renewal FY27",
        "AccountId": account,
        "Type": "Renewal",
        "StageName": "Negotiating",
        "CloseDate": "2026-02-28",
        "Amount": 24000.0,
        "IsClosed": False,
        "OwnerId": owner_id,
        "Owner": {"attributes": attributes("User", owner_id), "Name": "Rene Renewals"},
    }
    statement = renewal_opportunity_query(account, org.config.renewal_opportunity_type)
    return [org.token(), org.query(statement, [row])]


def user_row(n: int, name: str, email: str, *, manager: int | None = None) -> dict[str, Any]:
    """A User query row with its role, profile and manager (nulls where there is none)."""
    user_id = sfid("005", n)
    manager_id = sfid("005", manager) if manager is not None else None
    return {
        "attributes": attributes("User", user_id),
        "Id": user_id,
        "Name": name,
        "Email": email,
        "IsActive": True,
        "Title": "Account Executive" if manager is not None else "Sales Manager",
        "UserRole": {"attributes": attributes("UserRole", sfid("00E", n)), "Name": "AE EMEA"},
        "Profile": {"attributes": attributes("Profile", sfid("00e", n)), "Name": "Sales User"},
        "ManagerId": manager_id,
        "Manager": (
            {
                "attributes": attributes("User", manager_id),
                "Name": "Mara Manager",
                "Email": "mara.manager@example.com",
            }
            if manager_id
            else None
        ),
    }


def find_users(org: Org) -> list[dict[str, Any]]:
    """One query by id: the rep and their manager's name and email (Z6's second ping)."""
    rows = [user_row(12, "Rene Renewals", "rene.renewals@example.com", manager=13)]
    return [org.token(), org.query(users_query([sfid("005", 12)], []), rows)]


def find_user(org: Org) -> list[dict[str, Any]]:
    """One query by email: the Pooled Sales User, whom the pooled motion names (P1, P4)."""
    rows = [user_row(77, "Pooled Sales User", POOL_OWNER_EMAIL)]
    return [org.token(), org.query(users_query([], [POOL_OWNER_EMAIL]), rows)]


def write(name: str, interactions: list[dict[str, Any]]) -> None:
    """Save one cassette and say so."""
    write_cassette(OUT / f"{name}.yaml", interactions)
    print(f"wrote {OUT / name}.yaml ({len(interactions)} interactions)")


def main() -> None:
    """Write every cassette."""
    for name, build in [
        ("match_account", match_account),
        ("match_account_paged", match_account_paged),
        ("find_person_contact", find_person_contact),
        ("find_person_lead", find_person_lead),
        ("find_person_quote", find_person_quote),
        ("upsert_leads", upsert_leads),
        ("upsert_leads_1000", upsert_leads_1000),
        ("update_accounts", update_accounts),
        ("update_accounts_401", update_accounts_401),
        ("update_contacts", update_contacts),
        ("writeback_contact", writeback_contact),
        ("writeback_lead", writeback_lead),
        ("create_case", create_case),
        ("record_activities", record_activities),
        ("upsert_account", upsert_account),
        ("list_accounts", list_accounts),
        ("renewal_opportunity", renewal_opportunity),
        ("find_users", find_users),
        ("find_user", find_user),
    ]:
        write(name, build(Org(CONFIG)))
    write("demo", demo(Org(DEMO_CONFIG, usage=4200)))


if __name__ == "__main__":
    main()
