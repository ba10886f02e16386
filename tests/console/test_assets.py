"""The console's vendored assets: pinned, checksummed, recorded in docs, and nothing remote."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from handoff.console.assets import ASSETS, STATIC

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "console.md"
PACKAGE = STATIC.parent


def test_each_vendored_asset_has_its_pinned_checksum() -> None:
    for asset in ASSETS:
        data = (STATIC / asset.path).read_bytes()
        assert hashlib.sha256(data).hexdigest() == asset.sha256, asset.path
        assert asset.version in asset.path  # the file name says the version it is


def test_docs_record_each_asset_version_and_checksum() -> None:
    docs = DOCS.read_text()
    for asset in ASSETS:
        row = next((line for line in docs.splitlines() if f"`{asset.path}`" in line), None)
        assert row is not None, f"docs/console.md lists no {asset.path}"
        assert asset.package in row
        assert asset.version in row
        assert asset.sha256 in row


def test_every_vendored_file_is_pinned_and_every_page_loads_only_local_assets() -> None:
    vendored = {str(p.relative_to(STATIC)) for p in (STATIC / "vendor").glob("*.js")}
    assert vendored == {a.path for a in ASSETS}
    remote = re.compile(r"""(?:src|href|sse-connect|hx-\w+)\s*=\s*["']?(?:https?:)?//""")
    for path in [*PACKAGE.rglob("*.html"), *ROOT.glob("core/src/handoff/*/console/**/*.html")]:
        assert not remote.search(path.read_text()), f"{path} loads something from another host"
    # No web fonts, no images from anywhere: the only url() allowed names an
    # element of the same page (an SVG pattern such as a chart's stripes).
    references = re.findall(r"url\(\s*['\"]?([^)'\"]*)", (STATIC / "console.css").read_text())
    assert all(ref.startswith("#") for ref in references), references
