"""6sense's Company Identification API, simulated for tests and `handoff sandbox` (rule Q1).

What the connector calls, answered as 6sense does:

- `GET /v3/company/details?ip=...` with `Authorization: Token <api token>`:
  a "Match" with firmographics, product scores and segments for the IPs of
  the synthetic company's customers (`handoff_sdk.testing.company`), a
  "Non-actionable Match" for an ISP's IP, "No Match" for any other valid IP,
  400 for a value that is not an IP;
- 401 `{"status": "error", "message": ...}` for a missing or unknown token,
  403 for a token not entitled to this API, 402 once the contract's API
  credits are spent (each lookup costs one), 429 past 100 calls a minute
  per token (6sense sends no Retry-After: its window is a fixed minute).

Accounts: the first holds the sandbox's token; `restricted` has a token that
is not entitled to Company Identification; `spent` has no credits left.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from handoff_sdk.testing import (
    COMPANY,
    ApiKey,
    Call,
    Customer,
    Limits,
    RateWindow,
    Refusal,
    Reply,
    SimAccount,
    Simulator,
    endpoint,
)

from .connector import DETAILS_PATH

__all__ = ["SixsenseSimulator"]

_MESSAGES = {
    "unauthorized": "Invalid API token or missing token.",
    "token_expired": "Invalid API token or missing token.",
    "rate_limited": "Rate limit exceeded.",
    "too_many_concurrent": "Rate limit exceeded.",
}
"""6sense's words for the refusals the framework raises (handlers raise their own)."""

_NOT_ENTITLED = "Token has no access to this API."

_PRODUCTS = (("devops_platform", "Devops Platform"), ("security_suite", "Security Suite"))

_EMPLOYEE_BANDS = ((1, 9), (10, 49), (50, 199), (200, 499), (500, 999), (1000, 4999), (5000, 9999))


def _employee_range(count: int) -> str:
    for low, high in _EMPLOYEE_BANDS:
        if low <= count <= high:
            return f"{low:,} - {high:,}"
    return "10,000+"


def _revenue_range(revenue: int) -> str:
    millions = revenue / 1_000_000
    for low, high in ((0, 10), (10, 50), (50, 100), (100, 250), (250, 500), (500, 1000)):
        if low <= millions < high:
            return f"${low}M - ${high}M"
    return "$1B+"


def company_details(customer: Customer) -> dict[str, Any]:
    """The body 6sense answers for an IP of `customer`: company, scores, segments, confidence."""
    second_stage = "Awareness" if customer.buying_stage != "Awareness" else "Target"
    return {
        "company": {
            "company_match": "Match",
            "additional_comment": "Company name or domain match was found",
            "companyId": customer.sixsense_id,
            "domain": customer.domain,
            "name": customer.name,
            "region": customer.region,
            "country": customer.country,
            "country_iso_code": customer.country_code,
            "state": customer.state,
            "state_code": "",
            "city": customer.city,
            "address": "",
            "zip": "",
            "phone": "",
            "industry": customer.industry,
            "industry_v2": [{"industry": customer.industry, "subindustry": ""}],
            "employee_range": _employee_range(customer.employees),
            "employee_count": customer.employees,
            "revenue_range": _revenue_range(customer.annual_revenue),
            "annual_revenue": customer.annual_revenue,
            "is_blacklisted": False,
            "is_6qa": customer.intent_score >= 70,
            "geoIP_country": customer.country,
            "geoIP_state": customer.state,
            "geoIP_city": customer.city,
            "sic": "",
            "sic_description": "",
            "naics": "",
            "naics_description": "",
        },
        "scores": [
            {
                "product": _PRODUCTS[0][0],
                "product_display_name": _PRODUCTS[0][1],
                "is_6qa": customer.intent_score >= 70,
                "intent_score": customer.intent_score,
                "buying_stage": customer.buying_stage,
                "profile_score": customer.profile_score,
                "profile_fit": customer.profile_fit,
            },
            {
                "product": _PRODUCTS[1][0],
                "product_display_name": _PRODUCTS[1][1],
                "is_6qa": False,
                "intent_score": customer.intent_score // 2,
                "buying_stage": second_stage,
                "profile_score": customer.profile_score // 2,
                "profile_fit": "Moderate",
            },
        ],
        "segments": {
            "ids": [9100 + n for n, _ in enumerate(customer.segments)],
            "names": list(customer.segments),
            "list": [{"name": s, "id": 9100 + n} for n, s in enumerate(customer.segments)],
        },
        "confidence": "High",
    }


def _non_actionable() -> dict[str, Any]:
    return {
        "company": {
            "company_match": "Non-actionable Match",
            "additional_comment": "IP belongs to an internet service provider",
            "name": "Example Broadband Co",
            "domain": "broadband.example",
            "country": "United States",
            "country_iso_code": "US",
            "region": "Northern America",
            "industry": "Telecommunications",
            "employee_range": "",
            "employee_count": "",
            "revenue_range": "",
            "annual_revenue": "",
        },
        "scores": [],
        "segments": {},
        "confidence": "Low",
    }


_NO_MATCH: dict[str, Any] = {
    "company": {"company_match": "No Match", "additional_comment": "No company match was found"},
    "scores": [],
    "segments": {},
    "confidence": "",
}


class SixsenseSimulator(Simulator):
    """6sense Company Identification v3, on the synthetic company's IPs."""

    name = "6sense"
    auth = ApiKey("api_key", header="Authorization", prefix="Token ")
    default_limits = Limits(windows=(RateWindow(100, 60.0, name="minute"),), concurrency=10)
    credits = 100_000
    """API credits of the main account; every identification call spends one."""

    def seed(self) -> None:
        """The sandbox's token, a token not entitled to the API, and one out of credits."""
        self.add_account(
            SimAccount(
                "main",
                secrets={"api_key": "sim6sense0main0token0000000000000000000"},
                data={"credits": self.credits, "entitled": True},
            )
        )
        self.add_account(
            SimAccount(
                "restricted",
                secrets={"api_key": "sim6sense0restricted0token000000000000"},
                data={"credits": self.credits, "entitled": False},
            )
        )
        self.add_account(
            SimAccount(
                "spent",
                secrets={"api_key": "sim6sense0spent0token0000000000000000"},
                data={"credits": 0, "entitled": True},
            )
        )

    def connector_config(self, url: str) -> dict[str, Any]:
        """`[connectors.6sense]` pointing here."""
        return {"base_url": url}

    def refuse(self, refusal: Refusal, call: Call | None) -> Reply:
        """6sense's `{"status": "error", "message": ...}`; no Retry-After on a 429."""
        message = _MESSAGES.get(refusal.kind, refusal.message)
        status = refusal.status
        if refusal.kind == "token_expired":
            status = 401
        if refusal.kind == "not_found":
            return Reply({"detail": "Not found."}, status=404)
        return Reply({"status": "error", "message": message}, status=status)

    @endpoint("GET", DETAILS_PATH, query={"ip": str})
    async def company_details(self, call: Call) -> Any:
        """Identify the company behind an IP; one API credit per call."""
        data = call.data
        if not data["entitled"]:
            raise Refusal("forbidden", _NOT_ENTITLED)
        if data["credits"] <= 0:
            raise Refusal(
                "forbidden",
                "Your allocated API quota is exhausted.",
                code="quota_exhausted",
                status=402,
            )
        try:
            ip = str(ipaddress.ip_address(str(call.query["ip"]).strip()))
        except ValueError:
            raise Refusal("bad_request", "Invalid IP address.", field="ip") from None
        data["credits"] -= 1
        customer = COMPANY.customer_by_ip(ip)
        if customer is not None:
            return company_details(customer)
        if ip in COMPANY.non_actionable_ips:
            return _non_actionable()
        return _NO_MATCH
