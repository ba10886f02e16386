"""`python -m handoff` runs the CLI."""

from handoff.cli import main

main()
