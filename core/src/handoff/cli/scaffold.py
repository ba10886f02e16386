"""`handoff new-connector`: a new connector package, ready to install and test."""

from __future__ import annotations

from pathlib import Path

import click

from handoff.errors import HandoffError

__all__ = ["new_connector"]


@click.command("new-connector")
@click.argument("name")
@click.option(
    "--path",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("."),
    show_default=True,
    help="Folder in which to create the package folder NAME/.",
)
def new_connector(name: str, path: Path) -> None:
    """Create a connector package NAME that installs, is discovered and passes its tests.

    It has a config model, one secret, one capability, a cassette and tests that
    run the connector contract. Then: `pip install -e NAME` and `pytest` inside it.
    """
    from handoff.scaffold import ScaffoldError, create_connector

    try:
        created = create_connector(name, path)
    except ScaffoldError as exc:
        raise HandoffError(str(exc)) from None
    click.echo(f"Created {created}")
    click.echo(f"Next: pip install -e {created} && (cd {created} && pytest)")
