"""Chat routing (Q3, Q4): rules in configuration, a pure decision function, durable round robin.

- `availability`: rep presence (set through the API), working hours, calendar busy times.
- `config`: the `[routing]` table of handoff.toml, validated (reps, teams, rules, targets).
- `engine`: `route(context, config, availability, rotation)`, the decision and its explanation.
- `handler`: the worker's EventHandler for `hub.chat_request` events.
"""

from __future__ import annotations
