"""Support tickets passed to sales: segment, territory, macros, escalation reasons, follow-up.

A ticket asking for sales help (Zendesk webhook or poll) is classified as new
business or renewal, checked for escalation reasons (Z3, Z5), segmented
(Z1) and passed to the right rep (Z2, Z4) with the right macro; a daily
review pings Slack about escalated tickets nobody answered (Z6).
"""
