"""Smart forms and buttons (Q18): a submission or CTA click qualified on the spot.

`config` is the `[smart_forms]` table; `qualify` the pure verdict against
the ideal customer profile; `handoff.chat.api.forms` the route that enriches,
decides, routes or offers meeting slots, all in the one request.
"""
