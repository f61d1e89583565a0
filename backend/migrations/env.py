"""Alembic's environment: the backend hands it an open connection (backend.db.migrate)."""

from alembic import context

from backend.db import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata)
with context.begin_transaction():
    context.run_migrations()
