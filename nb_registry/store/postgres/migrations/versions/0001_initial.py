"""The first schema of the PostgreSQL metadata store.

The registry's invariants are constraints here, so that no code path (and no hand-written SQL) can
break them: one version number per collection (primary key), one alias name per collection and one
stage alias per registered model (primary keys), alias histories and the outbox append-only (a
trigger refuses UPDATE, DELETE and TRUNCATE), and retention's protections as foreign keys onto
``versions.vid``: an alias, a registered link, a run's input or another version's dependency keeps
a version from being deleted, whatever the order in which concurrent transactions commit.

Documents (a version's stored form, a run) are ``json``, not ``jsonb``: filters run in Python with
the shared query language, and ``json`` keeps what was written exactly (key order, number spelling).

Revision ID: 0001
Revises:
Create Date: 2026-05-20
"""

from __future__ import annotations

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TABLES = ("predictions", "changes", "deliveries", "events", "model_history", "model_aliases", "model_versions",
          "models", "run_history", "run_inputs", "runs", "removed", "deps", "content", "alias_history", "aliases",
          "versions", "collections", "outbox_order", "feed", "gc_state")

UPGRADE = """
-- garbage collection's generation: collect() holds this row FOR UPDATE, commits read it FOR SHARE
CREATE TABLE gc_state (
    id int PRIMARY KEY CHECK (id = 1),
    generation bigint NOT NULL DEFAULT 0,
    at text
);
INSERT INTO gc_state (id, generation) VALUES (1, 0);

-- generation(): the sum of these counters. Each write bumps one of them, picked at random, in its
-- own transaction, so concurrent writers rarely wait on the same row (one counter would make
-- every commit in the registry queue behind the one before it, WAL flush included)
CREATE TABLE feed (
    id int PRIMARY KEY CHECK (id >= 0 AND id < 64),
    generation bigint NOT NULL DEFAULT 0
);
INSERT INTO feed (id) SELECT generate_series(0, 63);

-- the outbox's order: a write that announces events locks this row before it inserts them, so
-- event ids grow in commit order (a worker reading events(after=N) never skips a late commit);
-- only registered-model writes announce, so only they queue here
CREATE TABLE outbox_order (id int PRIMARY KEY CHECK (id = 1));
INSERT INTO outbox_order (id) VALUES (1);

CREATE TABLE collections (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project text NOT NULL,
    name text NOT NULL,
    type text NOT NULL,
    created_at text NOT NULL,
    next_version int NOT NULL DEFAULT 0 CHECK (next_version >= 0),
    retention json,
    UNIQUE (project, name)
);

CREATE TABLE versions (
    collection_id bigint NOT NULL REFERENCES collections (id),
    version int NOT NULL CHECK (version >= 0),
    vid text NOT NULL UNIQUE,
    digest text NOT NULL,
    size bigint NOT NULL DEFAULT 0,
    doc json NOT NULL,
    PRIMARY KEY (collection_id, version),
    UNIQUE (collection_id, digest)
);

CREATE TABLE aliases (
    collection_id bigint NOT NULL,
    alias text NOT NULL CHECK (alias <> 'latest'),
    version int NOT NULL,
    PRIMARY KEY (collection_id, alias),
    FOREIGN KEY (collection_id, version) REFERENCES versions (collection_id, version)
);
CREATE INDEX aliases_version ON aliases (collection_id, version);

CREATE TABLE alias_history (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    collection_id bigint NOT NULL REFERENCES collections (id),
    alias text NOT NULL,
    from_version int,
    to_version int,
    by_user text NOT NULL,
    at text NOT NULL
);
CREATE INDEX alias_history_collection ON alias_history (collection_id, id);

CREATE TABLE content (
    digest text NOT NULL,
    vid text NOT NULL REFERENCES versions (vid) ON DELETE CASCADE,
    entry text NOT NULL,
    PRIMARY KEY (digest, vid, entry)
);
CREATE INDEX content_vid ON content (vid);

CREATE TABLE deps (
    vid text NOT NULL REFERENCES versions (vid) ON DELETE CASCADE,
    dep text NOT NULL REFERENCES versions (vid),
    PRIMARY KEY (vid, dep)
);
CREATE INDEX deps_dep ON deps (dep);

CREATE TABLE removed (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    vid text NOT NULL,
    digest text NOT NULL,
    size bigint,
    by_user text NOT NULL,
    at text NOT NULL
);

CREATE TABLE runs (
    project text NOT NULL,
    id text NOT NULL,
    doc json NOT NULL,
    PRIMARY KEY (project, id)
);
CREATE INDEX runs_id ON runs (id);

CREATE TABLE run_inputs (
    project text NOT NULL,
    run_id text NOT NULL,
    vid text NOT NULL REFERENCES versions (vid),
    PRIMARY KEY (project, run_id, vid),
    FOREIGN KEY (project, run_id) REFERENCES runs (project, id) ON DELETE CASCADE
);
CREATE INDEX run_inputs_vid ON run_inputs (vid);

CREATE TABLE run_history (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project text NOT NULL,
    run_id text NOT NULL,
    data bytea NOT NULL
);
CREATE INDEX run_history_run ON run_history (project, run_id, id);

CREATE TABLE models (
    name text PRIMARY KEY,
    description text,
    model_card text NOT NULL DEFAULT '',
    tags json NOT NULL,
    created_at text NOT NULL,
    created_by text,
    next_version int NOT NULL DEFAULT 0 CHECK (next_version >= 0)
);

CREATE TABLE model_versions (
    model text NOT NULL REFERENCES models (name),
    version int NOT NULL CHECK (version >= 0),
    artifact text NOT NULL REFERENCES versions (vid),
    digest text NOT NULL,
    linked_at text NOT NULL,
    linked_by text,
    tags json NOT NULL,
    PRIMARY KEY (model, version),
    UNIQUE (model, artifact)
);
CREATE INDEX model_versions_artifact ON model_versions (artifact);

CREATE TABLE model_aliases (
    model text NOT NULL,
    alias text NOT NULL CHECK (alias <> 'latest'),
    version int NOT NULL,
    PRIMARY KEY (model, alias),
    FOREIGN KEY (model, version) REFERENCES model_versions (model, version)
);

CREATE TABLE model_history (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    model text NOT NULL REFERENCES models (name),
    alias text NOT NULL,
    from_version int,
    to_version int,
    by_user text NOT NULL,
    at text NOT NULL
);
CREATE INDEX model_history_model ON model_history (model, id);

CREATE TABLE events (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind text NOT NULL CHECK (kind IN ('alias', 'link')),
    model text NOT NULL,
    alias text,
    from_version int,
    to_version int,
    artifact text,
    by_user text NOT NULL,
    at text NOT NULL
);

CREATE TABLE deliveries (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event bigint NOT NULL REFERENCES events (id),
    hook text NOT NULL,
    status text NOT NULL,
    attempts int NOT NULL,
    at text NOT NULL,
    detail text NOT NULL DEFAULT '',
    worker text,
    model text
);
CREATE INDEX deliveries_event_hook ON deliveries (event, hook, id);

-- the change feed; xid is the writing transaction's: changes_since reads by transaction horizon
CREATE TABLE changes (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
    kind text NOT NULL,
    key text NOT NULL
);
CREATE INDEX changes_xid ON changes (xid);

CREATE TABLE predictions (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    version_id text NOT NULL,
    row json NOT NULL
);
CREATE INDEX predictions_version ON predictions (version_id, id);

CREATE FUNCTION nbr_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'table % is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
"""

APPEND_ONLY = ("alias_history", "model_history", "events", "removed")


def upgrade() -> None:
    op.execute(UPGRADE)
    for table in APPEND_ONLY:
        op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                   "FOR EACH ROW EXECUTE FUNCTION nbr_append_only()")
        op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                   "FOR EACH STATEMENT EXECUTE FUNCTION nbr_append_only()")


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"DROP TABLE IF EXISTS {table}")
    op.execute("DROP FUNCTION IF EXISTS nbr_append_only()")
