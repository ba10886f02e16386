"""Account listings (P1 pool, P3 re-rank) and user lookups (P1, P4) against their cassettes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from handoff_salesforce import SalesforceConnector
from handoff_salesforce.config import AccountFields
from handoff_salesforce.mapping import account_field_name
from handoff_salesforce.soql import account_list_query, condition, literal
from sf_cases import CONFIG, LIST_FIELDS, LIST_WHERE, POOL_OWNER, POOL_OWNER_EMAIL, SECRETS, sfid

from handoff_sdk import ConfigError
from handoff_sdk.entities import AccountCriterion
from handoff_sdk.testing.harness import Harness

Factory = Callable[..., Harness]


def _replay(connector_harness: Factory, cassette: str) -> Harness:
    return connector_harness(SalesforceConnector, config=CONFIG, secrets=SECRETS, cassette=cassette)


async def test_list_accounts_pages_through_next_records_url(connector_harness: Factory) -> None:
    """P1, P3: the first page comes from the SOQL, the next from its cursor, in Id order."""
    harness = _replay(connector_harness, "list_accounts")
    connector = harness.connector
    first = await connector.handoff_list_accounts(where=LIST_WHERE, fields=LIST_FIELDS, cursor=None)  # type: ignore[attr-defined]
    assert [a.name for a in first.accounts] == ["Pooled Customer 0", "Pooled Customer 1"]
    assert first.total == 3
    assert first.cursor is not None
    assert first.cursor.startswith("/services/data/v61.0/query/")
    second = await connector.handoff_list_accounts(
        where=LIST_WHERE, fields=LIST_FIELDS, cursor=first.cursor
    )  # type: ignore[attr-defined]
    assert [a.name for a in second.accounts] == ["Pooled Customer 2"]
    assert second.cursor is None
    account = second.accounts[0]
    assert account.owner_id == POOL_OWNER
    assert account.owner_email == POOL_OWNER_EMAIL
    assert account.modified_by == "Riley Rep"
    assert account.modified_at == datetime(2026, 1, 2, 9, 30, tzinfo=UTC)
    assert account.fields == {
        "Account_Rank_Notes_History__c": "2025-12-01 none -> Tier 2 (auto) #302"
    }
    assert harness.api_calls == 2
    soql = harness.sent()[1].url.params["q"]
    assert f"WHERE OwnerId = '{POOL_OWNER}' AND Type IN ('Customer') ORDER BY Id ASC" in soql


async def test_a_cursor_on_another_host_is_refused(connector_harness: Factory) -> None:
    """A cursor is a path on the instance; a full URL elsewhere never gets the token."""
    harness = _replay(connector_harness, "list_accounts")
    with pytest.raises(Exception, match="not a path on the instance"):
        await harness.connector.handoff_list_accounts(  # type: ignore[attr-defined]
            where=LIST_WHERE, fields=[], cursor="https://evil.example/services/data/v61.0/query/x"
        )
    assert harness.api_calls == 0


async def test_a_criterion_on_an_unconfigured_field_names_the_setting(
    connector_harness: Factory,
) -> None:
    """P1: CARR lives in a custom field; without account_fields.carr the query cannot be built."""
    harness = _replay(connector_harness, "list_accounts")
    with pytest.raises(ConfigError, match=r"account_fields\.carr"):
        await harness.connector.handoff_list_accounts(  # type: ignore[attr-defined]
            where=[AccountCriterion(field="carr", op="lt", value=1000)], fields=[], cursor=None
        )
    assert harness.api_calls == 0


async def test_a_field_that_is_not_an_api_name_is_refused_before_any_call(
    connector_harness: Factory,
) -> None:
    """`fields` goes into the SOQL, so only API names pass (no injection through config)."""
    harness = _replay(connector_harness, "list_accounts")
    with pytest.raises(ConfigError, match="not a field API name"):
        await harness.connector.handoff_list_accounts(  # type: ignore[attr-defined]
            where=LIST_WHERE, fields=["Name FROM User --"], cursor=None
        )
    assert harness.api_calls == 0


async def test_find_users_by_email_finds_the_pool_user(connector_harness: Factory) -> None:
    """P1, P4: the Pooled Sales User's id, found by its email through the one user lookup."""
    harness = _replay(connector_harness, "find_user")
    [user] = await harness.connector.handoff_find_users(  # type: ignore[attr-defined]
        user_ids=[], emails=[POOL_OWNER_EMAIL.upper()]
    )
    assert user.id_in("salesforce") == POOL_OWNER
    assert user.name == "Pooled Sales User"
    assert user.active
    assert "Email IN ('pooled.sales@example.test')" in harness.sent()[1].url.params["q"]


def test_pool_criteria_become_soql_on_the_configured_fields() -> None:
    """P1: segment SMB, CARR under $1k, owned by the Pooled Sales User, as one WHERE."""
    fields = AccountFields(carr="CARR__c", segment="Sales_Segment__c")
    where = [
        ("owner_id", "eq", sfid("005", 77)),
        ("segment", "in", ["SMB"]),
        ("carr", "lt", 1000.0),
    ]
    conditions = [condition(account_field_name(f, fields), op, v) for f, op, v in where]
    query = account_list_query(conditions, ["CARR__c"])
    assert query.endswith(
        f"FROM Account WHERE OwnerId = '{sfid('005', 77)}' AND Sales_Segment__c IN ('SMB') "
        "AND CARR__c < 1000 ORDER BY Id ASC"
    )
    assert query.count("CARR__c") == 2  # selected once, filtered once


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "null"),
        (True, "true"),
        (3, "3"),
        (1500.0, "1500"),
        (2.5, "2.5"),
        ("O'Brien", r"'O\'Brien'"),
    ],
)
def test_soql_literals(value: object, text: str) -> None:
    assert literal(value) == text


@pytest.mark.parametrize(
    ("op", "value", "problem"),
    [
        ("in", [], "non-empty list"),
        ("lt", None, "null"),
        ("eq", ["a"], "one value"),
        ("like", "x", "operator"),
    ],
)
def test_bad_conditions_are_refused(op: str, value: object, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        condition("Name", op, value)


def test_fields_paths_pass_through_and_bad_names_are_refused() -> None:
    assert account_field_name("fields.Rank_Notes__c", AccountFields()) == "Rank_Notes__c"
    with pytest.raises(ValueError, match="not a field API name"):
        account_field_name("fields.Bad Name", AccountFields())
