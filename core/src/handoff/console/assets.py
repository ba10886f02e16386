"""The console's vendored assets: what each file is, its pinned version and its checksum.

Every script and style the console loads is a file under `static/`, served
by the hub itself (the console works with the network cut off). The third
party files are pinned here and in docs/console.md "Assets"; a test checks
each file's SHA-256 against this list, so a changed or swapped file fails
the suite. Updating one: download the new version from its package
registry, replace the file, update the version and checksum here and in
the docs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["ASSETS", "STATIC", "Asset"]

STATIC = Path(__file__).parent / "static"
"""The folder served at /console/static."""


@dataclass(frozen=True)
class Asset:
    """One vendored file: where it came from and what its bytes must hash to."""

    path: str
    """Under `static/`."""
    package: str
    """The npm package it was taken from."""
    version: str
    sha256: str
    license: str


ASSETS = (
    Asset(
        path="vendor/htmx-2.0.11.min.js",
        package="htmx.org",
        version="2.0.11",
        sha256="d6fdc75f204e6bdefa99b69bf1e6d4ac69b8a364f77929f45c13476b4000f717",
        license="0BSD",
    ),
    Asset(
        path="vendor/htmx-ext-sse-2.2.4.min.js",
        package="htmx-ext-sse",
        version="2.2.4",
        sha256="98a46496de0c3605fbffdce9167ba427bdd9553184f83f149c261891a92c0136",
        license="0BSD",
    ),
)
"""The third-party assets, pinned (the console's own CSS is in `static/console.css`)."""
