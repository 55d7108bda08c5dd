"""Alembic environment: the URL comes from the caller (orderdesk.migrate), never from a file."""

from alembic import context
from sqlalchemy import create_engine, pool, text

# Several `serve` processes may start at once against one PostgreSQL: migrate one at a time.
_MIGRATION_LOCK = 7_402_113_905

config = context.config
url = config.attributes["sqlalchemy_url"]
engine = create_engine(url, poolclass=pool.NullPool)
with engine.connect() as connection:
    if connection.dialect.name == "postgresql":
        connection.execute(text(f"SELECT pg_advisory_lock({_MIGRATION_LOCK})"))
        connection.commit()
    context.configure(connection=connection, render_as_batch=url.startswith("sqlite"))
    with context.begin_transaction():
        context.run_migrations()
    if connection.dialect.name == "postgresql":
        connection.execute(text(f"SELECT pg_advisory_unlock({_MIGRATION_LOCK})"))
        connection.commit()
engine.dispose()
