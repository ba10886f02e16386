"""Config validation: https URLs, the login flow's own secrets, field names safe for SOQL."""

from __future__ import annotations

from typing import Any

import pydantic
import pytest
from handoff_salesforce import SalesforceConfig, SalesforceConnector
from sf_cases import CONFIG


def _config(**changes: Any) -> SalesforceConfig:
    return SalesforceConfig.model_validate({**CONFIG, **changes})


def test_defaults_are_the_production_login_host_and_the_usual_custom_fields() -> None:
    config = SalesforceConfig.model_validate(
        {"instance_url": "https://acme.my.salesforce.com/", "client_id": "3MVGabc"}
    )
    assert config.auth == "refresh_token"
    assert config.instance_url == "https://acme.my.salesforce.com"
    assert config.token_url == "https://login.salesforce.com/services/oauth2/token"
    assert config.data_url == "https://acme.my.salesforce.com/services/data/v61.0"
    assert config.account_fields.bdr_assigned == "BDR_Assigned__c"
    assert config.account_fields.status == "Account_Status__c"
    assert config.account_fields.sector == "Sector__c"
    assert config.lead_upsert_field == "Email"
    assert "gmail.com" in config.free_mail_domains


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("instance_url", "http://acme.my.salesforce.com"),
        ("instance_url", "acme.my.salesforce.com"),
        ("login_url", "http://login.salesforce.com"),
        ("jwt_audience", "ftp://login.salesforce.com"),
    ],
)
def test_urls_must_be_https_and_the_error_names_the_field(key: str, value: str) -> None:
    with pytest.raises(pydantic.ValidationError) as info:
        _config(**{key: value})
    error = info.value.errors()[0]
    assert error["loc"] == (key,)
    assert "https://" in error["msg"]
    assert "salesforce" in error["msg"]
    assert value in error["msg"]


def test_an_instance_url_with_a_path_is_refused() -> None:
    with pytest.raises(pydantic.ValidationError, match="without a path"):
        _config(instance_url="https://acme.my.salesforce.com/services/data/v61.0")


def test_api_version_is_normalised_and_checked() -> None:
    assert _config(api_version="62.0").api_version == "v62.0"
    with pytest.raises(pydantic.ValidationError, match=r"v61\.0"):
        _config(api_version="latest")


def test_refresh_token_mode_needs_only_its_two_secrets() -> None:
    assert SalesforceConnector.required_secrets(_config()) == ["client_secret", "refresh_token"]


def test_jwt_mode_needs_only_the_private_key_and_a_username() -> None:
    config = _config(auth="jwt", username="integration@acme.example")
    assert SalesforceConnector.required_secrets(config) == ["private_key"]
    with pytest.raises(pydantic.ValidationError, match="'username' is required"):
        _config(auth="jwt")


def test_unknown_auth_mode_is_refused() -> None:
    with pytest.raises(pydantic.ValidationError):
        _config(auth="password")


def test_an_empty_custom_field_name_switches_it_off() -> None:
    config = _config(account_fields={"sector": "", "geo": "Region__c"})
    assert config.account_fields.sector is None
    assert config.account_fields.geo == "Region__c"


@pytest.mark.parametrize(
    "bad", ["Sector__c FROM Account --", "Sector__c, (SELECT Id FROM Contacts)", "1Field", "a'b"]
)
def test_field_names_that_could_alter_a_query_are_refused(bad: str) -> None:
    with pytest.raises(pydantic.ValidationError, match="not a field API name"):
        _config(account_fields={"sector": bad})


def test_extra_fields_may_be_relationship_paths() -> None:
    assert _config(account_extra_fields=["Owner.Email", "Rating"]).account_extra_fields == [
        "Owner.Email",
        "Rating",
    ]


def test_record_ids_cannot_be_the_upsert_key() -> None:
    with pytest.raises(pydantic.ValidationError, match="External ID or idLookup"):
        _config(lead_upsert_field="Id")


def test_free_mail_list_is_configurable_and_lower_cased() -> None:
    config = _config(free_mail_domains=["Example-Mail.TEST", " "])
    assert config.free_mail_domains == ["example-mail.test"]


def test_unknown_keys_are_errors() -> None:
    with pytest.raises(pydantic.ValidationError):
        _config(password="hunter2")
