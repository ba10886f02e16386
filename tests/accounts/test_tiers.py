"""P2: the tier table of the GitLab playbook, every boundary (each threshold at, one below),
Tier 1 tested before Tier 3, missing values, industry ignoring case; P1 the pool check."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from handoff.accounts.config import AccountsConfig
from handoff.accounts.playbooks import load_playbook
from handoff.accounts.pool import in_pool
from handoff.accounts.tiers import account_facts, rank
from handoff_sdk.entities import Account

SETTINGS = load_playbook("gitlab").accounts
assert SETTINGS is not None
TIERS = SETTINGS.tiers

# A Tier 2 account: no Tier 1 row holds (one criterion of each at most), and not Tier 3
# (its LAM dev count is 25, not below 25).
BASE: dict[str, Any] = {
    "carr": 1500,
    "total_funding": 1_000_000,
    "industry": "Retail",
    "lam_dev_count": 25,
}


def tier_of(**changes: Any) -> str:
    facts = {**BASE, **changes}
    account = Account(name="Pooled Co", **{k: v for k, v in facts.items() if v is not None})
    return rank(account_facts(account), TIERS).tier


def test_p2_the_base_account_is_tier_2() -> None:
    assert tier_of() == "Tier 2"


@pytest.mark.parametrize(
    ("field", "threshold"),
    [("carr", 2964), ("total_funding", 134_985_000), ("lam_dev_count", 103)],
)
def test_p2_tier_1_any_1_each_threshold_at_and_one_below(field: str, threshold: int) -> None:
    assert tier_of(**{field: threshold}) == "Tier 1"
    assert tier_of(**{field: threshold - 1}) == "Tier 2"


# Any 2: pair each criterion with the industry (SaaS) and move the one under test.
@pytest.mark.parametrize(
    ("field", "threshold"),
    [("carr", 2400), ("total_funding", 44_909_650), ("lam_dev_count", 44)],
)
def test_p2_tier_1_any_2_each_threshold_at_and_one_below(field: str, threshold: int) -> None:
    assert tier_of(industry="SaaS", **{field: threshold}) == "Tier 1"
    assert tier_of(industry="SaaS", **{field: threshold - 1}) == "Tier 2"


def test_p2_tier_1_any_2_needs_two_the_industry_alone_is_not_enough() -> None:
    assert tier_of(industry="FinTech") == "Tier 2"
    assert tier_of(industry="FinTech", lam_dev_count=44) == "Tier 1"


# Any 3: the industry plus two of the three figures at the Any 3 thresholds (below Any 2's).
ANY3 = {"carr": 1916, "total_funding": 20_624_700, "lam_dev_count": 29}


@pytest.mark.parametrize("field", ["carr", "total_funding", "lam_dev_count"])
def test_p2_tier_1_any_3_each_threshold_at_and_one_below(field: str) -> None:
    """The three figures at Any 3's thresholds (industry Retail): Tier 1; one below: Tier 2."""
    assert tier_of(**ANY3) == "Tier 1"
    assert tier_of(**{**ANY3, field: ANY3[field] - 1}) == "Tier 2"
    # The industry in the list makes up for the one below.
    assert tier_of(**{**ANY3, field: ANY3[field] - 1}, industry="SaaS") == "Tier 1"


def test_p2_tier_1_any_3_with_three_figures_and_no_industry() -> None:
    assert tier_of(**ANY3) == "Tier 1"
    assert tier_of(**{**ANY3, "carr": 1915}) == "Tier 2"
    assert tier_of(**{**ANY3, "carr": 1915}, industry="saas") == "Tier 1"


@pytest.mark.parametrize(("carr", "lam", "tier"), [
    (1499, 24, "Tier 3"),   # both below
    (1500, 24, "Tier 2"),   # CARR at 1,500 is not "less than"
    (1499, 25, "Tier 2"),   # LAM at 25 is not "less than"
])  # fmt: skip
def test_p2_tier_3_both_less_than_each_threshold(carr: int, lam: int, tier: str) -> None:
    assert tier_of(carr=carr, lam_dev_count=lam) == tier


def test_p2_tier_1_is_tested_before_tier_3() -> None:
    """Funding of $150M (Tier 1, any 1) with CARR and LAM low enough for Tier 3: Tier 1."""
    ranking = rank(
        account_facts(Account(name="x", carr=900, total_funding=150_000_000, lam_dev_count=12)),
        TIERS,
    )
    assert ranking.tier == "Tier 1"
    assert ranking.row == "tier1_any1"
    assert [r.id for r in ranking.rows] == ["tier1_any1"]


def test_p2_a_missing_value_meets_no_criterion_not_even_less_than() -> None:
    # No LAM count: Tier 3's "LAM < 25" does not hold, so not Tier 3.
    assert tier_of(carr=100, lam_dev_count=None) == "Tier 2"
    # No CARR: not Tier 3 either.
    assert tier_of(carr=None, lam_dev_count=3) == "Tier 2"
    # Nothing at all: Tier 2 otherwise.
    assert rank(account_facts(Account(name="empty")), TIERS).tier == "Tier 2"


def test_p2_industry_ignores_case_and_spaces() -> None:
    assert tier_of(industry=" saas ", lam_dev_count=44) == "Tier 1"
    assert tier_of(industry="HEALTHCARE", lam_dev_count=44) == "Tier 1"
    assert tier_of(industry="Healthcare IT", lam_dev_count=44) == "Tier 2"


def test_p2_each_ranking_is_explained_criterion_by_criterion() -> None:
    ranking = rank(
        account_facts(Account(name="x", carr=2500, industry="SaaS", lam_dev_count=10)), TIERS
    )
    explained = ranking.explanation()
    assert explained["tier"] == "Tier 1"
    assert explained["row"] == "tier1_any2"
    first, second = explained["rows"]
    assert first["met"] == 0
    assert first["needed"] == 1
    assert not first["matched"]
    assert [c["met"] for c in second["criteria"]] == [True, False, True, False]
    assert second["criteria"][0]["why"] == "carr is 2500.0, at least 2400"
    assert second["criteria"][1]["why"] == "total_funding is missing, not at least 44909650"
    assert explained["summary"][1] == "tier1_any2 (any 2): 2 of 4 met, gives Tier 1"


def table(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {"pool": {"owner_email": "pool@example.test"}, "tiers": rows}


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([{"id": "a", "tier": "T1", "combination": "any 1", "criteria": []}], "needs criteria"),
        (
            [{"id": "a", "tier": "T1", "combination": "some", "criteria": []}],
            "expected 'any N', 'both', 'all' or 'otherwise'",
        ),
        (
            [
                {
                    "id": "a",
                    "tier": "T1",
                    "combination": "both",
                    "criteria": [{"field": "carr", "below": 1}],
                },
                {"id": "b", "tier": "T2", "combination": "otherwise"},
            ],
            "'both' needs exactly two criteria",
        ),
        (
            [{"id": "a", "tier": "T1", "combination": "any 1", "criteria": [{"field": "carr"}]}],
            "criteria[0]",
        ),
        (
            [
                {"id": "b", "tier": "T2", "combination": "otherwise"},
                {"id": "a", "tier": "T1", "combination": "all", "criteria": [{"field": "carr", "below": 1}]},
            ],
            "must be the last",
        ),
        (
            [{"id": "a", "tier": "T1", "combination": "all", "criteria": [{"field": "carr", "below": 1}]}],
            "the last row must be 'otherwise'",
        ),
    ],
)  # fmt: skip
def test_p2_a_bad_tier_table_is_refused_naming_the_row(rows: list[Any], message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        AccountsConfig.model_validate(table(rows))
    assert message in str(caught.value)


def test_p1_the_pool_is_checked_on_crm_data_criterion_by_criterion() -> None:
    assert SETTINGS is not None
    pooled = Account(name="Small Co", segment="smb", carr=999, owner_id="005POOL")
    held, why = in_pool(pooled, SETTINGS.pool, "005POOL")
    assert held, why
    assert why[1] == "segment is 'smb', = 'SMB'"
    over = pooled.model_copy(update={"carr": 1000})
    assert in_pool(over, SETTINGS.pool, "005POOL")[0] is False  # CARR < $1k: 1,000 is out
    other_owner = pooled.model_copy(update={"owner_id": "005REP", "owner_name": "Riley Rep"})
    held, why = in_pool(other_owner, SETTINGS.pool, "005POOL")
    assert not held
    assert "not the pool owner" in why[0]
    no_carr = pooled.model_copy(update={"carr": None})
    assert in_pool(no_carr, SETTINGS.pool, "005POOL")[0] is False


def test_p1_a_wider_pool_is_configuration() -> None:
    wider = AccountsConfig.model_validate(
        {
            **table([{"id": "t2", "tier": "Tier 2", "combination": "otherwise"}]),
            "pool": {
                "owner_email": "pool@example.test",
                "criteria": [{"field": "carr", "op": "lt", "value": 3000}],
            },
        }
    )
    account = Account(name="x", carr=2500, owner_id="005POOL")
    assert in_pool(account, wider.pool, "005POOL")[0] is True


def test_p2_each_value_is_worded_as_itself_when_words_are_kept_by_value() -> None:
    """The deciding row's words are kept per value read: a value printed apart is worded apart."""

    def words(**facts: Any) -> list[str]:
        return [c.why for c in rank({**BASE, **facts}, TIERS).deciding_row().criteria]

    first = words(lam_dev_count=24, carr=1000)
    assert words(lam_dev_count=24, carr=1000) == first
    assert "carr is 1000," in first[0]
    assert "carr is 1000.0," in words(lam_dev_count=24, carr=1000.0)[0]
    assert "carr is -0.0," in words(lam_dev_count=24, carr=-0.0)[0]
    assert "carr is 0.0," in words(lam_dev_count=24, carr=0.0)[0]
