"""The website chat flow: a visitor identified, their chat routed, written back, booked.

Identification (Q1), routing and the AI takeover (Q3, Q4), experiences (Q8, Q9),
pounce (Q10, Q2), write-back and the rep view (Q11), meetings and slots (Q12),
and the conversation metrics and misroute flags (Q15, Q19).
"""
