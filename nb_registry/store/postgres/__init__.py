"""The PostgreSQL metadata store, for a team: ``PostgresStore("postgresql://user@host/dbname")``.

SQLAlchemy Core over psycopg 3, with the registry's invariants as constraints of the schema (see
``migrations/versions/``) and its schema migrated by Alembic on open. Importing this package imports
SQLAlchemy; ``nb_registry`` itself imports it only when a PostgreSQL store is opened. Install with
``pip install 'nb-registry[postgres]'``.
"""

from __future__ import annotations

from .connect import is_postgres_url
from .store import PostgresStore

__all__ = ["PostgresStore", "is_postgres_url"]
