"""The chat flow's commands: `handoff route`, `replay`, `experiences`, `metrics`, `misroutes`."""
