"""The screenshot script (`make screenshots`) still runs and saves one PNG per page."""

from __future__ import annotations

from pathlib import Path

from screenshots import take  # type: ignore[import-not-found]


async def test_the_screenshot_script_saves_a_png_of_each_page(tmp_path: Path) -> None:
    saved = await take(tmp_path)
    assert [p.name for p in saved] == [
        "sign-in.png",
        "live-visitors.png",
        "reps-presence.png",
        "live-visitors-phone.png",
        "decision.png",
        "jobs.png",
        "account-tiers.png",
        "account.png",
        "cases.png",
        "ai-content.png",
        "ai-scorecard.png",
        "ai-inbox.png",
        "ai-inbox-phone.png",
        "rep-performance.png",
        "rep-performance-phone.png",
        "connectors.png",
        "leads.png",
        "lead.png",
        "escalated-tickets.png",
        "ticket.png",
    ]
    for path in saved:
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
