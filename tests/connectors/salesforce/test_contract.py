"""The SDK's connector contract, run against the Salesforce cassettes."""

from __future__ import annotations

import httpx
from handoff_salesforce import SalesforceConnector
from sf_cases import (
    ACTIVITIES,
    BUY_NOW_ACCOUNT,
    CASE,
    CONFIG,
    CONTACT_UPDATES,
    LIST_FIELDS,
    LIST_WHERE,
    POOL_OWNER_EMAIL,
    SECRETS,
    SMALL_LEADS,
    SMALL_UPDATES,
    make_leads,
    make_updates,
    sfid,
)

from handoff_sdk.testing import ConnectorContract, ContractCase


class TestSalesforceContract(ConnectorContract):
    connector_class = SalesforceConnector
    config = CONFIG
    secrets = SECRETS
    cases = (
        ContractCase(
            "handoff_match_account",
            {"email_domain": "acme.example", "website": "https://www.acme.example/pricing"},
            "match_account",
        ),
        ContractCase(
            "handoff_find_person", {"email": "pat.lee@acme.example"}, "find_person_contact"
        ),
        ContractCase(
            "handoff_upsert_leads",
            {"leads": SMALL_LEADS, "idempotency_key": "chat-7f3a"},
            "upsert_leads",
        ),
        ContractCase(
            "handoff_update_accounts",
            {"updates": SMALL_UPDATES, "idempotency_key": "rank-2026-01-05"},
            "update_accounts",
        ),
        ContractCase(
            "handoff_update_contacts",
            {"contacts": CONTACT_UPDATES, "idempotency_key": "writeback:chat-1:contact"},
            "update_contacts",
        ),
        ContractCase(
            "handoff_create_case", {"case": CASE, "idempotency_key": "case-91c2"}, "create_case"
        ),
        ContractCase(
            "handoff_record_activities",
            {"activities": ACTIVITIES, "idempotency_key": "activity:pat"},
            "record_activities",
        ),
        ContractCase(
            "handoff_upsert_account",
            {"account": BUY_NOW_ACCOUNT, "idempotency_key": "buy-now:order-1"},
            "upsert_account",
        ),
        ContractCase(
            "handoff_list_accounts",
            {"where": LIST_WHERE, "fields": LIST_FIELDS, "cursor": None},
            "list_accounts",
        ),
        ContractCase(
            "handoff_renewal_opportunity", {"account_id": sfid("001", 2)}, "renewal_opportunity"
        ),
        ContractCase(
            "handoff_find_users", {"user_ids": [sfid("005", 12)], "emails": []}, "find_users"
        ),
        ContractCase(
            "handoff_find_users", {"user_ids": [], "emails": [POOL_OWNER_EMAIL]}, "find_user"
        ),
    )
    batch_cases = (
        ContractCase(
            "handoff_upsert_leads",
            {"leads": make_leads(), "idempotency_key": "import-1000"},
            "upsert_leads_1000",
        ),
        ContractCase(
            "handoff_update_accounts",
            {"updates": make_updates(), "idempotency_key": "rank-401"},
            "update_accounts_401",
        ),
    )

    @staticmethod
    def expired_token_response() -> httpx.Response:
        """Salesforce's answer to an expired or revoked session."""
        return httpx.Response(
            401,
            headers={"Content-Type": "application/json;charset=UTF-8"},
            json=[{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}],
        )
