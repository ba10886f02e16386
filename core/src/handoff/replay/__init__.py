"""Replay and shadow: the hub's stored events decided again, under another configuration.

- `format`: the events file (`handoff events export` writes it, `handoff
  replay` reads it): JSON Lines, versioned, each event with the context it
  was decided on;
- `export`: the stored events of a period, as lines of that file;
- `simulation`: one whole hub on a scratch store and a simulated clock:
  every enabled flow's handler, timers fired as the clock moves, the hub's
  own jobs (a timer's event) run, every other job captured, never run;
- `compare`: two runs side by side: what changes, per flow, and the load
  per rep, pool and team before and after;
- `shadow`: a candidate configuration decided beside the live one on every
  real event, in its own store, never acting.

It knows no flow: it takes them from `handoff.flows` (docs/replay.md).
"""
