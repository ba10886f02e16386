"""Alembic environment: runs against the connection `handoff.store.migrate` hands over."""

from __future__ import annotations

from alembic import context

from handoff.flows import flow_metadata
from handoff.store.migrate import include_in_comparison

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - the hub always passes a connection
    raise RuntimeError("run migrations through `handoff db upgrade`")

context.configure(
    connection=connection,
    target_metadata=flow_metadata(),
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    include_object=include_in_comparison,
)
with context.begin_transaction():
    context.run_migrations()
