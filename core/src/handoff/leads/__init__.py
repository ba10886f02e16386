"""The lead lifecycle (D1-D8, with Q13's CRM activity and Q16's statuses).

Inbound sources become leads, subscriptions or forwards (D1); leads are
assigned on the shared rules engine and round robin (D2), qualified with
Soft-BANT (D3), scored to MQL and SQL (D4), moved through a configured
status machine with its timers (D5), followed up when passed (D6), mailed
only as their subscriptions allow (D7), and purchase and trial webhooks are
forwarded (D8). docs/leads.md is the user's page; `flow.py` the registration.
"""

from __future__ import annotations
