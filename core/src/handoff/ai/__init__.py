"""The AI rep (issue 12): its rules of engagement enforced on every reply, by code (Q6).

What exists today: the `[ai]` table, the pure guard (`handoff.ai.guard`) and
`POST /v1/ai/replies/check`, which runs it and stores the verdict. The
conversations, goals and model backends (Q5), AI Studio (Q7) and AI email
(Q16-Q18) are still to come: docs/ai.md says what exists.
"""
