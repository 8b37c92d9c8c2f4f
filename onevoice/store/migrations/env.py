"""Alembic environment: the URL comes from the caller (onevoice.store.migrate), never a file."""
from alembic import context
from sqlalchemy import create_engine, pool

from onevoice.store.models import Base

config = context.config
url = config.get_main_option("sqlalchemy.url")
connection = config.attributes.get("connection")


def run(conn) -> None:
    context.configure(connection=conn, target_metadata=Base.metadata,
                      render_as_batch=conn.dialect.name == "sqlite", compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


if connection is not None:
    run(connection)
else:
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as conn:
        run(conn)
    engine.dispose()
