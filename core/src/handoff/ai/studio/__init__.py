"""AI Studio (Q7): the content the AI rep answers from, the Scorecard that overrides it, the Inbox.

- `text`: words, stems and the match rule shared by the Scorecard and the Inbox (pure);
- `pages`: HTML and Markdown pages split into passages (pure);
- `tables`: the store's tables; `search`: the full-text index (SQLite FTS5, PostgreSQL);
- `content`: indexing a folder or a sitemap, re-indexing, and the query API;
- `scorecard`, `inbox`: curated answers, and every visitor question grouped and counted;
- `config`: the `[ai.content]` table; `api`, `cli`: the routes and the commands.

The built-in responder over all this is `handoff.ai.builtin_responder`.
"""
