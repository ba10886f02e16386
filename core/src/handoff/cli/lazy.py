"""A click group whose commands are imported only when one runs or shows its help.

`handoff --help` lists every command from its name and one line of help
kept beside the 'module:attribute' that defines it (a `FlowCommand`, the
same reference flows register their commands with), so listing them imports
none; `handoff jobs list` imports the jobs module alone.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import click

from handoff.flow import FlowCommand

__all__ = ["LazyGroup"]


class LazyGroup(click.Group):
    """A group of commands named by `FlowCommand` references, each imported on first use.

    `lazy` is called once, the first time a command is looked up or listed
    (so `--version` does not even build the list).
    """

    def __init__(
        self, *args: object, lazy: Callable[[], Mapping[str, FlowCommand]], **kwargs: object
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._lazy_source = lazy
        self._lazy: Mapping[str, FlowCommand] | None = None

    def lazy_commands(self) -> Mapping[str, FlowCommand]:
        """The commands not imported yet: name -> where it is and its one line of help."""
        if self._lazy is None:
            self._lazy = self._lazy_source()
        return self._lazy

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every command's name, imported or not."""
        return sorted({*self.commands, *self.lazy_commands()})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The command itself, importing its module the first time."""
        if cmd_name not in self.commands:
            ref = self.lazy_commands().get(cmd_name)
            if ref is None:
                return None
            command = ref.load()
            if command.name != cmd_name:
                raise RuntimeError(
                    f"{ref.target} is the command '{command.name}', not '{cmd_name}'"
                )
            self.add_command(command)
        return self.commands[cmd_name]

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list of `--help`, from the references' help: nothing is imported."""
        lazy = self.lazy_commands()
        rows = []
        for name in self.list_commands(ctx):
            if name in lazy:
                rows.append((name, lazy[name].help))
            elif not self.commands[name].hidden:
                limit = formatter.width - 6 - len(name)
                rows.append((name, self.commands[name].get_short_help_str(limit)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)
