"""The console's colours: each text colour on its background passes WCAG AA (4.5:1)."""

from __future__ import annotations

import re

from handoff.console.assets import STATIC

CSS = (STATIC / "console.css").read_text()
PAIRS = [
    ("ink", "paper"),  # body text
    ("muted", "paper"),  # hints, captions
    ("muted", "wash"),  # hints in notices
    ("ink", "wash"),  # table headers, notices
    ("accent", "paper"),  # links
    ("accent-ink", "accent"),  # buttons
    ("paper", "ink"),  # the header bar
    ("ok", "paper"),  # status badges
    ("warn", "paper"),
    ("bad", "paper"),
]


def colour(name: str) -> tuple[float, float, float]:
    found = re.search(rf"--{re.escape(name)}:\s*#([0-9a-fA-F]{{6}})\s*;", CSS)
    assert found, f"console.css defines no --{name}"
    value = found.group(1)
    return tuple(int(value[i : i + 2], 16) / 255 for i in (0, 2, 4))  # type: ignore[return-value]


def luminance(rgb: tuple[float, float, float]) -> float:
    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    la, lb = sorted((luminance(colour(a)), luminance(colour(b))), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_every_text_colour_passes_wcag_aa_on_its_background() -> None:
    weak = {f"{a} on {b}": round(contrast(a, b), 2) for a, b in PAIRS if contrast(a, b) < 4.5}
    assert weak == {}


def test_the_focus_ring_is_always_drawn() -> None:
    assert re.search(r":focus-visible\s*\{[^}]*outline:\s*3px solid", CSS)
    assert "outline: none" not in CSS.replace("main:focus { outline: none; }", "")
