"""The chat flow's HTTP routes under /v1: presence, metrics, pounce, rep view, meetings."""
