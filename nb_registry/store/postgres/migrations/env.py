"""Alembic's environment for the PostgreSQL metadata store.

nb_registry runs migrations itself when it opens a database (see ``..schema``): it hands Alembic an
open connection in ``config.attributes["connection"]``, inside the transaction that holds the
migration lock, so no ``alembic.ini`` and no second connection are needed. Running ``alembic``
from a shell works too, with ``-x url=postgresql+psycopg://...``.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

config = context.config
connection = config.attributes.get("connection")

if connection is None:  # the alembic command line: -x url=...
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option("sqlalchemy.url")
    with create_engine(url).begin() as conn:
        context.configure(connection=conn, transactional_ddl=True)
        with context.begin_transaction():
            context.run_migrations()
else:
    context.configure(connection=connection, transactional_ddl=True)
    with context.begin_transaction():
        context.run_migrations()
