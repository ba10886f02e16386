"""Pooled SMB accounts and cases (P1-P6, Q14).

The pool, the tier table, the weekly re-rank
with its history, the hand-off to the Pooled AE team, cases from signals, Account 360 signals.
"""
