"""Z2, Z4, Z6 over a real socket: the renewal's owner and users with their managers."""

from __future__ import annotations

from handoff_salesforce import SalesforceConnector

from handoff_sdk.testing.company import COMPANY

NORTHWIND = COMPANY.customer("northwind")
CAMILLE = COMPANY.rep("sdr-camille")
JONAS = COMPANY.rep("bdr-jonas")


async def test_z4_the_renewal_of_a_customer_is_its_open_renewal_opportunity(simulated) -> None:
    sim = await simulated(SalesforceConnector)
    renewal = await sim.connector.handoff_renewal_opportunity(NORTHWIND.salesforce_id)
    assert renewal is not None
    assert (renewal.type, renewal.is_closed, renewal.owner_id) == (
        "Renewal",
        False,
        CAMILLE.salesforce_id,
    )
    assert renewal.owner_name == CAMILLE.name
    assert renewal.close_date is not None
    assert (
        await sim.connector.handoff_renewal_opportunity(COMPANY.customer("tailspin").salesforce_id)
        is None
    )


async def test_z6_users_come_with_their_role_profile_and_manager(simulated) -> None:
    sim = await simulated(SalesforceConnector)
    users = await sim.connector.handoff_find_users(
        user_ids=[CAMILLE.salesforce_id], emails=[JONAS.email.upper(), "nobody@example.test"]
    )
    by_email = {u.email: u for u in users}
    camille = by_email[CAMILLE.email]
    assert (camille.role, camille.profile, camille.active) == ("Sales", "Sales User", True)
    assert (camille.manager_id, camille.manager_email) == (JONAS.salesforce_id, JONAS.email)
    assert by_email[JONAS.email].manager_email is None
    assert sim.api_calls("query") == 2  # one query by ids, one by emails


async def test_z2_the_sfdc_admin_placeholder_is_a_user_and_accounts_carry_their_segment_facts(
    simulated,
) -> None:
    sim = await simulated(SalesforceConnector)
    [admin] = await sim.connector.handoff_find_users(
        user_ids=[], emails=["sfdc-admin@example.test"]
    )
    assert (admin.name, admin.profile) == ("SFDC Admin", "System Administrator")
    account = await sim.connector.handoff_match_account(email_domain=NORTHWIND.domain, website=None)
    assert account is not None
    assert (account.employee_count, account.country, account.owner_id) == (
        NORTHWIND.employees,
        NORTHWIND.country_code,
        CAMILLE.salesforce_id,
    )
    assert await sim.connector.handoff_find_users(user_ids=[], emails=[]) == []
