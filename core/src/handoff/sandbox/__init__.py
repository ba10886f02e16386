"""`handoff sandbox`: the whole hub against simulated vendors, on one machine.

The vendor simulators that connectors ship (`Connector.simulator`) are served
together, seeded with one synthetic company (`handoff_sdk.testing.COMPANY`);
a handoff.toml and a secrets file point the hub at them; `handoff sandbox
traffic` sends what a website and a chat tool would. docs/sandbox.md.

- `simulators`: finding the installed connectors' simulators and serving them;
- `files`: the handoff.toml, secrets file, database and state it writes;
- `run`: starting everything and serving until Ctrl-C;
- `traffic`: the sample traffic and its report;
- `cli`: the commands.

Nothing heavy is imported here, so `handoff --help` stays fast: import from
the modules.
"""
