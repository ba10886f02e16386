"""Write the 6sense cassettes under cassettes/6sense/ (run by hand; the output is committed).

    .venv/bin/python tests/connectors/6sense/make_cassettes.py

Every value is synthetic (example domains, documentation IP ranges). The
shapes follow the 6sense Company Identification API v3: `company` with
`company_match`, `scores` per product line, `segments` with `ids`/`names`/
`list`, `confidence`; errors as `{"status": "error", "message": ...}`. Some
numbers are written as strings on purpose, as 6sense sends them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from handoff_sdk.testing.cassettes import cassette_interaction, write_cassette

BASE = "https://epsilon.6sense.com/v3/company/details"
OUT = Path(__file__).resolve().parents[3] / "cassettes" / "6sense"


def company(
    *,
    name: str,
    domain: str,
    industry: str,
    employees: int | str,
    employee_range: str,
    revenue: int | str,
    revenue_range: str,
    country: str,
    country_code: str,
    region: str,
    state: str,
    city: str,
    company_id: str,
    match: str = "Match",
    subindustry: str = "",
) -> dict[str, Any]:
    """A `company` object as 6sense shapes it."""
    return {
        "company_match": match,
        "additional_comment": "Company name or domain match was found",
        "companyId": company_id,
        "domain": domain,
        "name": name,
        "region": region,
        "country": country,
        "country_iso_code": country_code,
        "state": state,
        "state_code": "",
        "city": city,
        "address": "1 Example Way",
        "zip": "00000",
        "phone": "",
        "industry": industry,
        "industry_v2": [{"industry": industry, "subindustry": subindustry}],
        "employee_range": employee_range,
        "employee_count": employees,
        "revenue_range": revenue_range,
        "annual_revenue": revenue,
        "is_blacklisted": False,
        "is_6qa": False,
        "geoIP_country": country,
        "geoIP_state": state,
        "geoIP_city": city,
        "sic": "",
        "sic_description": "",
        "naics": "",
        "naics_description": "",
    }


def score(
    product: str, stage: str, intent: int, *, fit: str, profile: int, is_6qa: bool
) -> dict[str, Any]:
    """One product line's score."""
    return {
        "product": product,
        "product_display_name": product.replace("_", " ").title(),
        "is_6qa": is_6qa,
        "intent_score": intent,
        "buying_stage": stage,
        "profile_score": profile,
        "profile_fit": fit,
    }


def segments(*pairs: tuple[int, str]) -> dict[str, Any]:
    """The `segments` object: ids, names and the list of both."""
    return {
        "ids": [i for i, _ in pairs],
        "names": [n for _, n in pairs],
        "list": [{"name": n, "id": i} for i, n in pairs],
    }


def body(
    company_: dict[str, Any],
    scores: list[dict[str, Any]],
    segs: dict[str, Any],
    confidence: str,
) -> dict[str, Any]:
    """A whole Company Identification body."""
    return {"company": company_, "scores": scores, "segments": segs, "confidence": confidence}


def interaction(
    ip: str,
    status: int,
    payload: Any = None,
    *,
    message: str | None = None,
    headers: dict[str, str] | None = None,
    raw: str | None = None,
    content_type: str = "application/json",
) -> dict[str, Any]:
    """One recorded GET /v3/company/details?ip=... and its answer, JSON indented for reading."""
    return cassette_interaction(
        "GET",
        f"{BASE}?ip={ip}",
        request_headers={"Accept": "application/json", "Authorization": "REDACTED"},
        status=status,
        reason=message,
        response_body=raw if raw is not None else payload,
        response_headers={"Content-Type": content_type, **(headers or {})},
        indent=2,
    )


LITWARE = body(
    company(
        name="Litware Inc",
        domain="litware.example",
        industry="Software",
        employees=2500,
        employee_range="1,000 - 4,999",
        revenue=420000000,
        revenue_range="$250M - $500M",
        country="United States",
        country_code="US",
        region="Northern America",
        state="California",
        city="San Jose",
        company_id="6s-0000101",
        subindustry="Application Software",
    ),
    [
        score("devops_platform", "Consideration", 71, fit="Strong", profile=86, is_6qa=True),
        score("security_suite", "Awareness", 38, fit="Moderate", profile=55, is_6qa=False),
    ],
    segments((9101, "Web Visitors Last 30 Days"), (9102, "ICP Tier 1")),
    "High",
)

NON_ACTIONABLE = {
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
        "is_blacklisted": False,
        "is_6qa": False,
    },
    "scores": [],
    "segments": {"ids": [], "names": [], "list": []},
    "confidence": "Low",
}


def demo() -> list[dict[str, Any]]:
    """The lead engineer's demo: six visitors, in the order the demo enriches them."""
    return [
        interaction(
            "203.0.113.10",
            200,
            body(
                company(
                    name="Northwind Traders",
                    domain="northwind.example",
                    industry="Software",
                    employees=1200,
                    employee_range="1,000 - 4,999",
                    revenue=180000000,
                    revenue_range="$100M - $250M",
                    country="United States",
                    country_code="US",
                    region="Northern America",
                    state="Washington",
                    city="Seattle",
                    company_id="6s-0000001",
                ),
                [score("platform", "Decision", 88, fit="Strong", profile=91, is_6qa=True)],
                segments((5001, "Enterprise Target"), (5002, "Web Visitors Last 30 Days")),
                "Very High",
            ),
        ),
        interaction(
            "198.51.100.22",
            200,
            body(
                company(
                    name="Contoso Public Sector Agency",
                    domain="contoso-gov.example",
                    industry="Government",
                    employees=5000,
                    employee_range="5,000 - 9,999",
                    revenue="",
                    revenue_range="",
                    country="United States",
                    country_code="US",
                    region="Northern America",
                    state="Virginia",
                    city="Arlington",
                    company_id="6s-0000002",
                ),
                [score("platform", "Awareness", 41, fit="Moderate", profile=62, is_6qa=False)],
                segments((5003, "US Public Sector")),
                "High",
            ),
        ),
        interaction(
            "192.0.2.33",
            200,
            body(
                company(
                    name="Fabrikam GmbH",
                    domain="fabrikam.example",
                    industry="Manufacturing",
                    employees="300",
                    employee_range="250 - 499",
                    revenue="45000000",
                    revenue_range="$25M - $50M",
                    country="Germany",
                    country_code="DE",
                    region="Western Europe",
                    state="Bavaria",
                    city="Munich",
                    company_id="6s-0000003",
                ),
                [score("platform", "Consideration", 64, fit="Strong", profile=80, is_6qa=False)],
                segments((5004, "EMEA Mid-Market")),
                "High",
            ),
        ),
        interaction(
            "203.0.113.44",
            200,
            body(
                company(
                    name="Tailspin Toys",
                    domain="tailspin.example",
                    industry="Retail",
                    employees=80,
                    employee_range="50 - 99",
                    revenue=12000000,
                    revenue_range="$10M - $25M",
                    country="Japan",
                    country_code="JP",
                    region="Eastern Asia",
                    state="Tokyo",
                    city="Tokyo",
                    company_id="6s-0000004",
                ),
                [],
                {"ids": [], "names": [], "list": []},
                "Moderate",
            ),
        ),
        interaction("198.51.100.55", 200, NON_ACTIONABLE),
        interaction(
            "192.0.2.66",
            200,
            body(
                company(
                    name="Adventure Works",
                    domain="adventure-works.example",
                    industry="Consumer Goods",
                    employees=650,
                    employee_range="500 - 999",
                    revenue=95000000,
                    revenue_range="$50M - $100M",
                    country="United States",
                    country_code="US",
                    region="Northern America",
                    state="Colorado",
                    city="Denver",
                    company_id="6s-0000006",
                ),
                [score("platform", "Target", 12, fit="Weak", profile=35, is_6qa=False)],
                segments((5002, "Web Visitors Last 30 Days")),
                "High",
            ),
        ),
    ]


def no_match() -> list[dict[str, Any]]:
    """Each way 6sense says 'no company to act on', one IP each."""
    no_match_company = {
        "company_match": "No Match",
        "additional_comment": "No company match was found",
    }
    nameless = dict(LITWARE["company"], name="", domain="")
    return [
        interaction(
            "192.0.2.101",
            200,
            {"company": no_match_company, "scores": [], "segments": {}, "confidence": ""},
        ),
        interaction("192.0.2.102", 200, NON_ACTIONABLE),
        interaction("192.0.2.103", 200, {}),
        interaction("192.0.2.104", 200, {"company": {}, "scores": [], "segments": {}}),
        interaction("192.0.2.105", 200, None),
        interaction(
            "192.0.2.106",
            404,
            {"status": "error", "message": "No data found for this IP address."},
            message="Not Found",
        ),
        interaction("192.0.2.107", 404, None, message="Not Found"),
        interaction("192.0.2.108", 200, dict(LITWARE, company=nameless)),
    ]


def errors() -> list[dict[str, Any]]:
    """Refusals and failures in 6sense's error envelope, one IP per scenario."""

    def err(ip: str, status: int, reason: str, text: str, **kw: Any) -> dict[str, Any]:
        return interaction(ip, status, {"status": "error", "message": text}, message=reason, **kw)

    return [
        err("192.0.2.201", 401, "Unauthorized", "Invalid API token or missing token."),
        err("192.0.2.202", 402, "Payment Required", "Your allocated API quota is exhausted."),
        err("192.0.2.203", 403, "Forbidden", "Token has no access to this API."),
        err(
            "192.0.2.204",
            429,
            "Too Many Requests",
            "Rate limit exceeded.",
            headers={"Retry-After": "12"},
        ),
        interaction("192.0.2.204", 200, LITWARE),
        err("192.0.2.205", 429, "Too Many Requests", "Rate limit exceeded."),
        interaction("192.0.2.205", 200, LITWARE),
        interaction(
            "192.0.2.206",
            503,
            raw="<html><body>Service Unavailable</body></html>",
            message="Service Unavailable",
            content_type="text/html",
        ),
        interaction("192.0.2.206", 200, LITWARE),
        *[
            err("192.0.2.207", 500, "Internal Server Error", "Something went wrong.")
            for _ in range(5)
        ],
        interaction(
            "192.0.2.208",
            404,
            raw="<html><body><h1>Not Found</h1></body></html>",
            message="Not Found",
            content_type="text/html",
        ),
        err("192.0.2.209", 400, "Bad Request", "IP address is not valid."),
    ]


def main() -> None:
    """Write every cassette."""
    write_cassette(OUT / "enrich_visitor.yaml", [interaction("203.0.113.77", 200, LITWARE)])
    write_cassette(OUT / "demo.yaml", demo())
    write_cassette(OUT / "no_match.yaml", no_match())
    write_cassette(OUT / "errors.yaml", errors())


if __name__ == "__main__":
    main()
